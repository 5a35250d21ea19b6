import FinanceCore
import Fluent
import FluentSQLiteDriver
import Foundation
import Vapor

/// Bulk-loads a generated ledger and reports rows per second and peak memory.
///
/// On SQLite it loads a fresh database file of its own beside the configured one and removes it after;
/// on PostgreSQL it loads the configured database under a generated user and deletes that user after.
struct IngestBenchmark {
    let app: Application
    let shape: LedgerShape
    let console: any Console

    static let rowsPerTransaction = 100_000

    func run() async throws {
        try await BenchDatabase.with(app: app) { database, _, engineName in
            try await load(into: database, engineName: engineName)
        }
    }

    private func load(into database: any Database, engineName: String) async throws {
        let shape = self.shape
        let fixture = try await LedgerFixture.create(shape: shape, in: database)
        let (userID, accounts) = (fixture.userID, fixture.accounts)

        var generator = LedgerGenerator(shape: shape)
        console.print("ingest: \(engineName)")
        console.print("  data: 1 user, \(shape.accounts) accounts, \(shape.transactions.formatted()) transactions over \(shape.years) years (\(generator.firstDay) to 2024-12-31), seed 42")
        let statements = database.engine == .postgres ? "INSERTs from arrays bound in binary (unnest)" : "multi-row INSERTs"
        console.print("  load: \(statements), \(Self.rowsPerTransaction.formatted()) rows per database transaction, indexes in place")

        var loaded = 0
        var loadTime = Duration.zero
        let clock = ContinuousClock()
        while loaded < shape.transactions {
            let rows = generator.next(min(Self.rowsPerTransaction, shape.transactions - loaded), userID: userID, accounts: accounts)
            let start = clock.now
            loaded += try await TransactionBulkInsert.insert(rows, on: database)
            loadTime += clock.now - start
        }
        let count = try await database.asUser(userID) { db in try await Transaction.query(on: db).count() }
        guard count == shape.transactions else {
            throw Abort(.internalServerError, reason: "Loaded \(count) rows, expected \(shape.transactions)")
        }
        let seconds = Double(loadTime.components.seconds) + Double(loadTime.components.attoseconds) / 1e18
        console.print("  result: \(loaded.formatted()) rows in \(String(format: "%.2f", seconds)) s = \(Int(Double(loaded) / seconds).formatted()) rows/s (time spent in the database writes only)")
        console.print("  peak memory (VmHWM): \(ProcessMemory.peakMegabytes().map { "\($0) MB" } ?? "unknown")")

        try await fixture.remove(from: database)
    }
}
