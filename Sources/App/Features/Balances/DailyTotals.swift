import FinanceCore
import Fluent
import Foundation
import SQLKit

/// Keeps `daily_totals` equal to the ledger's money in and money out per day, category and currency,
/// transfers left out. After a write, the touched days (widened by the transfer window, whose flags
/// may have moved) are summed again from `transactions`.
enum DailyTotals {
    static func refresh(userID: UUID, around ranges: [ClosedRange<LocalDate>?], on db: any Database) async throws {
        guard !ranges.isEmpty else { return }
        var days: SQLQueryString = ""
        if !ranges.contains(where: { $0 == nil }) {
            let known = ranges.compactMap { $0 }
            let window = TransferMatcher.window
            let first = known.map(\.lowerBound).min()!.adding(days: -window), last = known.map(\.upperBound).max()!.adding(days: window)
            days = " AND date >= \(bind: first) AND date <= \(bind: last)"
        }
        try await db.sql.raw("DELETE FROM daily_totals WHERE user_id = \(bind: userID)\(days)").run()
        let id: SQLQueryString = db.engine == .postgres ? "gen_random_uuid()" : "randomblob(16)"
        try await db.sql.raw("""
            INSERT INTO daily_totals (id, user_id, date, category, currency, money_in, money_out, count_in, count_out)
            SELECT \(id), user_id, date, category, currency,
                   sum(CASE WHEN amount > 0 THEN amount ELSE 0 END), sum(CASE WHEN amount < 0 THEN -amount ELSE 0 END),
                   sum(CASE WHEN amount > 0 THEN 1 ELSE 0 END), sum(CASE WHEN amount < 0 THEN 1 ELSE 0 END)
            FROM transactions
            WHERE user_id = \(bind: userID)\(days) AND is_transfer = \(bind: false) AND category NOT IN ('TRANSFER_IN', 'TRANSFER_OUT')
            GROUP BY user_id, date, category, currency
            """).run()
    }
}
