import FinanceCore
import Fluent
import FluentSQLiteDriver
import Foundation
import Vapor

/// `finance bench ledger`: one user with a generated ledger (1,000,000 transactions in 30 accounts
/// over 10 years by default) and the ledger's everyday work timed on it: filtered pages with their
/// totals, a CSV import, and a full CSV export with the memory it took.
struct LedgerBenchmark {
    let app: Application
    let shape: LedgerShape
    let importRows: Int
    let console: any Console

    /// Enough page runs that the 99th percentile is not simply the slowest run.
    static let pageRuns = 300
    static let totalsRuns = 30

    func run() async throws {
        try await BenchDatabase.with(app: app) { database, databaseID, engineName in
            let loaded = try await LedgerFixture.load(shape: shape, into: database)
            console.print("ledger: \(engineName)")
            console.print("  data: 1 user, \(shape.accounts) accounts, \(shape.transactions.formatted()) transactions over \(shape.years) years, seed 42")
            try await searches(loaded, database)
            try await csvImport(loaded, database)
            try await export(loaded, databaseID)
            try await loaded.remove(from: database)
        }
    }

    private func searches(_ loaded: LedgerFixture, _ database: any Database) async throws {
        let lastDay = LocalDate(year: 2024, month: 12, day: 31)!
        var oneAccountQuarter = TransactionSearch()
        oneAccountQuarter.accountIDs = [loaded.accounts[0]]
        oneAccountQuarter.from = lastDay.adding(days: -90)
        var categoryYear = TransactionSearch()
        categoryYear.categories = [.foodAndDrink]
        categoryYear.from = LocalDate(year: 2024, month: 1, day: 1)
        var text = TransactionSearch()
        text.text = "coffee"
        text.from = LocalDate(year: 2024, month: 1, day: 1)
        var amountRange = TransactionSearch()
        amountRange.accountIDs = [loaded.accounts[1]]
        amountRange.minAmount = Amount(-50)
        amountRange.maxAmount = Amount(-10)
        let middle = TransactionSearch.Position(date: LocalDate(year: 2020, month: 1, day: 1)!, id: UUID(uuid: (255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255)))

        let cases: [(String, TransactionSearch, TransactionSearch.Position?)] = [
            ("newest 50, no filter", TransactionSearch(), nil),
            ("newest 50, no filter, page 10,000 deep (cursor in 2020)", TransactionSearch(), middle),
            ("one account, last 90 days", oneAccountQuarter, nil),
            ("FOOD_AND_DRINK in 2024", categoryYear, nil),
            ("text \"coffee\" in 2024", text, nil),
            ("one account, amount -50 to -10", amountRange, nil),
        ]
        console.print("  search: page = 50 rows, \(Self.pageRuns) runs; totals = sums of the whole filtered set, \(Self.totalsRuns) runs; each after a warm-up")
        for (name, search, position) in cases {
            var pages: [Duration] = [], totals: [Duration] = []
            let userID = loaded.userID
            for run in 0...Self.pageRuns {
                let clock = ContinuousClock()
                let (pageTime, totalsTime) = try await database.asUser(userID) { db in
                    let start = clock.now
                    _ = try await search.page(userID: userID, after: position, limit: 51, on: db)
                    let middle = clock.now
                    guard run <= Self.totalsRuns else { return (middle - start, Duration?.none) }
                    _ = try await search.totals(userID: userID, on: db)
                    return (middle - start, clock.now - middle)
                }
                if run > 0 {
                    pages.append(pageTime)
                    if let totalsTime { totals.append(totalsTime) }
                }
            }
            console.print("    \(name): page p50 \(Self.ms(pages, 50)) p99 \(Self.ms(pages, 99)); totals p50 \(Self.ms(totals, 50)) p99 \(Self.ms(totals, 99))")
        }
    }

