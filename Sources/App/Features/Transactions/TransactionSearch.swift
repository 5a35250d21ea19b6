import Foundation
import FinanceCore
import Fluent
import SQLKit

/// The ledger search: combinable filters, newest-first keyset pages, and the totals of the whole
/// filtered set, in SQL that both databases run on their indexes.
///
/// The page query walks `transactions_user_date_idx` (user_id, date DESC, id DESC) backwards from the
/// cursor and stops after `limit + 1` rows, so a page costs the same on page 1 and page 20,000.
struct TransactionSearch: Sendable {
    var accountIDs: [UUID] = []
    var from: LocalDate?
    var to: LocalDate?
    var categories: [TransactionCategory] = []
    var minAmount: Amount?
    var maxAmount: Amount?
    var pending: Bool?
    var text: String?

    init() {}

    /// The filters as the API's query parameters give them; every bad value is named in one 422.
    init(accountIDs: [String]?, from: String?, to: String?, categories: [String]?, minAmount: String?, maxAmount: String?,
         pending: Bool?, text: String?) throws {
        var form = FieldValidator()
        self.accountIDs = (accountIDs ?? []).compactMap { form.uuid($0, field: "account_id") }
        self.from = form.date(from, field: "from")
        self.to = form.date(to, field: "to")
        self.categories = (categories ?? []).compactMap(TransactionCategory.init(rawValue:))
        self.minAmount = form.amount(minAmount, field: "min_amount")
        self.maxAmount = form.amount(maxAmount, field: "max_amount")
        self.pending = pending
        self.text = form.text(text, field: "q", max: 200)
        if let from = self.from, let to = self.to, from > to { form.fail("to", "is before from") }
        try form.check()
    }

    /// The position after which a page starts: the last row of the previous page.
    struct Position: Sendable, Equatable {
        let date: LocalDate
        let id: UUID
    }

    /// The statement of a page (the plan tests read its plan).
    func pageQuery(userID: UUID, after position: Position?, limit: Int, engine: DatabaseEngine) -> SQLQueryString {
        var sql: SQLQueryString = "SELECT \(unsafeRaw: TransactionRecord.columns.joined(separator: ", ")) FROM transactions WHERE \(conditions(userID: userID, engine: engine))"
        if let position {
            // A row-value comparison: both databases turn it into one range of the index.
            sql += " AND (date, id) < (\(bind: position.date), \(bind: position.id))"
        }
        sql += " ORDER BY date DESC, id DESC LIMIT \(literal: limit)"
        return sql
    }

    /// PostgreSQL plans a page with these off (see `page`), inside its transaction, and back on after.
    static func pagePlannerSettings(_ value: Bool) -> SQLQueryString {
        let setting = value ? "on" : "off"
        return "SELECT set_config('enable_bitmapscan', \(literal: setting), true), set_config('enable_sort', \(literal: setting), true), set_config('jit', \(literal: setting), true)"
    }

    func page(userID: UUID, after position: Position?, limit: Int, on db: any Database) async throws -> [TransactionRecord] {
        let sql = pageQuery(userID: userID, after: position, limit: limit, engine: db.engine)
        guard db.engine == .postgres else { return try await db.sql.raw(sql).all().map(TransactionRecord.init(row:)) }
        // PostgreSQL keeps its column statistics from the planner for operators that are not leakproof
        // on a table under row-level security, so it estimates a text or amount filter at a fraction of
        // a percent and plans a bitmap scan of every candidate row plus a sort (70 ms over a year of a
        // million-row ledger). A page wants the ordered index walk that stops after `limit` rows
        // (under 1 ms), so the page query alone runs with bitmap scans and sorts off, and without JIT
        // compilation, which the inflated cost estimate would otherwise buy for 5 ms a query:
        //   Limit -> Index Scan using transactions_user_date_idx  (user_id = $1 AND date >= $2)
        //            Filter: description ~~* '%coffee%' OR merchant_name ~~* '%coffee%'
        _ = try await db.sql.raw(Self.pagePlannerSettings(false)).all()
        let records: [TransactionRecord]
        if let rows = try await PostgresRows.all(sql, on: db) {
            records = try rows.map(TransactionRecord.init(postgres:))
        } else {
            records = try await db.sql.raw(sql).all().map(TransactionRecord.init(row:))
        }
        _ = try await db.sql.raw(Self.pagePlannerSettings(true)).all()
        return records
    }

    struct Totals: Sendable {
        let currency: CurrencyCode
        let moneyIn: Amount
        let moneyOut: Amount
        let count: Int

        init(currency: CurrencyCode, moneyIn: Amount, moneyOut: Amount, count: Int) {
            (self.currency, self.moneyIn, self.moneyOut, self.count) = (currency, moneyIn, moneyOut, count)
        }

        init(row: any SQLRow) throws {
            currency = try row.decode(column: "currency", as: CurrencyCode.self)
            moneyIn = try row.decode(column: "money_in", as: Amount.self)
            moneyOut = try row.decode(column: "money_out", as: Amount.self)
            count = try row.decode(column: "n", as: Int.self)
        }

        /// One total per currency, in currency order.
        static func merged(_ parts: [Totals]) throws -> [Totals] {
            var byCurrency: [CurrencyCode: Totals] = [:]
            for part in parts {
                guard let known = byCurrency[part.currency] else {
                    byCurrency[part.currency] = part
                    continue
                }
                guard let moneyIn = known.moneyIn.adding(part.moneyIn), let moneyOut = known.moneyOut.adding(part.moneyOut) else {
                    throw MoneyError.outOfRange
                }
                byCurrency[part.currency] = Totals(currency: part.currency, moneyIn: moneyIn, moneyOut: moneyOut, count: known.count + part.count)
            }
            return byCurrency.values.sorted { $0.currency.code < $1.currency.code }
        }
    }

