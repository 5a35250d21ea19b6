import FinanceCore
import Fluent
import Foundation
import SQLKit

/// `net_worth_days`: each user's summed snapshot changes per day and currency, assets and
/// liabilities apart, which the database's triggers on `balance_snapshots` keep (migration 0035).
/// What net worth history reads, one row a day, rather than every account's day.
enum NetWorthDays {
    /// One day's (or, carried in, many days') summed change in one currency.
    struct Sums: Sendable {
        let date: LocalDate?
        let currency: CurrencyCode
        let assets: Amount
        let liabilities: Amount
    }

    /// The user's sums written again from their snapshots, as a full rebuild does.
    static func rebuild(userID: UUID, on db: any Database) async throws {
        try await db.sql.raw("DELETE FROM net_worth_days WHERE user_id = \(bind: userID)").run()
        try await db.sql.raw("""
            INSERT INTO net_worth_days (user_id, date, currency, assets, liabilities)
            SELECT user_id, date, currency, \(sides(true))
            FROM balance_snapshots WHERE user_id = \(bind: userID) GROUP BY user_id, date, currency
            """).run()
    }

    /// The summed changes of the counted accounts from `from` to `to`, a row per day and currency,
    /// and everything before `from` in one row per currency (`date` nil). The accounts in `excluded`
    /// (hidden or closed) are taken off from their own snapshots:
    ///   PostgreSQL: Index Scan using net_worth_days_pkey (user_id, date); a table that holds one
    ///               user's days alone is read whole, a few hundred pages
    ///   SQLite:     SEARCH net_worth_days USING PRIMARY KEY (user_id=? AND date>? AND date<?)
    static func read(userID: UUID, from: LocalDate, to: LocalDate, excluding excluded: [UUID], on db: any Database) async throws -> [Sums] {
        let (carried, daily) = queries(userID: userID, from: from, to: to, excluding: excluded)
        var sums: [Sums] = []
        defer { PhaseTimes.mark("daily sums (decoding)") }
        for row in try await db.sql.raw(carried).all() {
            sums.append(Sums(date: nil, currency: try row.decode(column: "currency", as: CurrencyCode.self),
                             assets: try row.decode(column: "assets", as: Amount.self),
                             liabilities: try row.decode(column: "liabilities", as: Amount.self)))
        }
        PhaseTimes.mark("carried in")
        // PostgreSQL: the same statement through PostgresNIO, its rows decoded by position (SQLKit
        // looks each column up by name and casts its type on every value).
        if let rows = try await PostgresRows.all(daily, on: db) {
            PhaseTimes.mark("daily sums (SQL)")
            sums.reserveCapacity(sums.count + rows.count)
            for row in rows {
                let (date, currency, assets, liabilities) = try row.decode((LocalDate, CurrencyCode, Amount, Amount).self)
                sums.append(Sums(date: date, currency: currency, assets: assets, liabilities: liabilities))
            }
            return sums
        }
        let rows = try await db.sql.raw(daily).all()
        PhaseTimes.mark("daily sums (SQL)")
        sums.reserveCapacity(sums.count + rows.count)
        for row in rows {
            sums.append(Sums(date: try row.decode(column: "date", as: LocalDate.self), currency: try row.decode(column: "currency", as: CurrencyCode.self),
                             assets: try row.decode(column: "assets", as: Amount.self),
                             liabilities: try row.decode(column: "liabilities", as: Amount.self)))
        }
        return sums
    }

    /// The statements `read` runs: what `from` carries in, and the days from `from` to `to`.
    static func queries(userID: UUID, from: LocalDate, to: LocalDate, excluding excluded: [UUID]) -> (carried: SQLQueryString, daily: SQLQueryString) {
        var daily: SQLQueryString = """
            SELECT date, currency, assets, liabilities FROM net_worth_days
            WHERE user_id = \(bind: userID) AND date >= \(bind: from) AND date <= \(bind: to)
            """
        var carried: SQLQueryString = """
            SELECT currency, sum(assets) AS assets, sum(liabilities) AS liabilities FROM net_worth_days
            WHERE user_id = \(bind: userID) AND date < \(bind: from) GROUP BY currency
            """
        guard !excluded.isEmpty else { return (carried, daily) }
        let left: SQLQueryString = "user_id = \(bind: userID) AND account_id IN (\(binds: excluded))"
        daily = """
            SELECT date, currency, sum(assets) AS assets, sum(liabilities) AS liabilities FROM (
                \(daily)
                UNION ALL
                SELECT date, currency, \(sides(false)) FROM balance_snapshots
                WHERE \(left) AND date >= \(bind: from) AND date <= \(bind: to) GROUP BY date, currency
            ) AS days GROUP BY date, currency
            """
        carried = """
            SELECT currency, sum(assets) AS assets, sum(liabilities) AS liabilities FROM (
                SELECT currency, assets, liabilities FROM net_worth_days WHERE user_id = \(bind: userID) AND date < \(bind: from)
                UNION ALL
                SELECT currency, \(sides(false)) FROM balance_snapshots WHERE \(left) AND date < \(bind: from) GROUP BY currency
            ) AS days GROUP BY currency
            """
        return (carried, daily)
    }

    /// A snapshot's change summed as assets and liabilities, added or (`added` false) taken off.
    private static func sides(_ added: Bool) -> SQLQueryString {
        let sign = added ? "" : "-"
        return """
            \(unsafeRaw: sign)sum(CASE WHEN liability THEN 0 ELSE change END) AS assets, \(unsafeRaw: sign)sum(CASE WHEN liability THEN change ELSE 0 END) AS liabilities
            """
    }
}
