import FinanceCore
import Fluent
import Foundation
import SQLKit

/// The daily balance snapshots: for each account, one row for each day its balance changed, holding
/// the balance at the end of that day and the day's change. A day without a row kept the balance of
/// the row before it. An account's history starts with a row the day before its first transaction
/// (or on the day it was created, when it has none) holding its opening balance.
///
/// A manual account replays forward from its opening balance. An account whose institution reports
/// its current balance replays backward from it: its opening is that balance minus every
/// transaction's effect, and the same forward replay then ends at the reported balance.
///
/// Writing is one `INSERT ... SELECT` with a running sum over the account's days:
///   SQLite:     SEARCH transactions USING INDEX transactions_account_date_idx (account_id=? AND date>?)
///               then a window over the per-day totals.
///   PostgreSQL: Index Only Scan on transactions_account_date_idx → GroupAggregate → WindowAgg.
enum BalanceSnapshots {
    /// A snapshot row's columns, named once: this type is the table's one writer.
    static let columns: SQLQueryString = "id, user_id, account_id, date, current_balance, change, currency, liability"

    /// One day of an account's history: its balance at the end of the day and the day's change.
    struct Day: Sendable {
        let date: LocalDate
        let balance: Amount
        let change: Amount
    }

    /// Rewrites `account`'s snapshots from `from` on, or all of them when `from` is nil or not after
    /// its first transaction. Rows before `from` are left exactly as they were.
    static func refresh(_ account: LedgerAccount, from: LocalDate?, today: LocalDate, on db: any Database) async throws {
        let accountID = account.id
        let sql = db.sql
        let sign = account.type.isLiability ? -1 : 1
        let bounds = try await sql.raw("""
            SELECT min(date) AS first, sum(amount) AS total FROM transactions WHERE account_id = \(bind: accountID)
            """).first()
        let first = try bounds?.decode(column: "first", as: LocalDate?.self)
        let ledgerSum = try bounds?.decode(column: "total", as: Amount?.self) ?? .zero
        let opening = try self.opening(of: account, ledgerSum: ledgerSum)

        guard let first else {
            // No transactions: the history is the opening balance from the day the account was made,
            // or, for an account its bank reports no transactions for (a mortgage), over the history
            // its connection covers: its reported balance is all there is to know of those days.
            try await sql.raw("DELETE FROM balance_snapshots WHERE account_id = \(bind: accountID)").run()
            var day = account.createdAt.map(LocalDate.utcDay(of:)) ?? today
            if let connectionID = account.plaidConnectionID {
                let row = try await sql.raw("""
                    SELECT min(date) AS first FROM transactions
                    WHERE account_id IN (SELECT id FROM accounts WHERE plaid_connection_id = \(bind: connectionID))
                    """).first()
                if let earliest = try row?.decode(column: "first", as: LocalDate?.self) { day = min(day, earliest.adding(days: -1)) }
            }
            try await insertOpening(account, day: day, balance: opening, on: db)
            return
        }
        let start: LocalDate
        let base: Amount
        // A manual account's earlier days stay as they were; an account replayed backward from a
        // reported balance moves on every day when any transaction changes.
        if let from, from > first, account.isManual {
            start = from
            let before = try await sql.raw("""
                SELECT sum(amount) AS total FROM transactions WHERE account_id = \(bind: accountID) AND date < \(bind: from)
                """).first()
            let earlier = try before?.decode(column: "total", as: Amount?.self) ?? .zero
            guard let value = AccountBalance.current(opening: opening, ledgerSum: earlier, type: account.type) else {
                throw LedgerError.balanceOutOfRange
            }
            base = value
            try await sql.raw("DELETE FROM balance_snapshots WHERE account_id = \(bind: accountID) AND date >= \(bind: from)").run()
        } else {
            start = first
            base = opening
            try await sql.raw("DELETE FROM balance_snapshots WHERE account_id = \(bind: accountID)").run()
            try await insertOpening(account, day: first.adding(days: -1), balance: opening, on: db)
        }
        let id = SQLQueryString(db.engine.newID)
        try await sql.raw("""
            INSERT INTO balance_snapshots (\(columns))
            SELECT \(id), \(bind: account.userID), \(bind: accountID), date,
                   \(bind: base) + sum(total) OVER (ORDER BY date ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
                   total, \(bind: account.currency), \(bind: account.type.isLiability)
            FROM (SELECT date, sum(amount) * \(literal: sign) AS total FROM transactions
                  WHERE account_id = \(bind: accountID) AND date >= \(bind: start) GROUP BY date) AS days
            """).run()
    }