    private func csvImport(_ loaded: LedgerFixture, _ database: any Database) async throws {
        var generator = LedgerGenerator(shape: LedgerShape(transactions: importRows, accounts: 1, years: shape.years), seed: 7)
        let rows = generator.next(importRows, userID: loaded.userID, accounts: [loaded.importAccount])
        var csv = "Date,Description,Merchant,Amount\n"
        csv.reserveCapacity(importRows * 48)
        for row in rows { csv += "\(row.date),\(row.description),\(row.merchantName ?? ""),\(row.amount)\n" }
        let bytes = Array(csv.utf8)
        let importer = StatementImporter(bytes: bytes, source: .csv(CSVMapping(date: "Date", amount: "Amount", description: "Description", merchant: "Merchant")))
        let clock = ContinuousClock()
        let parseStart = clock.now
        _ = try importer.parse()
        let parseTime = clock.now - parseStart
        let userID = loaded.userID, account = loaded.importAccount
        let start = clock.now
        let audit = AuditContext(userID: userID, requestID: "bench", clientAddress: nil)
        let phases = PhaseTimes()
        let outcome = try await database.asUser(userID) { db in
            // Inside the transaction's task: the database drivers run the body in a task of their own.
            try await PhaseTimes.measuring(phases) {
                try await importer.run(accountID: account, preview: false, in: UserScope(userID: userID, db: db, audit: audit))
            }
        }
        let total = clock.now - start
        let again = try await database.asUser(userID) { db in
            try await importer.run(accountID: account, preview: false, in: UserScope(userID: userID, db: db, audit: audit))
        }
        console.print("  import: CSV of \(importRows.formatted()) rows (\(bytes.count / 1024) KiB) into an account beside the \(shape.transactions.formatted())-row ledger")
        console.print("    parse only: \(Self.rate(importRows, parseTime)); whole import (parse, dedupe, rules, write, balance, in one transaction): \(Self.rate(outcome.added, total))")
        console.print("    where the whole import's time went: " + phases.phases.map { "\($0.name) \(Self.seconds($0.duration))" }.joined(separator: ", ")
                      + "; commit \(Self.seconds(total - phases.phases.reduce(.zero) { $0 + $1.duration }))")
        console.print("    the same file again: \(again.added) added, \(again.skipped.formatted()) skipped")
    }

    private func export(_ loaded: LedgerFixture, _ databaseID: DatabaseID?) async throws {
        let export = TransactionExport(app: app, databaseID: databaseID, userID: loaded.userID, search: TransactionSearch(), accountNames: [:])
        let before = ProcessMemory.residentMegabytes() ?? 0
        var peak = before
        var bytes = 0, chunks = 0
        let clock = ContinuousClock()
        let start = clock.now
        for try await chunk in export {
            bytes += chunk.count
            chunks += 1
            if chunks % 50 == 0 { peak = max(peak, ProcessMemory.residentMegabytes() ?? 0) }
        }
        let elapsed = clock.now - start
        console.print("  export: \((bytes / 1_048_576).formatted()) MiB of CSV (every transaction of the user) in \(Self.seconds(elapsed)); resident memory \(before) MB before, at most \(peak) MB while streaming")
    }

    static func ms(_ durations: [Duration], _ percentile: Int) -> String {
        let sorted = durations.sorted()
        guard !sorted.isEmpty else { return "-" }
        let index = min(sorted.count - 1, Int((Double(percentile) / 100 * Double(sorted.count)).rounded(.up)) - 1)
        let nanos = sorted[max(0, index)].components.attoseconds / 1_000_000_000 + sorted[max(0, index)].components.seconds * 1_000_000_000
        return String(format: "%.2f ms", Double(nanos) / 1e6)
    }

    static func seconds(_ duration: Duration) -> String {
        String(format: "%.2f s", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
    }

    static func rate(_ rows: Int, _ duration: Duration) -> String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return "\(Int(Double(rows) / seconds).formatted()) rows/s (\(Self.seconds(duration)))"
    }
}

/// A generated ledger loaded for a benchmark, and how to take it away again.
struct LedgerFixture: Sendable {
    let userID: UUID
    let accounts: [UUID]
    let importAccount: UUID

    /// A benchmark user with `shape.accounts` accounts and an empty one to import into; no transactions yet.
    static func create(shape: LedgerShape, in database: any Database) async throws -> LedgerFixture {
        let user = User(email: "bench-\(UUID().uuidString.prefix(8).lowercased())@example.invalid", passwordHash: "!", fullName: "Benchmark")
        return try await database.asSystem { db in
            try await user.save(on: db)
            let userID = try user.requireID()
            var accounts: [UUID] = []
            for index in 0..<shape.accounts {
                let type: AccountType = [.checking, .savings, .creditCard][index % 3]
                let account = Account(id: UUID.timeOrdered(), userID: userID, name: "Account \(index + 1)", type: type, currency: .usd)
                try await account.save(on: db)
                accounts.append(try account.requireID())
            }
            let target = Account(id: UUID.timeOrdered(), userID: userID, name: "Imported", type: .checking, currency: .usd)
            try await target.save(on: db)
            return LedgerFixture(userID: userID, accounts: accounts, importAccount: try target.requireID())
        }
    }