    /// The totals of the whole filtered set. Filtered by accounts, categories, the pending flag and
    /// dates alone, they add up `month_totals` (kept by the unit of work) for the months wholly inside
    /// the dates, and the ledger's rows only for the days of the partial months at either end: at most
    /// two months of rows, whatever the size of the ledger. A text or amount filter sums the
    /// filtered rows themselves. Both ways give the same exact sums.
    /// Whether the totals of this search add up rollups; with a text or amount filter they need
    /// every matching row summed.
    var totalsFromRollups: Bool { (text ?? "").isEmpty && minAmount == nil && maxAmount == nil }

    func totals(userID: UUID, on db: any Database) async throws -> [Totals] {
        guard totalsFromRollups else {
            return try await summed(userID: userID, on: db)
        }
        // The months wholly inside the dates: from the first one starting on or after `from` to the
        // last one ending on or before `to`.
        let firstMonth = from.map { $0.day == 1 ? $0 : $0.endOfMonth.adding(days: 1) }
        let lastMonth = to.map { $0 == $0.endOfMonth ? $0.startOfMonth : $0.startOfMonth.adding(months: -1) }
        if let firstMonth, let lastMonth, firstMonth > lastMonth {
            // Not one whole month: at most two partial ones, summed from their rows.
            return try await summed(userID: userID, on: db)
        }
        var parts = try await rolledUp(userID: userID, months: firstMonth, lastMonth, on: db)
        if let from, let firstMonth, from < firstMonth {
            var edge = self
            edge.to = firstMonth.adding(days: -1)
            parts += try await edge.summed(userID: userID, on: db)
        }
        if let to, let lastMonth, to > lastMonth.endOfMonth {
            var edge = self
            edge.from = lastMonth.endOfMonth.adding(days: 1)
            parts += try await edge.summed(userID: userID, on: db)
        }
        return try Totals.merged(parts)
    }

    /// The totals summed from the filtered rows.
    private func summed(userID: UUID, on db: any Database) async throws -> [Totals] {
        let sql: SQLQueryString = """
            SELECT currency,
                   coalesce(sum(CASE WHEN amount > 0 THEN amount END), 0) AS money_in,
                   coalesce(sum(CASE WHEN amount < 0 THEN amount END), 0) AS money_out,
                   count(*) AS n
            FROM transactions WHERE \(conditions(userID: userID, engine: db.engine))
            GROUP BY currency ORDER BY currency
            """
        return try await db.sql.raw(sql).all().map(Totals.init(row:))
    }

    /// The totals of the months from `first` to `last` (each open when nil), added up from `month_totals`.
    private func rolledUp(userID: UUID, months first: LocalDate?, _ last: LocalDate?, on db: any Database) async throws -> [Totals] {
        try await db.sql.raw(rollupQuery(userID: userID, months: first, last, engine: db.engine)).all().map(Totals.init(row:))
    }

    /// The statement adding up `month_totals` (the plan tests read its plan).
    func rollupQuery(userID: UUID, months first: LocalDate?, _ last: LocalDate?, engine: DatabaseEngine) -> SQLQueryString {
        var sql: SQLQueryString = """
            SELECT currency, sum(money_in) AS money_in, -sum(money_out) AS money_out, CAST(sum(count) AS BIGINT) AS n
            FROM month_totals WHERE \(labelConditions(userID: userID, engine: engine))
            """
        if let first { sql += " AND month >= \(bind: first)" }
        if let last { sql += " AND month <= \(bind: last)" }
        sql += " GROUP BY currency ORDER BY currency"
        return sql
    }

    /// The filters `month_totals` keeps apart: the owner, accounts, categories and the pending flag.
    private func labelConditions(userID: UUID, engine: DatabaseEngine) -> SQLQueryString {
        var sql: SQLQueryString = "user_id = \(bind: userID)"
        if !accountIDs.isEmpty {
            sql += " AND account_id IN (\(binds: accountIDs))"
        }
        if !categories.isEmpty {
            // PostgreSQL compares an enum column with enum values, not with text.
            let cast = engine.cast(to: .transactionCategory)
            var list: SQLQueryString = ""
            for (index, category) in categories.enumerated() {
                if index > 0 { list += ", " }
                list += "\(bind: category.rawValue)\(unsafeRaw: cast)"
            }
            sql += " AND category IN (\(list))"
        }
        if let pending { sql += " AND pending = \(bind: pending)" }
        return sql
    }

    /// The WHERE clause: the owner always, then each filter that is set.
    func conditions(userID: UUID, engine: DatabaseEngine) -> SQLQueryString {
        var sql = labelConditions(userID: userID, engine: engine)
        if let from { sql += " AND date >= \(bind: from)" }
        if let to { sql += " AND date <= \(bind: to)" }
        if let minAmount { sql += " AND amount >= \(bind: minAmount)" }
        if let maxAmount { sql += " AND amount <= \(bind: maxAmount)" }
        if let text, !text.isEmpty {
            let pattern = "%" + Self.escapeLike(text) + "%"
            // SQLite's LIKE ignores the case of ASCII letters; PostgreSQL needs ILIKE for that.
            let like = engine.caseInsensitiveLike
            sql += " AND (description \(unsafeRaw: like) \(bind: pattern) ESCAPE '\\' OR merchant_name \(unsafeRaw: like) \(bind: pattern) ESCAPE '\\')"
        }
        return sql
    }

    /// Makes `%`, `_` and `\` in the user's text match themselves.
    static func escapeLike(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if character == "%" || character == "_" || character == "\\" { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }
}
