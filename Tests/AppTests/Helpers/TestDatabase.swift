@testable import App
import Fluent
import Foundation
import Testing
import SQLKit
import Vapor
import VaporTesting

/// The databases the database suites run on: SQLite always, PostgreSQL too when
/// `TEST_DATABASE_URL` names one (as CI does).
enum TestBackend: String, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    static var all: [TestBackend] {
        postgresURL == nil ? [.sqlite] : [.sqlite, .postgres]
    }

    static var postgresURL: String? {
        guard let url = ProcessInfo.processInfo.environment["TEST_DATABASE_URL"], !url.isEmpty else { return nil }
        return url
    }

    var testDescription: String { rawValue }
}

/// One PostgreSQL database serves every test, so tests that use it take turns.
actor TestLock {
    static let postgres = TestLock()

    private var held = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        if !held {
            held = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty {
            held = false
        } else {
            waiters.removeFirst().resume()
        }
    }
}

/// Runs `body` with an application configured as the server configures itself, on a fresh,
/// migrated database of the given backend, and shuts it down afterwards.
func withTestApp(
    _ backend: TestBackend,
    migrate: Bool = true,
    environment extra: [String: String] = [:],
    _ body: (Application) async throws -> Void
) async throws {
    if backend == .postgres { await TestLock.postgres.acquire() }
    let dataDirectory = FileManager.default.temporaryDirectory
        .appendingPathComponent("finance-test-\(UUID().uuidString)").path
    // bcrypt at its lowest cost: the tests check behaviour, not hashing time.
    var environment: [String: String] = [Settings.Key.dataDirectory.rawValue: dataDirectory, Settings.Key.bcryptCost.rawValue: "4"]
    if backend == .postgres { environment[Settings.Key.databaseURL.rawValue] = TestBackend.postgresURL }
    environment.merge(extra) { _, new in new }

    let app = try await Application.make(.testing)
    app.logger.logLevel = .warning
    do {
        try await configure(app, settings: Settings.load(from: environment))
        if backend == .postgres {
            // Whatever an earlier run left behind goes: every object the test role owns.
            try await app.db.sql.raw("DROP OWNED BY CURRENT_USER").run()
        }
        if migrate { try await app.autoMigrate() }
        try await body(app)
    } catch {
        try? await app.asyncShutdown()
        try? FileManager.default.removeItem(atPath: dataDirectory)
        if backend == .postgres { await TestLock.postgres.release() }
        throw error
    }
    try await app.asyncShutdown()
    try? FileManager.default.removeItem(atPath: dataDirectory)
    if backend == .postgres { await TestLock.postgres.release() }
}

extension Application {
    var sql: any SQLDatabase { db.sql }

    /// Runs test SQL as the server's own work: on PostgreSQL, row-level security lets it see every row.
    func exec(_ statement: String) async throws {
        try await db.asSystem { db in try await db.sql.raw(SQLQueryString(statement)).run() }
    }

    /// Every transaction in the database, by date, seen as the server's own work.
    func transactions() async throws -> [Transaction] {
        try await db.asSystem { db in try await Transaction.query(on: db).sort(\.$date).sort(\.$id).all() }
    }

    /// The single integer a statement such as `SELECT count(*) ...` answers, seen as the server's own work.
    func scalar(_ statement: String) async throws -> Int {
        try await db.asSystem { db in try await db.sql.scalar(statement) }
    }
}

extension SQLDatabase {
    /// The single integer a statement such as `SELECT count(*) ...` answers.
    func scalar(_ statement: String) async throws -> Int {
        guard let row = try await raw(SQLQueryString(statement)).first() else { return 0 }
        return try row.decode(column: row.allColumns[0], as: Int.self)
    }
}
