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

    /// For each account whose every change fell on one day, those days (at most `limit` of them):
    /// what a batch of single writes touched, day by day rather than as one span.
    static func singleDays(_ changes: [LedgerChange], limit: Int = 256) -> [UUID: [LocalDate]] {
        var days: [UUID: Set<LocalDate>] = [:]
        var spans: Set<UUID> = []
        for change in changes {
            guard let range = change.days, range.lowerBound == range.upperBound else {
                spans.insert(change.accountID)
                continue
            }
            days[change.accountID, default: []].insert(range.lowerBound)
        }
        return days.filter { !spans.contains($0.key) && $0.value.count <= limit }.mapValues { $0.sorted() }
    }

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

/// A manual account's current balance, from its opening balance and its ledger (see `AccountBalance`).
enum LedgerBalances {
    /// Recomputes `account`'s current balance from its opening balance and every transaction in it.
    /// Answers whether it moved.
    static func recompute(_ account: inout LedgerAccount, in scope: UserScope) async throws -> Bool {
        guard account.isManual else { return false }
        let row = try await scope.db.sql.raw(ledgerSumQuery(of: account.id)).first()
        let sum = try row?.decode(column: "total", as: Amount?.self) ?? .zero
        guard let balance = AccountBalance.current(opening: account.openingBalance, ledgerSum: sum, type: account.type) else {
            throw LedgerError.balanceOutOfRange
        }
        guard balance != account.currentBalance else { return false }
        account.currentBalance = balance
        return true
    }

    /// The sum of an account's transactions, by the account's index. The account is the user's (read
    /// in the scope): naming the user as well led SQLite, without statistics, to walk the user's whole
    /// ledger by a user index (0.7 s on a million rows, at every import).
    static func ledgerSumQuery(of accountID: UUID) -> SQLQueryString {
        "SELECT sum(amount) AS total FROM transactions WHERE account_id = \(bind: accountID)"
    }

    /// Moves `account`'s current balance by `delta`: what a change on one day did to its history
    /// (`BalanceSnapshots.shift`). Answers whether it moved.
    static func move(_ account: inout LedgerAccount, by delta: Amount) throws -> Bool {
        guard !delta.isZero else { return false }
        guard let balance = account.currentBalance.adding(delta) else { throw LedgerError.balanceOutOfRange }
        account.currentBalance = balance
        return true
    }
}
