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
/// A unit whose body reads nothing the derived tables hold (creating, editing or deleting one
/// transaction) may be `batched`: units of one user queued at the same moment then run their bodies
/// one after another and share steps 1, 3 and 4 (see `LedgerBatch`).
/// A batch of sixteen writes settles the derived tables once, not sixteen times.
///
/// Retries (a busy SQLite file, a PostgreSQL serialization failure or deadlock) happen below, in
/// `WriteTransactions`, which runs the whole unit again; a write refused for any reason changes nothing.
struct LedgerWriter: Sendable {
    let app: Application

    func write<T: Sendable>(for userID: UUID, audit: AuditContext, batched: Bool = false,
                            _ body: @escaping @Sendable (UserScope) async throws -> T) async throws -> T {
        let result = NIOLockedValueBox<T?>(nil)
        let unit = LedgerUnit(userID: userID, audit: audit, clock: app.clock) { scope in
            let value = try await body(scope)
            result.withLockedValue { $0 = value }
        }
        do {
            if batched {
                try await app.writeTransactions.run(app, as: .user(userID), .batched(unit))
            } else {
                try await app.write(as: .user(userID)) { db in _ = try await LedgerBatch.run([unit], on: db, savepoints: nil) }
            }
        } catch is LedgerBatch.Regroup {
            // The batch's shared end failed: this unit runs again as a unit of work of its own.
            return try await write(for: userID, audit: audit, batched: false, body)
        }
        guard let commit = unit.commit, let value = result.withLockedValue({ $0 }) else { throw GroupCommit.Lost() }
        app.ledgerCommits.publish(commit)
        return value
    }
}

/// One unit of work of the ledger: whose it is, its body, and once it ran, what it changed and the
/// version it made.
final class LedgerUnit: Sendable {
    let userID: UUID
    let audit: AuditContext
    let clock: AppClock
    private let body: @Sendable (UserScope) async throws -> Void
    /// Each run's change set, version and commit: a unit retried runs afresh.
    private let state = NIOLockedValueBox<(changes: LedgerChangeSet, version: Int64, commit: LedgerCommit?)>((LedgerChangeSet(), 0, nil))

    init(userID: UUID, audit: AuditContext, clock: AppClock, body: @escaping @Sendable (UserScope) async throws -> Void) {
        self.userID = userID
        self.audit = audit
        self.clock = clock
        self.body = body
    }

    var changes: LedgerChangeSet { state.withLockedValue { $0.changes } }
    var version: Int64 { state.withLockedValue { $0.version } }
    /// Set once the unit's batch ended; published after commit.
    var commit: LedgerCommit? { state.withLockedValue { $0.commit } }

    fileprivate func start(version: Int64) {
        state.withLockedValue { $0 = (LedgerChangeSet(), version, nil) }
    }

    fileprivate func runBody(on db: any Database, memo: BatchMemo?) async throws {
        var audit = self.audit
        audit.pending = memo?.audits
        try await body(UserScope(userID: userID, db: db, audit: audit, changes: changes, clock: clock, memo: memo))
    }

    fileprivate func ended(_ commit: LedgerCommit) {
        state.withLockedValue { $0.commit = commit }
    }
}

/// Units of work run together in one database transaction: the versions are raised once for each
/// user, each body runs (when there are several and one fails, the batch runs again with a
/// savepoint for each, so that the one at fault leaves nothing and fails alone), and the derived
/// tables and events of every body that succeeded are brought up to date once for each user. If
/// that shared end fails, the whole batch is rolled back and its units fail with `Regroup`, to run
/// again one by one (so the one at fault fails alone).
enum LedgerBatch {
    struct Regroup: Error {}

