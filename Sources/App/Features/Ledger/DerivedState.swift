import FinanceCore
import Fluent
import Foundation
import SQLKit

/// Brings every table that follows from a user's ledger up to date with what a unit of work changed,
/// inside its transaction, always in the same order:
///
/// 1. accounts: a manual account's current balance, then its daily balance snapshots: when one day
///    moved, that day's row and the later rows shifted by the difference; otherwise written again
///    from the first day that moved (all of them when its whole history moved);
/// 2. transfer flags, daily totals and month totals around the days that moved (for rows that were
///    only inserted, their totals are added and only their amounts are paired again);
/// 3. accounts tied to a portfolio: valued again from the portfolio, day by day.
///
/// The one writer of each derived table is called from here alone: `BalanceSnapshots` and
/// `PortfolioAccounts` (snapshots), `TransferFlags`, `DailyTotals`, `MonthTotals`. The database's
/// triggers move `net_worth_days` with every snapshot written (`NetWorthDays`).
enum DerivedState {
    static func settle(_ changes: LedgerChangeSet, in scope: UserScope) async throws {
        // Nothing below records changes of its own; the loop only guards against a future step that does.
        while changes.hasPending {
            try await apply(changes.takePending(), in: scope)
        }
    }

    private static func apply(_ pending: LedgerChangeSet.Pending, in scope: UserScope) async throws {
        // 1. Balances and snapshots. An account tied to a portfolio is worth what the portfolio is
        // worth, whatever its ledger: step 3 values it.
        let merged = LedgerChange.merged(pending.transactions + pending.histories.map { LedgerChange(accountID: $0) })
        let singleDays = LedgerChange.singleDays(pending.transactions)
        if !merged.isEmpty {
            let accounts = try await LedgerAccount.readWithTies(merged.map(\.accountID), in: scope)
            let byID = Dictionary(uniqueKeysWithValues: accounts.map { ($0.account.id, $0) })
            for change in merged {
                // A deleted account took its snapshots with it.
                guard let (found, tied) = byID[change.accountID], !tied else { continue }
                var account = found
                // A few days changed (one write, or a batch of them): those days' rows, and every
                // later one moved by the difference.
                if change.days != nil, let days = singleDays[change.accountID],
                   let delta = try await BalanceSnapshots.shift(account, days: days, on: scope.db) {
                    if try LedgerBalances.move(&account, by: delta) { try await account.saveBalance(in: scope) }
                    continue
                }
                if try await LedgerBalances.recompute(&account, in: scope) { try await account.saveBalance(in: scope) }
                try await BalanceSnapshots.refresh(account, from: change.days?.lowerBound, today: scope.today, on: scope.db)
            }
        }
        PhaseTimes.mark("snapshots")

        // 2. Transfer flags, daily totals and month totals (which also follow categories and pending flags).
        // Labels moved within their months go after the rows inserted in the same units are added,
        // and before any month is summed again from the ledger (which already has the new labels).
        if pending.insertOnly, !pending.inserted.isEmpty {
            let flipped = try await TransferFlags.refresh(userID: scope.userID, inserted: pending.inserted, on: scope.db)
            PhaseTimes.mark("transfer pairing")
            try await DailyTotals.add(pending.inserted, userID: scope.userID, on: scope.db)
            try await DailyTotals.refresh(userID: scope.userID, days: flipped, on: scope.db)
            PhaseTimes.mark("daily totals")
            try await MonthTotals.add(pending.inserted, userID: scope.userID, on: scope.db)
            try await MonthTotals.move(pending.labelMoves, userID: scope.userID, on: scope.db)
            PhaseTimes.mark("month totals")
        } else if !pending.transactions.isEmpty {
            let merged = LedgerChange.merged(pending.transactions)
            try await TransferFlags.refresh(userID: scope.userID, around: merged.map(\.days), on: scope.db)
            PhaseTimes.mark("transfer pairing")
            try await DailyTotals.refresh(userID: scope.userID, around: merged.map(\.days), on: scope.db)
            PhaseTimes.mark("daily totals")
            try await MonthTotals.move(pending.labelMoves, userID: scope.userID, on: scope.db)
            try await MonthTotals.refresh(userID: scope.userID, merged.map { MonthTotals.Span(accountID: $0.accountID, days: $0.days) }, on: scope.db)
            PhaseTimes.mark("month totals")
        } else {
            try await MonthTotals.move(pending.labelMoves, userID: scope.userID, on: scope.db)
            PhaseTimes.mark("month totals")
        }
        let relabeledDays = pending.relabeled.map(\.days) + pending.labelMoves.map { $0.date...$0.date }
        if !relabeledDays.isEmpty {
            // A category or pending flag moves no transfer pair: the days themselves are summed again.
            let days = relabeledDays.compactMap { $0 }
            if days.count == relabeledDays.count, days.allSatisfy({ $0.lowerBound == $0.upperBound }) {
                try await DailyTotals.refresh(userID: scope.userID, days: Set(days.map(\.lowerBound)), on: scope.db)
            } else {
                try await DailyTotals.refresh(userID: scope.userID, around: relabeledDays, on: scope.db)
            }
            PhaseTimes.mark("daily totals")
            if !pending.relabeled.isEmpty { try await MonthTotals.refresh(userID: scope.userID, pending.relabeled, on: scope.db) }
        }
        PhaseTimes.mark("month totals")
        // A load this large changes how the next writes and reads of these tables are best planned.
        if pending.inserted.count >= PlannerStatistics.largeLoad {
            try await PlannerStatistics.refresh(["balance_snapshots", "daily_totals", "month_totals", "net_worth_days"], on: scope.db)
            PhaseTimes.mark("statistics")
        }

        // 3. Accounts tied to a portfolio, as (portfolio, account): read only when some valuation moved.
        guard !pending.portfolios.isEmpty || pending.rates || !pending.prices.isEmpty else {
            return PhaseTimes.mark("accounts tied to portfolios")
        }
        let tiedPortfolios = try await scope.db.sql.raw("""
            SELECT id, account_id FROM portfolios WHERE user_id = \(bind: scope.userID) AND account_id IS NOT NULL
            """).all().map { (try $0.decode(column: "id", as: UUID.self), try $0.decode(column: "account_id", as: UUID.self)) }
        var revalue = pending.portfolios
        if pending.rates {
            revalue.formUnion(tiedPortfolios.map(\.0))
        }
        if !pending.prices.isEmpty {
            let prices = Array(pending.prices)
            let rows = try await scope.db.sql.raw("""
                SELECT portfolio_id FROM investment_transactions WHERE user_id = \(bind: scope.userID) AND investment_id IN (\(binds: prices))
                UNION SELECT portfolio_id FROM portfolio_items WHERE user_id = \(bind: scope.userID) AND investment_id IN (\(binds: prices))
                """).all()
            revalue.formUnion(try rows.map { try $0.decode(column: "portfolio_id", as: UUID.self) })
        }
        let revalued = tiedPortfolios.map(\.0).filter(revalue.contains)
        if !revalued.isEmpty {
            for portfolio in try await scope.query(Portfolio.self).filter(\.$id ~~ revalued).all() {
                try await PortfolioAccounts.revalue(portfolio, in: scope)
            }
        }
        PhaseTimes.mark("accounts tied to portfolios")
    }

