@testable import App
import FinanceCore
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor

/// The hot reads keep the plans they were built for once the ledger has real statistics: each walks
/// the index named here instead of scanning and sorting. The plans are read from the statements the
/// code runs, on a generated ledger of a few tens of thousands of rows beside another user's.
@Suite("Query plans of the hot reads")
struct QueryPlanTests {
    static let rows = 20_000

    /// How a plan is read: on PostgreSQL also as the generic plan of a prepared statement, which
    /// the server runs once a statement is run often (`PreparingSQLDatabase`): planned without its
    /// parameters' values.
    enum Planning: String, CustomTestStringConvertible, Sendable {
        case sqlite
        case postgres
        case postgresGeneric

        static var all: [Planning] {
            TestBackend.all.contains(.postgres) ? [.sqlite, .postgres, .postgresGeneric] : [.sqlite]
        }

        var backend: TestBackend { self == .sqlite ? .sqlite : .postgres }
        var testDescription: String { rawValue }
    }

    /// Whether `plan` reads the generic plan (PostgreSQL).
    @TaskLocal static var generic = false

    @Test("Pages, list totals, the overview and the history walk their indexes", arguments: Planning.all)
    func hotReadsUseTheirIndexes(_ planning: Planning) async throws {
        try await Self.$generic.withValue(planning == .postgresGeneric) { try await hotReads(planning.backend) }
    }

    func hotReads(_ backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let loaded = try await Self.twoLedgers { shape in
                let fixture = try await LedgerFixture.load(shape: shape, into: app.db)
                let audit = AuditContext(userID: fixture.userID, requestID: "plans", clientAddress: nil)
                try await app.ledger.write(for: fixture.userID, audit: audit) { scope in
                    _ = try await DerivedState.rebuild(userID: fixture.userID, in: scope)
                }
                return fixture
            }
            // An account's balance is summed by the account's index, with statistics or without
            // (SQLite has none until something analyzes it).
            let sumBefore = try await Self.plan(app, loaded[0].userID, LedgerBalances.ledgerSumQuery(of: loaded[0].accounts[0]))
            // Real statistics, as the databases' maintenance would have them.
            try await app.exec("ANALYZE")
            let sumAfter = try await Self.plan(app, loaded[0].userID, LedgerBalances.ledgerSumQuery(of: loaded[0].accounts[0]))
            for plan in [sumBefore, sumAfter] {
                #expect(plan.contains("transactions_account_date_idx"), "\(plan)")
            }
            let userID = loaded[0].userID
            let today = app.clock.today
            let engine = app.db.engine

            let everything = try TransactionSearch(accountIDs: nil, from: nil, to: nil, categories: nil,
                                                   minAmount: nil, maxAmount: nil, pending: nil, text: nil)
            let coffee = try TransactionSearch(accountIDs: nil, from: today.adding(months: -12).description, to: nil, categories: nil,
                                               minAmount: nil, maxAmount: nil, pending: nil, text: "coffee")
            let deep = TransactionSearch.Position(date: today.adding(months: -6), id: UUID())
            for (name, search, after) in [("first page", everything, nil), ("page deep down", everything, deep), ("coffee page", coffee, nil)] {
                let plan = try await Self.plan(app, userID, search.pageQuery(userID: userID, after: after, limit: 51, engine: engine), page: true)
                #expect(plan.contains("transactions_user_date_idx"), "\(name): \(plan)")
                #expect(!plan.contains("Sort") && !plan.contains("TEMP B-TREE"), "\(name) sorts: \(plan)")
            }

            let rollups = try await Self.plan(app, userID, everything.rollupQuery(userID: userID, months: nil, nil, engine: engine))
            // PostgreSQL names the index; SQLite's is the table's primary key, led by the owner.
            #expect(rollups.contains("month_totals_user_month_idx") || rollups.contains("month_totals_pkey")
                    || rollups.contains("SEARCH month_totals USING PRIMARY KEY (user_id=?"), "\(rollups)")
            #expect(!rollups.contains("Seq Scan") && !rollups.contains("SCAN month_totals\n"), "\(rollups)")

