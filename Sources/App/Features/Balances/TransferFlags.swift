import FinanceCore
import Fluent
import Foundation
import SQLKit

/// Keeps `transactions.is_transfer` true exactly for the transactions that `TransferMatcher` pairs:
/// after a write, the pairing is worked out again over the touched days and the `TransferMatcher.window`
/// days either side (reading candidates three windows wide, so that every partner is seen), and the
/// flags that changed are written.
enum TransferFlags {
    /// Answers the days on which some transaction's flag changed.
    @discardableResult
    static func refresh(userID: UUID, around ranges: [ClosedRange<LocalDate>?], on db: any Database) async throws -> Set<LocalDate> {
        guard !ranges.isEmpty else { return [] }
        let window = TransferMatcher.window
        var inner: ClosedRange<LocalDate>?
        if !ranges.contains(where: { $0 == nil }) {
            let days = ranges.compactMap { $0 }
            inner = days.map(\.lowerBound).min()!.adding(days: -window)...days.map(\.upperBound).max()!.adding(days: window)
        }
        var filter: SQLQueryString = "user_id = \(bind: userID)"
        if let inner {
            filter += " AND date >= \(bind: inner.lowerBound.adding(days: -window)) AND date <= \(bind: inner.upperBound.adding(days: window))"
        }
        // Only amounts that occur both as money out and as money in can pair; the rest stay out of
        // memory (a whole imported history may hold a million rows, and few such amounts). Money in
        // is the rarer side, so the outflows are matched against it, then the inflows against them.
        let columns: SQLQueryString = "id, account_id, date, amount, currency, is_transfer"
        // Two statements rather than one with OR: PostgreSQL turns a lone IN (subquery) into a hash
        // semi-join, but with an OR beside it re-runs the subquery for every row. SQLite builds an
        // index of the subquery's rows once either way.
        var rows = try await db.sql.raw("""
            SELECT \(columns) FROM transactions WHERE \(filter) AND is_transfer = \(bind: true)
            """).all()
        rows += try await db.sql.raw("""
            SELECT \(columns) FROM transactions
            WHERE \(filter) AND is_transfer = \(bind: false) AND amount < 0 AND (currency, -amount) IN (
                SELECT currency, amount FROM transactions WHERE \(filter) AND amount > 0)
            """).all()
        var matched: Set<Money> = []
        for row in rows where try row.decode(column: "amount", as: Amount.self) < .zero {
            matched.insert(Money(try row.decode(column: "amount", as: Amount.self).magnitude,
                                 try row.decode(column: "currency", as: CurrencyCode.self)))
        }
        let keys = Array(matched)
        var start = 0
        while start < keys.count {
            var pairs: SQLQueryString = ""
            for (index, key) in keys[start..<min(start + 500, keys.count)].enumerated() {
                if index > 0 { pairs += ", " }
                pairs += "(\(bind: key.currency), \(bind: key.amount))"
            }
            rows += try await db.sql.raw("""
                SELECT \(columns) FROM transactions
                WHERE \(filter) AND is_transfer = \(bind: false) AND amount > 0 AND (currency, amount) IN (VALUES \(pairs))
                """).all()
            start += 500
        }
        var entries: [TransferMatcher.Entry] = []
        var flagged: [String: (date: LocalDate, flag: Bool)] = [:]
        for row in rows {
            let id = try row.decode(column: "id", as: UUID.self).uuidString
            let date = try row.decode(column: "date", as: LocalDate.self)
            entries.append(TransferMatcher.Entry(
                id: id, accountID: try row.decode(column: "account_id", as: UUID.self).uuidString, date: date,
                amount: try row.decode(column: "amount", as: Amount.self), currency: try row.decode(column: "currency", as: CurrencyCode.self)))
            flagged[id] = (date, try row.decode(column: "is_transfer", as: Bool.self))
        }
        let paired = TransferMatcher.pairedIDs(entries, window: window)
        var set: [UUID] = [], clear: [UUID] = []
        var days: Set<LocalDate> = []
        for (id, state) in flagged where inner.map({ $0.contains(state.date) }) ?? true {
            let should = paired.contains(id)
            guard should != state.flag, let uuid = UUID(uuidString: id) else { continue }
            if should { set.append(uuid) } else { clear.append(uuid) }
            days.insert(state.date)
        }
        for (ids, flag) in [(set, true), (clear, false)] {
            try await db.sql.runInChunks(ids, row: { "\(bind: $0)" }, statement: { list in
                "UPDATE transactions SET is_transfer = \(bind: flag) WHERE id IN (\(list))"
            })
        }
        return days
    }
}
