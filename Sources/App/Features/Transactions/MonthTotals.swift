import FinanceCore
import Fluent
import Foundation
import SQLKit

/// Keeps `month_totals` equal to the ledger's money in, money out and count per account, month,
/// category, pending flag and currency, transfers included: the totals of a filtered list of
/// transactions add these up instead of the rows (see `TransactionSearch.totals`). Rows just inserted
/// are added to their months; any other change sums its months again from `transactions`.
/// This type is the table's one writer.
enum MonthTotals {
    static let columns: SQLQueryString = "user_id, account_id, month, category, pending, currency, money_in, money_out, count"

    /// A row of the table, for one user: an account's month, its labels and its currency.
    private struct Key: Hashable {
        let account: UUID, month: LocalDate, category: TransactionCategory, pending: Bool, currency: CurrencyCode
    }

    /// What a row holds, or what moves into it.
    private typealias Sums = (moneyIn: Amount, moneyOut: Amount, count: Int)

    /// PostgreSQL: `entries` as rows of `account_id, month, category, pending, currency, money_in,
    /// money_out, count`, typed as the table's, from one bound array a column.
    private static func unnested(_ entries: [(key: Key, value: Sums)]) -> SQLQueryString {
        """
        SELECT v.account_id, v.month::date AS month, v.category\(unsafeRaw: DatabaseEngine.postgres.cast(to: .transactionCategory)) AS category,
               v.pending, v.currency, v.money_in::numeric AS money_in, v.money_out::numeric AS money_out, v.count
        FROM unnest(\(bind: entries.map(\.key.account)), \(bind: entries.map(\.key.month.description)),
                    \(bind: entries.map(\.key.category.rawValue)), \(bind: entries.map(\.key.pending)),
                    \(bind: entries.map(\.key.currency.code)), \(bind: entries.map(\.value.moneyIn.description)),
                    \(bind: entries.map(\.value.moneyOut.description)), \(bind: entries.map { Int64($0.value.count) }))
            AS v(account_id, month, category, pending, currency, money_in, money_out, count)
        """
    }

    /// Months of one account (every account when nil) to sum again, over `days` (every day when nil).
    struct Span: Sendable, Hashable {
        let accountID: UUID?
        let days: ClosedRange<LocalDate>?
    }

    /// Adds rows just inserted to their months: work in proportion to the rows, not to the ledger.
    static func add(_ rows: [NewTransactionRow], userID: UUID, on db: any Database) async throws {
        var sums: [Key: Sums] = [:]
        for row in rows {
            let key = Key(account: row.accountID, month: row.date.startOfMonth, category: row.category, pending: row.pending, currency: row.currency)
            var sum = sums[key] ?? (.zero, .zero, 0)
            let added = row.amount > .zero ? sum.moneyIn.adding(row.amount) : sum.moneyOut.adding(row.amount.magnitude)
            guard let added else { throw MoneyError.outOfRange }
            if row.amount > .zero { sum.moneyIn = added } else { sum.moneyOut = added }
            sum.count += 1
            sums[key] = sum
        }
        guard !sums.isEmpty else { return }
        let upsert = addingOnConflict(db.engine)
        // One statement whatever the count, as for daily totals: bound row by row, the driver's
        // encoder took most of the time of a file that spans ten years (1,500 months and categories).
        let entries = Array(sums)
        if db.engine == .postgres {
            try await db.sql.raw("""
                INSERT INTO month_totals (\(columns))
                SELECT \(bind: userID), v.account_id, v.month, v.category, v.pending, v.currency, v.money_in, v.money_out, v.count
                FROM (\(unnested(entries))) AS v
                \(upsert)
                """).run()
            return
        }
        // SQLite: one JSON document read by `json_each`; accounts as hex (SQLite keeps them as 16-byte
        // blobs), amounts as integer units.
        var json = "["
        json.reserveCapacity(entries.count * 100)
        for (index, (key, sum)) in entries.enumerated() {
            if index > 0 { json += "," }
            json += "[\"\(key.account.uuidString.replacingOccurrences(of: "-", with: ""))\",\"\(key.month)\",\"\(key.category.rawValue)\","
            json += "\(key.pending ? 1 : 0),\"\(key.currency.code)\",\(sum.moneyIn.units),\(sum.moneyOut.units),\(sum.count)]"
        }
        json += "]"
        // `WHERE true`: SQLite's grammar needs it between a SELECT's FROM and an upsert.
        try await db.sql.raw("""
            INSERT INTO month_totals (\(columns))
            SELECT \(bind: userID), unhex(value ->> 0), value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, value ->> 7
            FROM json_each(\(bind: json)) WHERE true
            \(upsert)
            """).run()
    }

