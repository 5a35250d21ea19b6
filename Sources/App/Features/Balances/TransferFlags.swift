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
        var candidates = try rows.map(Candidate.init)
        let matched = Set(candidates.filter { $0.amount < .zero }.map { Money($0.amount.magnitude, $0.currency) })
        if !matched.isEmpty {
            let inflows = try await db.sql.raw("""
                SELECT \(columns) FROM transactions
                WHERE \(filter) AND is_transfer = \(bind: false) AND amount > 0 AND \(amountIn(Set(matched.map(\.amount)), db))
                """).all()
            candidates += try inflows.map(Candidate.init).filter { matched.contains(Money($0.amount, $0.currency)) }
        }
        return try await apply(candidates, within: inner.map { [$0] }, on: db)
    }

    /// After a write that only inserted `inserted`: the same flags, with work in proportion to the new
    /// rows rather than to the days they span. Pairs form within one (currency, magnitude) class, and a
    /// class's pairing can only change if some new row has a partner of the opposite sign, in another
    /// account, within the window; the other classes keep their pairs. So one read finds the rows that
    /// could partner a new one, and only the classes where one does are paired again.
    @discardableResult
    static func refresh(userID: UUID, inserted: [NewTransactionRow], on db: any Database) async throws -> Set<LocalDate> {
        let window = TransferMatcher.window
        let rows = inserted.filter { !$0.amount.isZero }
        // Rows far apart (a batch of writes across a year) are read around each cluster of days, not
        // across everything between.
        let regions = regions(around: rows.map(\.date), window: window)
        guard !regions.isEmpty else { return [] }
        // The rows of `amounts` in the regions widened by `days`.
        func read(within days: Int, amounts: Set<Amount>) async throws -> [any SQLRow] {
            try await db.sql.raw(regionsQuery(userID: userID, regions: regions, widenedBy: days, amounts: amounts, engine: db.engine)).all()
        }

        // The new rows by class and side, in date order.
        var newRows: [ClassSide: [(date: LocalDate, accountID: UUID)]] = [:]
        for row in rows {
            newRows[ClassSide(money: Money(row.amount.magnitude, row.currency), inflow: row.amount > .zero), default: []]
                .append((row.date, row.accountID))
        }
        for key in newRows.keys { newRows[key]!.sort { $0.date < $1.date } }

        // In one read: inflows of what a new outflow sends, and outflows of what a new inflow receives.
        let partnerAmounts = Set(newRows.keys.map { $0.inflow ? $0.money.amount.negated : $0.money.amount })
        // A partner of a new row lies within the window of it, so within its region.
        let partners = try await read(within: 0, amounts: partnerAmounts)
        var active: Set<Money> = []
        for row in partners {
            let candidate = try Candidate(row)
            let money = Money(candidate.amount.magnitude, candidate.currency)
            guard !active.contains(money), let opposite = newRows[ClassSide(money: money, inflow: candidate.amount < .zero)] else { continue }
            // The new rows of the other side within the window of this one, from the first on or after its start.
            let from = candidate.date.adding(days: -window), through = candidate.date.adding(days: window)
            var low = 0, high = opposite.count
            while low < high {
                let middle = (low + high) / 2
                if opposite[middle].date < from { low = middle + 1 } else { high = middle }
            }
            while low < opposite.count, opposite[low].date <= through {
                if opposite[low].accountID != candidate.accountID {
                    active.insert(money)
                    break
                }
                low += 1
            }
        }
        guard !active.isEmpty else { return [] }
        let classAmounts = Set(active.flatMap { [$0.amount, $0.amount.negated] })
        // A class paired again needs the rows a window beyond.
        let classRows = try await read(within: window, amounts: classAmounts)
        let classes = try classRows.map(Candidate.init).filter { active.contains(Money($0.amount.magnitude, $0.currency)) }
        return try await apply(classes, within: regions, on: db)
    }

    /// The user's rows of `amounts` in `regions` widened by `days` either side (regions that do not
    /// overlap once widened): one SELECT for each region, so that each reads its days by
    /// `(user_id, date)`. With the ranges ORed in one, SQLite without statistics read all the user's
    /// rows by another index instead (3.6 ms against 0.4 over five regions of a 20,000-row ledger).
    static func regionsQuery(userID: UUID, regions: [ClosedRange<LocalDate>], widenedBy days: Int, amounts: Set<Amount>,
                             engine: DatabaseEngine) -> SQLQueryString {
        let selects = regions.map { region in
            """
            SELECT \(columns) FROM transactions WHERE user_id = \(bind: userID)
            AND date >= \(bind: region.lowerBound.adding(days: -days)) AND date <= \(bind: region.upperBound.adding(days: days))
            AND amount IN (SELECT value FROM amounts)
            """ as SQLQueryString
        }
        return "WITH amounts (value) AS (\(amountList(amounts, engine))) \(selects.joined(separator: " UNION ALL "))"
    }

    /// The days whose flags new rows on `days` can change (each day and `window` days either side), as
    /// separate regions where they lie far enough apart that no pair can span two of them (each
    /// region's candidates, `window` days wider again, end more than `window` days before the next
    /// one's begin); past `limit` regions, one from the first day to the last.
    static func regions(around days: [LocalDate], window: Int, limit: Int = 64) -> [ClosedRange<LocalDate>] {
        var regions: [ClosedRange<LocalDate>] = []
        for day in Set(days).sorted() {
            let region = day.adding(days: -window)...day.adding(days: window)
            if let last = regions.last, region.lowerBound.adding(days: -window) <= last.upperBound.adding(days: 2 * window) {
                regions[regions.count - 1] = last.lowerBound...region.upperBound
            } else {
                regions.append(region)
            }
        }
        guard regions.count > limit, let first = regions.first, let last = regions.last else { return regions }
        return [first.lowerBound...last.upperBound]
    }

    private static let columns: SQLQueryString = "id, account_id, date, amount, currency, is_transfer"

    /// A (currency, magnitude) class, and which side of it a row is on.
    private struct ClassSide: Hashable {
        let money: Money
        let inflow: Bool
    }

    /// The condition that a row's amount is one of `amounts`, with one bound parameter rather than one
    /// per amount, so that a whole file's amounts fit in one statement.
    private static func amountIn(_ amounts: Set<Amount>, _ db: any Database) -> SQLQueryString {
        "amount IN (\(amountList(amounts, db.engine)))"
    }

    /// `amounts` as a one-column query, from one bound parameter.
    private static func amountList(_ amounts: Set<Amount>, _ engine: DatabaseEngine) -> SQLQueryString {
        let sorted = amounts.sorted()
        switch engine {
        case .postgres:
            return "SELECT unnest(\(bind: sorted.map(\.description))::numeric[])"
        case .sqlite:
            // SQLite keeps amounts as integer units.
            return "SELECT value FROM json_each(\(bind: "[" + sorted.map { String($0.units) }.joined(separator: ",") + "]"))"
        }
    }

    private struct Candidate {
        let id: UUID
        let accountID: UUID
        let date: LocalDate
        let amount: Amount
        let currency: CurrencyCode
        let isTransfer: Bool

        init(_ row: any SQLRow) throws {
            id = try row.decode(column: "id", as: UUID.self)
            accountID = try row.decode(column: "account_id", as: UUID.self)
            date = try row.decode(column: "date", as: LocalDate.self)
            amount = try row.decode(column: "amount", as: Amount.self)
            currency = try row.decode(column: "currency", as: CurrencyCode.self)
            isTransfer = try row.decode(column: "is_transfer", as: Bool.self)
        }
    }

    /// Pairs `candidates` and writes the flags that changed of those dated within `inner`'s ranges (of all of them
    /// when nil); answers the days those are on.
    private static func apply(_ candidates: [Candidate], within inner: [ClosedRange<LocalDate>]?, on db: any Database) async throws -> Set<LocalDate> {
        var entries: [TransferMatcher.Entry] = []
        var flagged: [String: (date: LocalDate, flag: Bool)] = [:]
        for candidate in candidates {
            let id = candidate.id.uuidString
            entries.append(TransferMatcher.Entry(
                id: id, accountID: candidate.accountID.uuidString, date: candidate.date, amount: candidate.amount, currency: candidate.currency))
            flagged[id] = (candidate.date, candidate.isTransfer)
        }
        let paired = TransferMatcher.pairedIDs(entries, window: TransferMatcher.window)
        var set: [UUID] = [], clear: [UUID] = []
        var days: Set<LocalDate> = []
        for (id, state) in flagged where inner.map({ $0.contains { $0.contains(state.date) } }) ?? true {
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
