import FinanceCore
import Fluent
import Foundation
import SQLKit

/// A user's exchange rates in `fx_rates`.
struct ExchangeRateStore: Sendable {
    let userID: UUID
    let db: any Database

    /// Every rate of the user, for conversions.
    func table() async throws -> ExchangeRateTable {
        ExchangeRateTable(try await list(base: nil, quote: nil, from: nil, to: nil, limit: nil))
    }

    func list(base: CurrencyCode?, quote: CurrencyCode?, from: LocalDate?, to: LocalDate?, limit: Int?) async throws -> [ExchangeRateQuote] {
        var sql: SQLQueryString = "SELECT date, base, quote, rate FROM fx_rates WHERE user_id = \(bind: userID)"
        if let base { sql += " AND base = \(bind: base)" }
        if let quote { sql += " AND quote = \(bind: quote)" }
        if let from { sql += " AND date >= \(bind: from)" }
        if let to { sql += " AND date <= \(bind: to)" }
        sql += " ORDER BY base, quote, date"
        if let limit { sql += " LIMIT \(literal: limit)" }
        return try await db.sql.raw(sql).all().map { row in
            ExchangeRateQuote(
                date: try row.decode(column: "date", as: LocalDate.self), base: try row.decode(column: "base", as: CurrencyCode.self),
                quote: try row.decode(column: "quote", as: CurrencyCode.self), rate: try row.decode(column: "rate", as: ExchangeRate.self))
        }
    }

    /// Saves the rates, each replacing any of the same pair and day, and answers how many were saved.
    func save(_ quotes: [ExchangeRateQuote]) async throws -> Int {
        // Later duplicates win, as in `ExchangeRateTable`.
        var unique: [String: ExchangeRateQuote] = [:]
        var order: [String] = []
        for quote in quotes {
            let key = "\(quote.base)\(quote.quote)\(quote.date)"
            if unique[key] == nil { order.append(key) }
            unique[key] = quote
        }
        let rows = order.map { unique[$0]! }
        let now = TableSchema.nowSQL(db.engine)
        try await db.sql.runInChunks(rows, row: { quote in
            "(\(bind: UUID.timeOrdered()), \(bind: userID), \(bind: quote.date), \(bind: quote.base), \(bind: quote.quote), \(bind: quote.rate))"
        }, statement: { values in
            """
            INSERT INTO fx_rates (id, user_id, date, base, quote, rate) VALUES \(values)
            ON CONFLICT (user_id, base, quote, date) DO UPDATE SET rate = excluded.rate, updated_at = \(unsafeRaw: now)
            """
        })
        return rows.count
    }
}
