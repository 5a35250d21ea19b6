import Fluent
import Foundation
import SQLKit

/// The only two ways the server touches user-owned data. Each opens a database transaction and,
/// on PostgreSQL, sets the row-level-security context for it (SQLite has no such wall).
extension Database {
    /// Runs `body` where only `userID`'s rows can be seen or written.
    func asUser<T: Sendable>(_ userID: UUID, _ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        try await transaction { tx in
            if tx.engine == .postgres {
                try await tx.sql.raw("SELECT set_config('finance.user_id', \(bind: userID.uuidString), true)").run()
            }
            return try await body(tx)
        }
    }

    /// Runs `body` as the server itself, not on behalf of one user: login, jobs, maintenance.
    func asSystem<T: Sendable>(_ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        try await transaction { tx in
            if tx.engine == .postgres {
                try await tx.sql.raw("SELECT set_config('finance.system', 'on', true)").run()
            }
            return try await body(tx)
        }
    }
}
