import FinanceCore
import Fluent
import Foundation
import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// The one write path for a user's data: transaction create, edit and delete, bulk updates, rules,
/// imports, Plaid syncs, accounts and portfolios all change the ledger through `write`. One unit of work:
///
/// 1. takes the user's turn and raises their data version (`DataVersions.bump`), first thing, in the
///    same database transaction as the change;
/// 2. runs the caller's body, which writes and says what it changed (`UserScope.changes`);
/// 3. brings every derived table up to date from those changes (`DerivedState.settle`), always the same way;
/// 4. writes the live events its changes make to the outbox (`EventOutbox`), in the same transaction;
/// 5. commits, then hands the version and the change summary to whoever listens (`LedgerCommits`):
///    caches and live updates attach there.
///
/// Retries (a busy SQLite file, a PostgreSQL serialization failure or deadlock) happen below, in
/// `WriteTransactions`, which runs the whole unit again; a write refused for any reason changes nothing.
struct LedgerWriter: Sendable {
    let app: Application

    func write<T: Sendable>(for userID: UUID, audit: AuditContext,
                            _ body: @escaping @Sendable (UserScope) async throws -> T) async throws -> T {
        let clock = app.clock
        let (result, commit) = try await app.write(as: .user(userID)) { db in
            let version = try await DataVersions.bump(userID, now: clock.now(), on: db)
            let scope = UserScope(userID: userID, db: db, audit: audit, changes: LedgerChangeSet(), clock: clock)
            let result = try await body(scope)
            try await scope.settle()
            let summary = scope.changes.summary
            try await EventOutbox.append(EventTypes.events(for: summary, emitted: summary.emitted), userID: userID, version: version,
                                         at: scope.now, on: db)
            return (result, LedgerCommit(userID: userID, version: version, changes: summary))
        }
        app.ledgerCommits.publish(commit)
        return result
    }
}

/// A committed unit of work: whose data, the version it made, and what it changed.
struct LedgerCommit: Sendable, Equatable {
    let userID: UUID
    let version: Int64
    let changes: LedgerChangeSet.Summary
}

/// Whoever wants to hear of each commit, in this process: caches drop what it made stale, live
/// updates tell the user's open dashboards. Observers run after commit, in order, and must not block.
final class LedgerCommits: Sendable {
    private let observers = NIOLockedValueBox<[@Sendable (LedgerCommit) -> Void]>([])

    func observe(_ observer: @escaping @Sendable (LedgerCommit) -> Void) {
        observers.withLockedValue { $0.append(observer) }
    }

    func publish(_ commit: LedgerCommit) {
        for observer in observers.withLockedValue({ $0 }) { observer(commit) }
    }
}

/// Each user's data version (the `data_versions` table).
enum DataVersions {
    /// Raises `userID`'s version and answers the new one. On PostgreSQL the upsert holds the user's
    /// row until commit, so it is also the lock that makes two writers of one user's data take turns.
    static func bump(_ userID: UUID, now: Date, on db: any Database) async throws -> Int64 {
        let row = try await db.sql.raw("""
            INSERT INTO data_versions (user_id, version, updated_at) VALUES (\(bind: userID), 1, \(bind: now))
            ON CONFLICT (user_id) DO UPDATE SET version = data_versions.version + 1, updated_at = excluded.updated_at
            RETURNING version
            """).first()
        guard let row else { throw DataVersionError.notRaised }
        return try row.decode(column: "version", as: Int64.self)
    }

    /// The user's current version: 0 before their first change.
    static func current(_ userID: UUID, on db: any Database) async throws -> Int64 {
        let row = try await db.sql.raw("SELECT version FROM data_versions WHERE user_id = \(bind: userID)").first()
        return try row?.decode(column: "version", as: Int64.self) ?? 0
    }

    struct DataVersionError: Error {
        static let notRaised = DataVersionError()
    }
}

extension Application {
    private struct LedgerCommitsKey: StorageKey { typealias Value = LedgerCommits }

    /// The unit of work for changes to a user's data.
    var ledger: LedgerWriter { LedgerWriter(app: self) }

    /// Set once by `configure`, before any request.
    var ledgerCommits: LedgerCommits {
        get { configured(LedgerCommitsKey.self, "the ledger's observers") }
        set { storage[LedgerCommitsKey.self] = newValue }
    }
}