    /// An insert's clause that adds its sums to a month's row the table already has.
    private static func addingOnConflict(_ engine: DatabaseEngine) -> SQLQueryString {
        """
        ON CONFLICT (user_id, account_id, month, category, pending, currency) DO UPDATE SET
            money_in = month_totals.money_in + excluded.money_in, money_out = month_totals.money_out + excluded.money_out,
            count = month_totals.count + excluded.count, updated_at = \(unsafeRaw: engine.now)
        """
    }

    /// One transaction's labels moving within its month, nothing else about it changing.
    struct Move: Sendable {
        let accountID: UUID
        let date: LocalDate
        let amount: Amount
        let currency: CurrencyCode
        let from: (category: TransactionCategory, pending: Bool)
        let to: (category: TransactionCategory, pending: Bool)
    }

    /// Moves each transaction from its old labels' row of its month to its new labels' row, in order:
    /// the new row gains it (made if need be), the old one loses it (and goes when it held only that
    /// one). Three small statements a move on SQLite, one statement for all of a batch's moves on
    /// PostgreSQL, where summing the account's month again read every row of it. The caller applies
    /// these after adding rows inserted in the same unit and before summing any month again, which
    /// then starts from the ledger itself.
    static func move(_ moves: [Move], userID: UUID, on db: any Database) async throws {
        if db.engine == .postgres { return try await moveAtOnce(moves, userID: userID, on: db) }
        let cast = SQLQueryString(db.engine.cast(to: .transactionCategory))
        let now = SQLQueryString(db.engine.now)
        for move in moves {
            let month = move.date.startOfMonth
            let moneyIn = move.amount > .zero ? move.amount : .zero
            let moneyOut = move.amount < .zero ? move.amount.magnitude : .zero
            try await db.sql.raw("""
                INSERT INTO month_totals (\(columns))
                VALUES (\(bind: userID), \(bind: move.accountID), \(bind: month), \(bind: move.to.category.rawValue)\(cast), \(bind: move.to.pending),
                        \(bind: move.currency), \(bind: moneyIn), \(bind: moneyOut), 1)
                \(addingOnConflict(db.engine))
                """).run()
            let old: SQLQueryString = """
                user_id = \(bind: userID) AND account_id = \(bind: move.accountID) AND month = \(bind: month)
                AND category = \(bind: move.from.category.rawValue)\(cast) AND pending = \(bind: move.from.pending) AND currency = \(bind: move.currency)
                """
            try await db.sql.raw("DELETE FROM month_totals WHERE \(old) AND count = 1").run()
            try await db.sql.raw("""
                UPDATE month_totals SET money_in = money_in - \(bind: moneyIn), money_out = money_out - \(bind: moneyOut), count = count - 1,
                    updated_at = \(now)
                WHERE \(old) AND count > 1
                """).run()
        }
    }

    /// PostgreSQL: the moves of a batch as one statement. What they move is netted per row first
    /// (two changes of a batch may meet on one row); then, on the rows the table has, a row left
    /// holding nothing goes and the others take what moved, and the rows it lacks are inserted. The
    /// three parts read the table as it was before the statement, so each row is written by one of
    /// them; the unit of work holds the user's ledger, so no other writer adds a row meanwhile.
    private static func moveAtOnce(_ moves: [Move], userID: UUID, on db: any Database) async throws {
        var net: [Key: Sums] = [:]
        func shift(_ key: Key, _ move: Move, by sign: Int) throws {
            var sum = net[key] ?? (.zero, .zero, 0)
            let moved = sign > 0 ? move.amount.magnitude : move.amount.magnitude.negated
            let total = move.amount > .zero ? sum.moneyIn.adding(moved) : sum.moneyOut.adding(moved)
            guard let total else { throw MoneyError.outOfRange }
            if move.amount > .zero { sum.moneyIn = total } else if move.amount < .zero { sum.moneyOut = total }
            sum.count += sign
            net[key] = sum
        }
        for move in moves {
            let month = move.date.startOfMonth
            try shift(Key(account: move.accountID, month: month, category: move.to.category, pending: move.to.pending, currency: move.currency), move, by: 1)
            try shift(Key(account: move.accountID, month: month, category: move.from.category, pending: move.from.pending, currency: move.currency), move, by: -1)
        }
        let entries = net.filter { $0.value.count != 0 || !$0.value.moneyIn.isZero || !$0.value.moneyOut.isZero }.map { $0 }
        guard !entries.isEmpty else { return }
        let row: SQLQueryString = """
            m.user_id = \(bind: userID) AND m.account_id = d.account_id AND m.month = d.month AND m.category = d.category
            AND m.pending = d.pending AND m.currency = d.currency
            """
        try await db.sql.raw("""
            WITH d AS MATERIALIZED (\(unnested(entries))),
            emptied AS (
                DELETE FROM month_totals m USING d WHERE \(row) AND m.count + d.count = 0 RETURNING m.month),
            kept AS (
                UPDATE month_totals m SET money_in = m.money_in + d.money_in, money_out = m.money_out + d.money_out,
                    count = m.count + d.count, updated_at = \(unsafeRaw: db.engine.now)
                FROM d WHERE \(row) AND m.count + d.count <> 0 RETURNING m.month)
            INSERT INTO month_totals (\(columns))
            SELECT \(bind: userID), d.account_id, d.month, d.category, d.pending, d.currency, d.money_in, d.money_out, d.count
            FROM d WHERE NOT EXISTS (SELECT 1 FROM month_totals m WHERE \(row))
            """).run()
    }