    /// Changes on a few days of a manual account whose history began before the first of them: each
    /// of those days' rows is summed again from its transactions, and every later row moves by what
    /// the days before it moved, in all; the total it answers. A handful of rows read and one range
    /// updated, whatever the size of the ledger or the number of days (a batch of writes on one
    /// account lands here once). Answers nil, having changed nothing, where that is not the whole
    /// story and the history must be written again (`refresh`): an account replayed backward from a
    /// reported balance, or a change on or before its first day of transactions.
    ///
    /// Every kept row from the first day on gains what the days up to its own moved (a kept row's
    /// new balance is its old one plus that), so a day that gains its first row is inserted with the
    /// balance the evening before held until now, and moves with the rest.
    static func shift(_ account: LedgerAccount, days: [LocalDate], on db: any Database) async throws -> Amount? {
        let days = Array(Set(days)).sorted()
        guard account.isManual, let firstDay = days.first else { return nil }
        let accountID = account.id
        let sql = db.sql
        // In one statement, for each day: its sum and count, its row as kept, and the balance the
        // evening before; with the history's first row and the ledger's first day.
        let values = days.map { "(\(bind: $0))" as SQLQueryString }.joined(separator: ", ")
        let rows = try await sql.raw("""
            SELECT d.column1 AS day,
                   (SELECT min(date) FROM balance_snapshots WHERE account_id = \(bind: accountID)) AS opening,
                   (SELECT min(date) FROM transactions WHERE account_id = \(bind: accountID)) AS first,
                   (SELECT sum(amount) FROM transactions WHERE account_id = \(bind: accountID) AND date = d.column1) AS total,
                   (SELECT count(*) FROM transactions WHERE account_id = \(bind: accountID) AND date = d.column1) AS n,
                   (SELECT change FROM balance_snapshots WHERE account_id = \(bind: accountID) AND date = d.column1) AS kept,
                   (SELECT current_balance FROM balance_snapshots WHERE account_id = \(bind: accountID) AND date < d.column1
                    ORDER BY date DESC LIMIT 1) AS evening
            FROM (VALUES \(values)) AS d
            """).all()
        guard rows.count == days.count, let head = rows.first else { return nil }
        // The history starts with the opening row the day before the first transaction, which stays where it was.
        guard let opening = try head.decode(column: "opening", as: LocalDate?.self),
              let first = try head.decode(column: "first", as: LocalDate?.self),
              first == opening.adding(days: 1), first < firstDay else { return nil }

        struct Moved { let day: LocalDate; let change: Amount; let kept: Amount?; let count: Int; let evening: Amount }
        var moved: [Moved] = []
        for row in rows {
            guard let evening = try row.decode(column: "evening", as: Amount?.self) else { return nil }
            let total = try row.decode(column: "total", as: Amount?.self) ?? .zero
            moved.append(Moved(day: try row.decode(column: "day", as: LocalDate.self), change: account.type.isLiability ? total.negated : total,
                               kept: try row.decode(column: "kept", as: Amount?.self), count: try row.decode(column: "n", as: Int.self),
                               evening: evening))
        }
        moved.sort { $0.day < $1.day }

        // What each day moved, and from each day on, what every day up to it moved in all.
        var total = Amount.zero
        var steps: [(day: LocalDate, total: Amount)] = []
        var inserts: [Day] = [], deletes: [LocalDate] = [], rewrites: [(day: LocalDate, change: Amount)] = []
        for day in moved {
            // The day's balance after the change: what it was (the evening before and its kept change), moved.
            guard let delta = day.change.subtracting(day.kept ?? .zero), let sum = total.adding(delta),
                  day.count == 0 || day.evening.adding(day.kept ?? .zero)?.adding(sum) != nil else {
                throw LedgerError.balanceOutOfRange
            }
            switch (day.kept, day.count) {
            case (nil, 0): continue
            case (_?, 0): deletes.append(day.day)
            case (_?, _): rewrites.append((day.day, day.change))
            case (nil, _): inserts.append(Day(date: day.day, balance: day.evening, change: day.change))
            }
            total = sum
            steps.append((day.day, sum))
        }
        if !deletes.isEmpty {
            try await sql.raw("DELETE FROM balance_snapshots WHERE account_id = \(bind: accountID) AND date IN (\(binds: deletes))").run()
        }
        if !inserts.isEmpty { try await insert(inserts, of: account, on: db) }
        var changes: SQLQueryString = "change"
        if !rewrites.isEmpty {
            changes = "CASE"
            for rewrite in rewrites { changes += " WHEN date = \(bind: rewrite.day) THEN \(bind: rewrite.change)" }
            changes += " ELSE change END"
        }
        var shift: SQLQueryString = "CASE"
        for step in steps.reversed() { shift += " WHEN date >= \(bind: step.day) THEN \(bind: step.total)" }
        shift += " ELSE \(bind: Amount.zero) END"
        if !steps.isEmpty {
            // Kept rows from the first day moved on (new ones hold the evening before until this moves them).
            try await sql.raw("""
                UPDATE balance_snapshots SET current_balance = current_balance + \(shift), change = \(changes)
                WHERE account_id = \(bind: accountID) AND date >= \(bind: steps[0].day)
                """).run()
        }
        return total
    }

