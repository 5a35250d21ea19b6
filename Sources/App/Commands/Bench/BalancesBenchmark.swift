import FinanceCore
import Fluent
import Foundation
import SQLKit
import Vapor

/// `finance bench balances`: the generated ledger (1,000,000 transactions in 30 accounts over 10
/// years by default) with its daily balance snapshots, and the dashboard's reads timed on it: the
/// overview, net worth history, spending and cash flow over the whole ten years, recurring charges,
/// and the incremental work of editing a past transaction.
struct BalancesBenchmark {
    let app: Application
    let shape: LedgerShape
    let console: any Console

    static let repetitions = 20

    func run() async throws {
        try await BenchDatabase.with(app: app) { database, _, engineName in
            let loaded = try await LedgerFixture.load(shape: shape, into: database)
            let userID = loaded.userID
            console.print("balances: \(engineName)")
            console.print("  data: 1 user, \(shape.accounts) accounts, \(shape.transactions.formatted()) transactions over \(shape.years) years, seed 42")
            let clock = ContinuousClock()
            var start = clock.now
            try await database.asUser(userID) { db in _ = try await BalanceSnapshots.rebuild(userID: userID, on: db) }
            let rebuild = clock.now - start
            start = clock.now
            try await database.asUser(userID) { db in try await TransferFlags.refresh(userID: userID, around: [nil], on: db) }
            let pairing = clock.now - start
            start = clock.now
            try await database.asUser(userID) { db in try await DailyTotals.refresh(userID: userID, around: [nil], on: db) }
            let totals = clock.now - start
            _ = try await database.sql.raw("ANALYZE balance_snapshots").all()
            _ = try await database.sql.raw("ANALYZE transactions").all()
            _ = try await database.sql.raw("ANALYZE daily_totals").all()
            let (snapshots, dailyRows) = try await database.asUser(userID) { db in
                (try await db.sql.raw("SELECT count(*) AS n FROM balance_snapshots").first()?.decode(column: "n", as: Int.self) ?? 0,
                 try await db.sql.raw("SELECT count(*) AS n FROM daily_totals").first()?.decode(column: "n", as: Int.self) ?? 0)
            }
            console.print("  snapshots: \(snapshots.formatted()) rows rebuilt from the ledger in \(LedgerBenchmark.seconds(rebuild)); "
                + "transfer pairing over the whole ledger in \(LedgerBenchmark.seconds(pairing)); "
                + "\(dailyRows.formatted()) daily totals in \(LedgerBenchmark.seconds(totals))")

            let last = LocalDate(year: 2024, month: 12, day: 31)!
            let first = LocalDate(year: 2025 - shape.years, month: 1, day: 1)!
            let cases: [(String, @Sendable (any Database) async throws -> Void)] = [
                ("overview (totals, by type, 30 accounts, changes over 1/30/365 days)", { db in
                    _ = try await BalanceReports(userID: userID, db: db).overview(today: last, includeHidden: false, includeClosed: false)
                }),
                ("net worth history, daily, \(shape.years) years", { db in
                    _ = try await BalanceReports(userID: userID, db: db).netWorth(from: first, to: last, interval: .day)
                }),
                ("net worth history, monthly, \(shape.years) years", { db in
                    _ = try await BalanceReports(userID: userID, db: db).netWorth(from: first, to: last, interval: .month)
                }),
                ("spending by category, \(shape.years) years", { db in
                    _ = try await AnalyticsReports(userID: userID, db: db).spending(from: first, to: last, by: .category, base: .usd, rates: { ExchangeRateTable([]) })
                }),
                ("spending by month, \(shape.years) years", { db in
                    _ = try await AnalyticsReports(userID: userID, db: db).spending(from: first, to: last, by: .month, base: .usd, rates: { ExchangeRateTable([]) })
                }),
                ("cash flow by month, \(shape.years) years", { db in
                    _ = try await AnalyticsReports(userID: userID, db: db).cashflow(from: first, to: last, base: .usd, rates: { ExchangeRateTable([]) })
                }),
                ("recurring charges, last 2 years", { db in
                    let charges = try await AnalyticsReports(userID: userID, db: db).charges(since: last.adding(days: -730))
                    _ = RecurringCharges.find(in: charges, asOf: last)
                }),
                ("edit one amount 3 months back (balance, snapshots after it, transfer flags)", { db in
                    let account = loaded.accounts[0]
                    let day = last.adding(months: -3)
                    try await db.sql.raw("""
                        UPDATE transactions SET amount = amount - 1 WHERE id = (SELECT id FROM transactions
                        WHERE account_id = \(bind: account) AND date >= \(bind: day) ORDER BY date, id LIMIT 1)
                        """).run()
                    let scope = UserScope(userID: userID, db: db, audit: AuditContext(userID: userID, requestID: "bench", clientAddress: nil))
                    scope.changes.transactionsChanged(in: account, days: day...day)
                    try await scope.settle()
                }),
            ]
            console.print("  \(Self.repetitions) runs each after a warm-up:")
            for (name, work) in cases {
                var times: [Duration] = []
                for run in 0...Self.repetitions {
                    let begin = clock.now
                    try await database.asUser(userID) { db in try await work(db) }
                    if run > 0 { times.append(clock.now - begin) }
                }
                console.print("    \(name): p50 \(LedgerBenchmark.ms(times, 50)) p99 \(LedgerBenchmark.ms(times, 99))")
            }
            try await loaded.remove(from: database)
        }
    }
}
