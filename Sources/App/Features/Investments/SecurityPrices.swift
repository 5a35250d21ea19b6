import FinanceCore
import Fluent
import Foundation
import SQLKit

/// A security's closing prices in `security_prices`, and its latest price kept on the security: the
/// one writer of the table, for prices entered by hand and prices a Plaid sync brings. Portfolios
/// holding the security are valued again when the unit of work settles.
enum SecurityPrices {
    static func save(_ prices: [(date: LocalDate, close: Price)], of investment: Investment, in scope: UserScope) async throws -> Int {
        let id = try investment.requireID()
        var byDay: [LocalDate: Price] = [:]
        for price in prices { byDay[price.date] = price.close }
        let days = byDay.keys.sorted()
        let now = scope.db.engine.now
        try await scope.db.sql.runInChunks(days, row: { day in
            "(\(bind: UUID.timeOrdered()), \(bind: scope.userID), \(bind: id), \(bind: day), \(bind: byDay[day]!))"
        }, statement: { values in
            """
            INSERT INTO security_prices (id, user_id, investment_id, date, close) VALUES \(values)
            ON CONFLICT (investment_id, date) DO UPDATE SET close = excluded.close, updated_at = \(unsafeRaw: now)
            """
        })
        let latest = try await scope.db.sql.raw("""
            SELECT date, close FROM security_prices WHERE investment_id = \(bind: id) ORDER BY date DESC LIMIT 1
            """).first()
        investment.latestPrice = try latest?.decode(column: "close", as: Price.self)
        investment.latestPriceDate = try latest?.decode(column: "date", as: LocalDate.self)
        if investment.hasChanges { try await investment.update(on: scope.db) }
        scope.changes.pricesChanged(of: id)
        return days.count
    }
}