    /// Runs `units` in the open transaction `db`. `savepoints` runs a statement on it (SAVEPOINT,
    /// RELEASE, ROLLBACK TO); nil for a single unit that has the transaction to itself and fails with it.
    static func run(_ units: [LedgerUnit], on db: any Database,
                    savepoints: (@Sendable (String) async throws -> Void)?) async throws -> [Result<Void, any Error>] {
        guard let savepoint = savepoints else {
            try await reserve(units, on: db)
            for unit in units { try await unit.runBody(on: db, memo: nil) }
            try await end(units, memo: nil, on: db)
            return units.map { _ in .success(()) }
        }
        try await savepoint("SAVEPOINT batch")
        // First without a savepoint for each unit, as nearly every batch succeeds whole: two
        // statements fewer for each unit. If one fails, the batch goes back to its start and runs
        // again with them, so that the one at fault fails alone.
        do {
            try await reserve(units, on: db)
            let memo = BatchMemo()
            for unit in units { try await unit.runBody(on: db, memo: memo) }
            PhaseTimes.mark("units' own statements")
            try await end(units, memo: memo, on: db)
            try await savepoint("RELEASE batch")
            return units.map { _ in .success(()) }
        } catch where units.count > 1 {
            try await savepoint("ROLLBACK TO batch")
        } catch {
            try await savepoint("ROLLBACK TO batch")
            try await savepoint("RELEASE batch")
            return [.failure(error)]
        }
        try await reserve(units, on: db)
        let memo = BatchMemo()
        var outcomes: [Result<Void, any Error>] = []
        for unit in units {
            let audited = memo.audits.rows.withLockedValue { $0.count }
            let outcome = try await WriteTransactions.inSavepoint(savepoint) { try await unit.runBody(on: db, memo: memo) }
            // A unit that failed takes what it recorded with it.
            if case .failure = outcome { memo.audits.rows.withLockedValue { $0.removeSubrange(audited...) } }
            outcomes.append(outcome)
        }
        PhaseTimes.mark("units' own statements")
        let landed = zip(units, outcomes).compactMap { unit, outcome in (try? outcome.get()).map { unit } }
        do {
            // Nothing landed: the versions do not move either.
            guard !landed.isEmpty else { throw Regroup() }
            try await end(landed, memo: memo, on: db)
            try await savepoint("RELEASE batch")
            return outcomes
        } catch {
            try await savepoint("ROLLBACK TO batch")
            try await savepoint("RELEASE batch")
            if landed.isEmpty { return outcomes }
            return units.count == 1 ? [.failure(error)] : units.map { _ in .failure(Regroup()) }
        }
    }

    /// Raises each user's version once for each of their units, first thing (on PostgreSQL, their
    /// turn across processes), and gives each unit its own version, in order.
    private static func reserve(_ units: [LedgerUnit], on db: any Database) async throws {
        let users = byUser(units)
        let tops = try await DataVersions.bump(users.map { ($0.0, $0.1.count) }, now: units[0].clock.now(), on: db)
        for (userID, mine) in users {
            guard let top = tops[userID] else { throw DataVersions.DataVersionError.notRaised }
            for (index, unit) in mine.enumerated() { unit.start(version: top - Int64(mine.count - 1 - index)) }
        }
        PhaseTimes.mark("versions")
    }

    /// The units' audit events; for each user, the derived tables from every unit's changes at once;
    /// then every unit's events.
    private static func end(_ units: [LedgerUnit], memo: BatchMemo?, on db: any Database) async throws {
        try await memo?.audits.flush(on: db)
        var events: [EventOutbox.UnitEvents] = []
        for (userID, mine) in byUser(units) {
            let merged = LedgerChangeSet()
            for unit in mine { merged.absorb(unit.changes) }
            let scope = UserScope(userID: userID, db: db, audit: mine[0].audit, changes: merged, clock: mine[0].clock)
            try await scope.settle()
            for unit in mine {
                let summary = unit.changes.summary
                events.append(EventOutbox.UnitEvents(userID: userID, version: unit.version,
                                                     events: EventTypes.events(for: summary, emitted: summary.emitted)))
                unit.ended(LedgerCommit(userID: userID, version: unit.version, changes: summary))
            }
        }
        try await EventOutbox.append(events, at: units[0].clock.now(), on: db)
        PhaseTimes.mark("events")
    }

    private static func byUser(_ units: [LedgerUnit]) -> [(UUID, [LedgerUnit])] {
        var order: [UUID] = []
        var grouped: [UUID: [LedgerUnit]] = [:]
        for unit in units {
            if grouped[unit.userID] == nil { order.append(unit.userID) }
            grouped[unit.userID, default: []].append(unit)
        }
        return order.map { ($0, grouped[$0]!) }
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
    /// Raises `userID`'s version and answers the new one.
    /// On PostgreSQL the upsert holds the user's row until commit, so it is also the lock that makes two writers of one user's data take turns.
    static func bump(_ userID: UUID, now: Date, on db: any Database) async throws -> Int64 {
        guard let version = try await bump([(userID, 1)], now: now, on: db)[userID] else { throw DataVersionError.notRaised }
        return version
    }

    /// Raises several users' versions in one statement, each by its count (one for each unit of a batch).
    static func bump(_ counts: [(UUID, Int)], now: Date, on db: any Database) async throws -> [UUID: Int64] {
        let values = counts.map { "(\(bind: $0.0), \(bind: $0.1), \(bind: now))" as SQLQueryString }.joined(separator: ", ")
        let rows = try await db.sql.raw("""
            INSERT INTO data_versions (user_id, version, updated_at) VALUES \(values)
            ON CONFLICT (user_id) DO UPDATE SET version = data_versions.version + excluded.version, updated_at = excluded.updated_at
            RETURNING user_id, version
            """).all()
        var versions: [UUID: Int64] = [:]
        for row in rows { versions[try row.decode(column: "user_id", as: UUID.self)] = try row.decode(column: "version", as: Int64.self) }
        return versions
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
