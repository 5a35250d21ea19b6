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
        // Only a new price or a changed one counts: the same closes brought again (each sync of a
        // bank repeats them) change nothing, and value no portfolio again.
        var changed = 0
        var start = 0
        while start < days.count {
            var values: SQLQueryString = ""
            for (index, day) in days[start..<min(start + 500, days.count)].enumerated() {
                if index > 0 { values += ", " }
                values += "(\(bind: UUID.timeOrdered()), \(bind: scope.userID), \(bind: id), \(bind: day), \(bind: byDay[day]!))"
            }
            changed += try await scope.db.sql.raw("""
                INSERT INTO security_prices (id, user_id, investment_id, date, close) VALUES \(values)
                ON CONFLICT (investment_id, date) DO UPDATE SET close = excluded.close, updated_at = \(unsafeRaw: now)
                WHERE security_prices.close <> excluded.close
                RETURNING id
                """).all().count
            start += 500
        }
        let latest = try await scope.db.sql.raw("""
            SELECT date, close FROM security_prices WHERE investment_id = \(bind: id) ORDER BY date DESC LIMIT 1
            """).first()
        investment.latestPrice = try latest?.decode(column: "close", as: Price.self)
        investment.latestPriceDate = try latest?.decode(column: "date", as: LocalDate.self)
        if investment.hasChanges { try await investment.update(on: scope.db) }
        if changed > 0 { scope.changes.pricesChanged(of: id) }
        return days.count
    }
}
