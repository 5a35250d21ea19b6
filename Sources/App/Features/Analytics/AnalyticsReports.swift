import FinanceCore
import Fluent
import Foundation
import SQLKit

/// Spending, cash flow and recurring charges of one user, in the base currency. Transfers (by
/// category, or flagged by `TransferFlags`) are left out of all three.
///
/// Sums by category and by month read `daily_totals` (one row per day, category and currency: about
/// 75,000 rows for ten years of a million transactions) through its unique index:
///   PostgreSQL: Index Scan using daily_totals_user_id_date_category_currency_key → HashAggregate
///   SQLite:     SEARCH daily_totals USING INDEX sqlite_autoindex_daily_totals_1 (user_id=? AND date>? AND date<?)
/// Sums by merchant, and recurring charges, read `transactions` over `transactions_user_date_idx`.
/// Amounts in the base currency are summed as they are; the others are summed per day and converted
/// at each day's rate.
struct AnalyticsReports: Sendable {
    let userID: UUID
    let db: any Database

    enum Grouping: String, Sendable { case category, merchant, month }

    struct Sums: Sendable {
        var groups: [String: (total: Amount, count: Int)] = [:]
        var unconverted: [CurrencyCode: (total: Amount, count: Int)] = [:]
    }

    /// Money out, as positive sums, per group.
    func spending(from: LocalDate, to: LocalDate, by grouping: Grouping, base: CurrencyCode, rates: @Sendable () async throws -> ExchangeRateTable) async throws -> Sums {
        switch grouping {
        case .category:
            let key = SQLQueryString(db.engine.text(ofEnum: "category"))
            return try await sums(key: key, value: "money_out", count: "count_out", table: "daily_totals",
                                  filter: period(from, to) + " AND count_out > 0", base: base, rates: rates)
        case .month:
            return try await sums(key: monthKey, value: "money_out", count: "count_out", table: "daily_totals",
                                  filter: period(from, to) + " AND count_out > 0", base: base, rates: rates)
        case .merchant:
            return try await sums(key: "coalesce(merchant_name, description)", value: "-amount", count: "1", table: "transactions",
                                  filter: notTransfer(from: from, to: to) + " AND amount < 0", base: base, rates: rates)
        }
    }

    /// Per month: income (money in) and expenses (money out, positive).
    func cashflow(from: LocalDate, to: LocalDate, base: CurrencyCode, rates: @Sendable () async throws -> ExchangeRateTable) async throws -> (income: Sums, expenses: Sums) {
        let income = try await sums(key: monthKey, value: "money_in", count: "count_in", table: "daily_totals",
                                    filter: period(from, to) + " AND count_in > 0", base: base, rates: rates)
        let expenses = try await sums(key: monthKey, value: "money_out", count: "count_out", table: "daily_totals",
                                      filter: period(from, to) + " AND count_out > 0", base: base, rates: rates)
        return (income, expenses)
    }

    /// Charges (money out, not transfers) since `since`, one per merchant, currency and day.
    func charges(since: LocalDate) async throws -> [RecurringCharges.Charge] {
        let rows = try await db.sql.raw("""
            SELECT coalesce(merchant_name, description) AS merchant, currency, date, -sum(amount) AS total
            FROM transactions WHERE \(notTransfer(from: since, to: nil)) AND amount < 0
            GROUP BY coalesce(merchant_name, description), currency, date
            """).all()
        return try rows.map { row in
            RecurringCharges.Charge(
                merchant: try row.decode(column: "merchant", as: String.self), date: try row.decode(column: "date", as: LocalDate.self),
                amount: try row.decode(column: "total", as: Amount.self), currency: try row.decode(column: "currency", as: CurrencyCode.self))
        }
    }

    private var monthKey: SQLQueryString {
        SQLQueryString(db.engine.yearMonth(of: "date"))
    }

    private func notTransfer(from: LocalDate, to: LocalDate?) -> SQLQueryString {
        var sql: SQLQueryString = "user_id = \(bind: userID) AND date >= \(bind: from)"
        if let to { sql += " AND date <= \(bind: to)" }
        sql += " AND is_transfer = \(bind: false) AND category NOT IN ('TRANSFER_IN', 'TRANSFER_OUT')"
        return sql
    }

    private func period(_ from: LocalDate, _ to: LocalDate) -> SQLQueryString {
        "user_id = \(bind: userID) AND date >= \(bind: from) AND date <= \(bind: to)"
    }

    /// `sum(value)` and `sum(count)` of `table`'s rows matching `filter`, per `key`, in the base currency.
    private func sums(key: SQLQueryString, value: SQLQueryString, count: SQLQueryString, table: String, filter: SQLQueryString,
                      base: CurrencyCode, rates: @Sendable () async throws -> ExchangeRateTable) async throws -> Sums {
        var result = Sums()
        let inBase = try await db.sql.raw("""
            SELECT \(key) AS key, sum(\(value)) AS total, CAST(sum(\(count)) AS BIGINT) AS n FROM \(unsafeRaw: table)
            WHERE \(filter) AND currency = \(bind: base) GROUP BY \(key)
            """).all()
        for row in inBase {
            try add(&result.groups, try row.decode(column: "key", as: String.self),
                    try row.decode(column: "total", as: Amount.self), try row.decode(column: "n", as: Int.self))
        }
        let foreign = try await db.sql.raw("""
            SELECT \(key) AS key, currency, date, sum(\(value)) AS total, CAST(sum(\(count)) AS BIGINT) AS n FROM \(unsafeRaw: table)
            WHERE \(filter) AND currency <> \(bind: base) GROUP BY \(key), currency, date
            """).all()
        // Rates are read only when some amount needs converting.
        let table = foreign.isEmpty ? ExchangeRateTable([]) : try await rates()
        for row in foreign {
            let currency = try row.decode(column: "currency", as: CurrencyCode.self)
            let total = try row.decode(column: "total", as: Amount.self), count = try row.decode(column: "n", as: Int.self)
            if let converted = table.convert(total, from: currency, to: base, on: try row.decode(column: "date", as: LocalDate.self)) {
                try add(&result.groups, try row.decode(column: "key", as: String.self), converted, count)
            } else {
                try add(&result.unconverted, currency, total, count)
            }
        }
        return result
    }

    private func add<Key: Hashable>(_ sums: inout [Key: (total: Amount, count: Int)], _ key: Key, _ amount: Amount, _ count: Int) throws {
        let current = sums[key] ?? (.zero, 0)
        guard let total = current.total.adding(amount) else { throw MoneyError.outOfRange }
        sums[key] = (total, current.count + count)
    }
}