    /// Sums the months that `spans` touch again from the ledger: for each account, exactly the months
    /// its spans touch (runs of months apart from each other stay apart: a batch of writes on days
    /// far apart sums a few months, not every month between them).
    static func refresh(userID: UUID, _ spans: [Span], on db: any Database) async throws {
        for span in merged(spans) {
            var kept: SQLQueryString = "user_id = \(bind: userID)"
            var ledger: SQLQueryString = "user_id = \(bind: userID)"
            if let account = span.accountID {
                kept += " AND account_id = \(bind: account)"
                ledger += " AND account_id = \(bind: account)"
            }
            if span.days != nil {
                let runs = monthRuns(spans.filter { $0.accountID == span.accountID || span.accountID == nil }.compactMap(\.days))
                kept += " AND (" + runs.map { "(month >= \(bind: $0.lowerBound) AND month <= \(bind: $0.upperBound))" as SQLQueryString }
                    .joined(separator: " OR ") + ")"
                ledger += " AND (" + runs.map { "(date >= \(bind: $0.lowerBound) AND date <= \(bind: $0.upperBound.endOfMonth))" as SQLQueryString }
                    .joined(separator: " OR ") + ")"
            }
            let month = SQLQueryString(db.engine.monthStart(of: "date"))
            try await db.sql.raw("DELETE FROM month_totals WHERE \(kept)").run()
            try await db.sql.raw("""
                INSERT INTO month_totals (\(columns))
                SELECT user_id, account_id, \(month), category, pending, currency,
                       sum(CASE WHEN amount > 0 THEN amount ELSE 0 END), sum(CASE WHEN amount < 0 THEN -amount ELSE 0 END), count(*)
                FROM transactions WHERE \(ledger)
                GROUP BY user_id, account_id, \(month), category, pending, currency
                """).run()
        }
    }

    /// The months `ranges` touch, as runs of consecutive months (first day of the first month to the
    /// first day of the last); past `limit` runs, one run from the first month to the last.
    static func monthRuns(_ ranges: [ClosedRange<LocalDate>], limit: Int = 32) -> [ClosedRange<LocalDate>] {
        var runs: [ClosedRange<LocalDate>] = []
        for range in ranges.map({ $0.lowerBound.startOfMonth...$0.upperBound.startOfMonth }).sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = runs.last, range.lowerBound <= last.upperBound.endOfMonth.adding(days: 1) {
                runs[runs.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                runs.append(range)
            }
        }
        guard runs.count > limit, let first = runs.first, let last = runs.last else { return runs }
        return [first.lowerBound...last.upperBound]
    }

    /// One span per account covering every day any of its spans touched; a span of every account
    /// swallows the others.
    static func merged(_ spans: [Span]) -> [Span] {
        if spans.contains(where: { $0.accountID == nil }) {
            return [Span(accountID: nil, days: spans.contains { $0.days == nil } ? nil : hull(spans.compactMap(\.days)))]
        }
        return LedgerChange.merged(spans.compactMap { span in span.accountID.map { LedgerChange(accountID: $0, days: span.days) } })
            .map { Span(accountID: $0.accountID, days: $0.days) }
    }

    private static func hull(_ ranges: [ClosedRange<LocalDate>]) -> ClosedRange<LocalDate>? {
        guard let first = ranges.map(\.lowerBound).min(), let last = ranges.map(\.upperBound).max() else { return nil }
        return first...last
    }
}