    /// Rebuilds every derived table of one user from the ledger, as `finance snapshots rebuild` and
    /// the ledger check do: what the unit of work keeps up to date step by step, done from nothing.
    static func rebuild(userID: UUID, in scope: UserScope) async throws -> Int {
        let tied = Set(try await scope.query(Portfolio.self).all().compactMap(\.accountID))
        let accounts = try await scope.query(Account.self).all().filter { !tied.contains($0.id!) }
        for model in accounts {
            var account = try LedgerAccount(model)
            if try await LedgerBalances.recompute(&account, in: scope) { try await account.saveBalance(in: scope) }
            try await BalanceSnapshots.refresh(account, from: nil, today: scope.today, on: scope.db)
        }
        for portfolio in try await scope.query(Portfolio.self).filter(\.$accountID != nil).all() {
            try await PortfolioAccounts.revalue(portfolio, in: scope)
        }
        try await TransferFlags.refresh(userID: userID, around: [nil], on: scope.db)
        try await DailyTotals.refresh(userID: userID, around: [nil], on: scope.db)
        try await MonthTotals.refresh(userID: userID, [MonthTotals.Span(accountID: nil, days: nil)], on: scope.db)
        try await NetWorthDays.rebuild(userID: userID, on: scope.db)
        return accounts.count
    }
}