    /// Rebuilds every snapshot of one user from the ledger (accounts tied to a portfolio follow its
    /// valuation instead: see `PortfolioAccounts`). Answers how many accounts it rebuilt. Kept for the
    /// backfill migration, which must do what it did when it shipped; the server rebuilds through
    /// `DerivedState.rebuild`.
    static func rebuild(userID: UUID, on db: any Database) async throws -> Int {
        let tied = Set(try await Portfolio.query(on: db).filter(\.$userID == userID).all().compactMap(\.accountID))
        let accounts = try await Account.query(on: db).filter(\.$userID == userID).all().filter { !tied.contains($0.id!) }
        for account in accounts { try await refresh(LedgerAccount(account), from: nil, today: .utcDay(of: Date()), on: db) }
        return accounts.count
    }

    /// The balance the account's history starts from (see the type's documentation).
    static func opening(of account: LedgerAccount, ledgerSum: Amount) throws -> Amount {
        if account.isManual { return account.openingBalance }
        let effect = account.type.isLiability ? ledgerSum.negated : ledgerSum
        guard let opening = account.currentBalance.subtracting(effect) else {
            throw LedgerError.balanceOutOfRange
        }
        return opening
    }

    /// Replaces every snapshot of `account` with `days`: an account tied to a portfolio, valued day by day.
    static func replace(_ account: LedgerAccount, with days: [Day], on db: any Database) async throws {
        try await db.sql.raw("DELETE FROM balance_snapshots WHERE account_id = \(bind: account.id)").run()
        try await insert(days, of: account, on: db)
    }

    private static func insertOpening(_ account: LedgerAccount, day: LocalDate, balance: Amount, on db: any Database) async throws {
        try await insert([Day(date: day, balance: balance, change: balance)], of: account, on: db)
    }

    /// Years of days: one statement for each few hundred rather than one each.
    private static func insert(_ days: [Day], of account: LedgerAccount, on db: any Database) async throws {
        let (userID, accountID, currency, liability) = (account.userID, account.id, account.currency, account.type.isLiability)
        try await db.sql.runInChunks(days, row: { day in
            "(\(bind: UUID.timeOrdered()), \(bind: userID), \(bind: accountID), \(bind: day.date), \(bind: day.balance), \(bind: day.change), \(bind: currency), \(bind: liability))"
        }, statement: { values in
            "INSERT INTO balance_snapshots (\(columns)) VALUES \(values)"
        })
    }
}

extension LocalDate {
    /// The calendar day of `date` in UTC.
    static func utcDay(of date: Date) -> LocalDate {
        LocalDate(daysSinceEpoch: Int((date.timeIntervalSince1970 / 86_400).rounded(.down)))
    }
}