            let reports = BalanceReports(userID: userID, db: app.db)
            let overview = try await Self.plan(app, userID, reports.overviewQuery(days: [today.adding(days: -1), today.adding(days: -30)]))
            // One probe of the snapshots' (account, date) key a day: PostgreSQL names its constraint's
            // index, SQLite shows the probe.
            #expect(overview.contains("balance_snapshots_account_id_date") || overview.contains("(account_id=? AND date<?)"), "\(overview)")
            #expect(!overview.contains("Seq Scan on balance_snapshots") && !overview.contains("SCAN s\n"), "\(overview)")

            // A month of net worth history reads its days' sums by (user_id, date), and no account's
            // snapshots; what it carries in (nearly all of this small table) is summed from the sums alone.
            let (carried, daily) = NetWorthDays.queries(userID: userID, from: today.adding(days: -30), to: today, excluding: [])
            let days = try await Self.plan(app, userID, daily)
            #expect(days.contains("net_worth_days_pkey") || days.contains("SEARCH net_worth_days USING PRIMARY KEY (user_id=? AND date"), "\(days)")
            #expect(!days.contains("Seq Scan"), "\(days)")
            for plan in [days, try await Self.plan(app, userID, carried)] {
                #expect(!plan.contains("balance_snapshots"), "\(plan)")
            }
        }
    }

    @Test("The write path reads a few days of the ledger by (user_id, date), with the statistics of the load that brought it, or none",
          arguments: TestBackend.all)
    func writePathReadsUseTheUserDateIndex(_ backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let loaded = try await Self.twoLedgers { shape in
                let fixture = try await LedgerFixture.create(shape: shape, in: app.db)
                var generator = LedgerGenerator(shape: shape)
                let rows = generator.next(shape.transactions, userID: fixture.userID, accounts: fixture.accounts)
                // As an import brings a history in; nothing analyzes the tables but the write path itself.
                let audit = AuditContext(userID: fixture.userID, requestID: "plans", clientAddress: nil)
                try await app.ledger.write(for: fixture.userID, audit: audit) { scope in
                    for account in fixture.accounts { scope.changes.historyChanged(of: account) }
                    _ = try await TransactionBulkInsert.insert(rows, on: scope.db)
                    scope.changes.transactionsInserted(rows)
                }
                return fixture
            }
            let userID = loaded[0].userID
            let first = LedgerGenerator(shape: LedgerShape(transactions: Self.rows, accounts: 6, years: 2)).firstDay
            let days = [first.adding(days: 100), first.adding(days: 300), first.adding(days: 500)]
            let engine = app.db.engine

            // A category changed on three days: those days' totals are deleted and summed again.
            let cleared = try await Self.plan(app, userID, DailyTotals.clearQuery(userID: userID, where: DailyTotals.onDays(days)))
            #expect(cleared.contains("date = ANY") || cleared.contains("date=?"), "\(cleared)")
            // New rows on three days far apart: their possible transfer partners, region by region.
            let window = TransferMatcher.window
            let regions = TransferFlags.regions(around: days, window: window)
            #expect(regions.count == 3)
            let amounts: Set<Amount> = [try Amount(parsing: "12.34"), try Amount(parsing: "-56.78")]

            func check(_ state: String) async throws {
                let sums = try await Self.plan(app, userID, DailyTotals.sumQuery(userID: userID, where: DailyTotals.onDays(days), engine: engine))
                #expect(sums.contains("transactions_user_date_idx"), "\(state): \(sums)")
                #expect(!sums.contains("transactions_user_category_date_idx"), "\(state): \(sums)")
                let partners = try await Self.plan(app, userID, TransferFlags.regionsQuery(
                    userID: userID, regions: regions, widenedBy: window, amounts: amounts, engine: engine))
                #expect(partners.components(separatedBy: "transactions_user_date_idx").count - 1 == regions.count, "\(state): \(partners)")
                #expect(!partners.contains("transactions_user_category_date_idx") && !partners.contains("Seq Scan on transactions"),
                        "\(state): \(partners)")
            }
            if engine == .sqlite {
                // The amount rides at the end of the index, so the partner read tests it there and
                // reads only the rows that match.
                let columns = try await app.db.sql.raw("SELECT name FROM pragma_index_info('transactions_user_date_idx')").all()
                    .map { try $0.decode(column: "name", as: String.self) }
                #expect(columns == ["user_id", "date", "id", "amount"])
            }
            try await check("with the load's statistics")
            if engine == .sqlite {
                // SQLite's statistics are a sample (`analysis_limit`); with none at all, as SQLite has
                // until something analyzes the file, the plans are the same.
                try await app.exec("DROP TABLE IF EXISTS sqlite_stat1")
                try await check("without statistics")
            }
        }
    }

    /// A bound value the generic plan check cannot write as a literal.
    struct PlanCheckUnsupported: Error {
        let value: String
    }

    /// Two users' generated ledgers, the second half the size of the first, each brought in by
    /// `load`: two, so that the owner is a filter that narrows.
    static func twoLedgers(_ load: (LedgerShape) async throws -> LedgerFixture) async throws -> [LedgerFixture] {
        var loaded: [LedgerFixture] = []
        for seed in 0..<2 {
            loaded.append(try await load(LedgerShape(transactions: rows / (seed + 1), accounts: 6, years: 2)))
        }
        return loaded
    }

    /// The plan of `query` as the user it runs for would get it, as text, one node per line.
    static func plan(_ app: Application, _ userID: UUID, _ query: SQLQueryString, page: Bool = false) async throws -> String {
        var explain: SQLQueryString = app.db.engine == .postgres ? "EXPLAIN " : "EXPLAIN QUERY PLAN "
        explain += query
        let statement = explain
        let generic = Self.generic
        return try await app.db.asUser(userID) { db in
            if db.engine == .postgres {
                if page { _ = try await db.sql.raw(TransactionSearch.pagePlannerSettings(false)).all() }
                guard generic else {
                    return try await db.sql.raw(statement).all().map { try $0.decode(column: "QUERY PLAN", as: String.self) }.joined(separator: "\n") + "\n"
                }
                // The statement prepared with its parameters, and planned without their values.
                var serializer = SQLSerializer(database: db.sql)
                query.serialize(to: &serializer)
                try await db.sql.raw("PREPARE plan_check AS \(unsafeRaw: serializer.sql)").run()
                try await db.sql.raw("SET LOCAL plan_cache_mode = force_generic_plan").run()
                // EXECUTE takes its values as literals (a utility statement is given no parameters);
                // each is a value's text, which the prepared statement's parameter type reads.
                let values = try serializer.binds.map { bind -> String in
                    let style = Mirror(reflecting: bind).displayStyle
                    guard style != .optional, style != .collection, style != .set, style != .dictionary else {
                        throw PlanCheckUnsupported(value: "\(bind)")
                    }
                    return "'" + "\(bind)".replacingOccurrences(of: "'", with: "''") + "'"
                }
                let execute = "EXPLAIN EXECUTE plan_check" + (values.isEmpty ? "" : "(" + values.joined(separator: ", ") + ")")
                let plan = try await db.sql.raw(SQLQueryString(execute)).all()
                    .map { try $0.decode(column: "QUERY PLAN", as: String.self) }.joined(separator: "\n") + "\n"
                try await db.sql.raw("DEALLOCATE plan_check").run()
                return plan
            }
            return try await db.sql.raw(statement).all().map { try $0.decode(column: "detail", as: String.self) }.joined(separator: "\n") + "\n"
        }
    }
}