    /// A benchmark user with the generated ledger loaded and analyzed.
    static func load(shape: LedgerShape, into database: any Database) async throws -> LedgerFixture {
        let fixture = try await create(shape: shape, in: database)
        let (userID, accounts) = (fixture.userID, fixture.accounts)
        var generator = LedgerGenerator(shape: shape)
        var loaded = 0
        while loaded < shape.transactions {
            let rows = generator.next(min(IngestBenchmark.rowsPerTransaction, shape.transactions - loaded), userID: userID, accounts: accounts)
            loaded += try await TransactionBulkInsert.insert(rows, on: database)
        }
        // The planner's statistics, as the database's own maintenance (autovacuum) would have them
        // after a load this size.
        _ = try await database.sql.raw("ANALYZE transactions").all()
        return fixture
    }

    /// A benchmark user with the generated ledger loaded into the app's database, its derived tables
    /// built as the write path keeps them, and the planner's statistics current: what a server
    /// started on it reads.
    static func loadDerived(shape: LedgerShape, app: Application, requestID: String) async throws -> LedgerFixture {
        try await DatabaseMigrations.migrate(app)
        let fixture = try await load(shape: shape, into: app.db)
        let userID = fixture.userID
        let audit = AuditContext(userID: userID, requestID: requestID, clientAddress: nil)
        try await app.ledger.write(for: userID, audit: audit) { scope in _ = try await DerivedState.rebuild(userID: userID, in: scope) }
        if app.db.engine == .postgres {
            // As autovacuum would within a minute of a load this size: statistics, and the row
            // versions the load's one transaction left behind (it rewrote each day's sums once an account) cleared.
            for table in ["transactions", "balance_snapshots", "daily_totals", "month_totals", "net_worth_days"] {
                _ = try await app.db.sql.raw("VACUUM ANALYZE \(unsafeRaw: table)").all()
            }
        }
        return fixture
    }

    func remove(from database: any Database) async throws {
        let userID = self.userID
        try await database.asSystem { db in try await User.query(on: db).filter(\.$id == userID).delete() }
    }
}

/// The database a benchmark loads: a scratch SQLite file beside the configured one (removed after),
/// or the configured PostgreSQL database.
enum BenchDatabase {
    static func with(app: Application, _ body: (any Database, DatabaseID?, String) async throws -> Void) async throws {
        switch app.settings.database {
        case .postgres:
            try await DatabaseMigrations.migrate(app)
            try await body(app.db, nil, "PostgreSQL")
        case .sqlite, .sqliteInMemory:
            let path = (app.settings.dataDirectory as NSString).appendingPathComponent("bench-\(UUID().uuidString).sqlite")
            try DataDirectory.create(app.settings.dataDirectory)
            let id = DatabaseID(string: "bench-\(UUID().uuidString.prefix(8))")
            app.databases.use(.sqlite(.file(path)), as: id)
            defer {
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            }
            let database = app.db(id)
            _ = try await database.sql.raw("PRAGMA journal_mode = WAL").all()
            for migration in AppMigrations.all { try await migration.prepare(on: database).get() }
            try await body(database, id, "SQLite (\(path))")
        }
    }
}

enum ProcessMemory {
    /// A process's current resident set size (Linux): this one's by default.
    static func residentMegabytes(of process: String = "self") -> Int? { megabytes("VmRSS", of: process) }

    /// A process's peak resident set size (Linux).
    static func peakMegabytes(of process: String = "self") -> Int? { megabytes("VmHWM", of: process) }

    /// A process's current resident set size in kilobytes (Linux).
    static func residentKilobytes(of process: String = "self") -> Int? { kilobytes("VmRSS", of: process) }

    private static func megabytes(_ field: String, of process: String) -> Int? {
        kilobytes(field, of: process).map { $0 / 1024 }
    }

    private static func kilobytes(_ field: String, of process: String) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(process)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }) else { return nil }
        return Int(line.split(separator: " ").dropFirst().first ?? "")
    }
}
