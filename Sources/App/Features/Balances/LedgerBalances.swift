import FinanceCore
import Fluent
import Foundation
import SQLKit

/// What a write did to the ledger: the account whose transactions changed, and the days they were
/// on (every day when `days` is nil: an opening balance changed, or the whole ledger is rebuilt).
struct LedgerChange: Sendable, Hashable {
    let accountID: UUID
    var days: ClosedRange<LocalDate>?

    init(accountID: UUID, days: ClosedRange<LocalDate>? = nil) {
        self.accountID = accountID
        self.days = days
    }

    init(accountID: UUID, day: LocalDate) { self.init(accountID: accountID, days: day...day) }

    /// One change per account, covering every day any of them touched.
    static func merged(_ changes: [LedgerChange]) -> [LedgerChange] {
        var byAccount: [UUID: LedgerChange] = [:]
        var whole: Set<UUID> = []
        for change in changes {
            guard let days = change.days, !whole.contains(change.accountID) else {
                whole.insert(change.accountID)
                byAccount[change.accountID] = LedgerChange(accountID: change.accountID)
                continue
            }
            if let known = byAccount[change.accountID]?.days {
                byAccount[change.accountID] = LedgerChange(accountID: change.accountID,
                                                           days: min(known.lowerBound, days.lowerBound)...max(known.upperBound, days.upperBound))
            } else {
                byAccount[change.accountID] = change
            }
        }
        return byAccount.values.sorted { $0.accountID.uuidString < $1.accountID.uuidString }
    }
}

/// Keeps what follows from the ledger in step with it, inside the transaction that changed it:
/// manual accounts' current balances (see `AccountBalance`), the daily balance snapshots, the
/// transfer flags and the daily totals. Every write to transactions ends by calling `recompute`
/// (or, for changes of category alone, `DailyTotals.refresh`).
enum LedgerBalances {
    /// Recomputes `account`'s current balance from its opening balance and every transaction in it.
    static func recompute(_ account: Account, in scope: UserScope) async throws {
        guard account.isManual, let id = account.id else { return }
        let row = try await scope.db.sql.raw("""
            SELECT sum(amount) AS total FROM transactions WHERE account_id = \(bind: id) AND user_id = \(bind: scope.userID)
            """).first()
        let sum = try row?.decode(column: "total", as: Amount?.self) ?? .zero
        guard let balance = AccountBalance.current(opening: account.openingBalance, ledgerSum: sum, type: account.type) else {
            throw APIError.validation(["amount": "would take the account's balance beyond what can be recorded"])
        }
        if balance != account.currentBalance {
            account.currentBalance = balance
            account.balanceUpdatedAt = Date()
        }
    }

    /// After transactions changed: the touched accounts' balances, their snapshots from the first
    /// touched day on, and the transfer flags around the touched days.
    ///
    /// When the write only inserted rows, `inserted` names them: their daily totals are added rather
    /// than every touched day summed again, and only their amounts' transfer pairs are worked out
    /// again (an import of years beside a large ledger).
    static func recompute(_ changes: [LedgerChange], inserted: [NewTransactionRow]? = nil, in scope: UserScope) async throws {
        let merged = LedgerChange.merged(changes)
        for change in merged {
            guard let account = try await scope.query(Account.self).filter(\.$id == change.accountID).first() else { continue }
            // An account tied to a portfolio is worth what the portfolio is worth, whatever its ledger.
            guard try await !PortfolioAccounts.isTied(change.accountID, in: scope) else { continue }
            try await recompute(account, in: scope)
            if account.hasChanges { try await account.update(on: scope.db) }
        }
        PhaseTimes.mark("balance")
        try await refreshHistory(merged, inserted: inserted, in: scope)
    }

    /// The snapshots, transfer flags and daily totals alone, for changes that leave current balances
    /// as they are (or that the caller has already saved).
    static func refreshHistory(_ changes: [LedgerChange], inserted: [NewTransactionRow]? = nil, in scope: UserScope) async throws {
        let merged = LedgerChange.merged(changes)
        for change in merged {
            guard let account = try await scope.query(Account.self).filter(\.$id == change.accountID).first(),
                  try await !PortfolioAccounts.isTied(change.accountID, in: scope) else { continue }
            try await BalanceSnapshots.refresh(account, from: change.days?.lowerBound, on: scope.db)
        }
        PhaseTimes.mark("snapshots")
        if let inserted {
            let flipped = try await TransferFlags.refresh(userID: scope.userID, inserted: inserted, on: scope.db)
            PhaseTimes.mark("transfer pairing")
            try await DailyTotals.add(inserted, userID: scope.userID, on: scope.db)
            try await DailyTotals.refresh(userID: scope.userID, days: flipped, on: scope.db)
        } else {
            try await TransferFlags.refresh(userID: scope.userID, around: merged.map(\.days), on: scope.db)
            PhaseTimes.mark("transfer pairing")
            try await DailyTotals.refresh(userID: scope.userID, around: merged.map(\.days), on: scope.db)
        }
        PhaseTimes.mark("daily totals")
    }
}
