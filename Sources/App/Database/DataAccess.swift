import Fluent
import FluentSQLiteDriver
import Foundation
import NIOConcurrencyHelpers
import SQLKit

/// The only two ways the server touches user-owned data. Each opens a database transaction and,
/// on PostgreSQL, sets the row-level-security context for it (SQLite has no such wall).
extension Database {
    /// Runs `body` where only `userID`'s rows can be seen or written.
    func asUser<T: Sendable>(_ userID: UUID, _ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        try await SQLiteTuning.tune(self)
        return try await transaction { tx in
            if tx.engine == .postgres {
                try await tx.sql.raw("SELECT set_config('finance.user_id', \(bind: userID.uuidString), true)").run()
            }
            return try await body(tx)
        }
    }

    /// Runs `body` as the server itself, not on behalf of one user: login, jobs, maintenance.
    func asSystem<T: Sendable>(_ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        try await SQLiteTuning.tune(self)
        return try await transaction { tx in
            if tx.engine == .postgres {
                try await tx.sql.raw("SELECT set_config('finance.system', 'on', true)").run()
            }
            return try await body(tx)
        }
    }
}

/// Settings each SQLite connection takes once, the first time the server uses it (the driver has
/// no hook for a new connection): how long SQLite itself waits for a lock another process holds (a
/// CLI import beside the server). It is a setting of the connection and changes nothing on disk.
/// (Mapping the file into memory was measured and left out: once list totals came from rollups it
/// no longer raised throughput, and it made every page a large export touched count as resident.)
enum SQLiteTuning {
    /// Page cache per connection for heavy work (bulk loads), in KiB.
    static let cacheKilobytes = 256 * 1024

    private static let tuned = NIOLockedValueBox(Set<ObjectIdentifier>())

    static func tune(_ database: any Database) async throws {
        guard let sqlite = database as? any SQLiteDatabase else { return }
        try await sqlite.withConnection { connection in
            let id = ObjectIdentifier(connection)
            guard !tuned.withLockedValue({ $0.contains(id) }) else { return }
            _ = try await connection.query("PRAGMA busy_timeout = \(WriteTransactions.busyTimeoutMilliseconds)")
            tuned.withLockedValue { _ = $0.insert(id) }
        }
    }
}
