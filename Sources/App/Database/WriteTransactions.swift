import FinanceCore
import Fluent
import FluentSQLiteDriver
import Foundation
import Metrics
import NIOConcurrencyHelpers
import PostgresNIO
import SQLKit
import SQLiteNIO
import Vapor

/// Whom a write runs for: one user (PostgreSQL's row-level security shows and accepts only their
/// rows) or the server itself (sign-ins, jobs, maintenance).
enum DataOwner: Sendable, Equatable {
    case user(UUID)
    case system
}

/// A write that could not get its turn within the bound (`FINANCE_WRITE_WAIT_MS`): nothing was
/// written, and the client may try again. The HTTP layer answers 503 with `Retry-After`.
struct WriteBusy: Error, CustomStringConvertible {
    let waited: Duration
    var description: String { "no turn to write within \(waited)" }
}

/// Every database transaction that writes goes through here: HTTP handlers (through the ledger's
/// unit of work), the job worker and the commands alike. It is the one place a write is retried.
///
/// - SQLite allows one writer at a time per file. Writers queue in this process (`GroupCommit`,
///   bounded by `FINANCE_WRITE_WAIT_MS`); whoever finds no group running runs the queued units in
///   one transaction, each in a savepoint of its own, and commits them together: one `BEGIN
///   IMMEDIATE` and one sync to disk for the group, while each unit still succeeds or fails alone.
///   Groups take the turn (`WriterTurn`) on a connection pool of their own, so readers never queue
///   behind them; the busy timeout covers another process (a CLI import beside the server).
/// - PostgreSQL runs the writes of different users side by side; one user's writers take turns, in
///   this process before they take a connection (`UserGroups`: whoever finds none of the user's groups
///   running runs everything queued for them as one transaction, as on SQLite) and across processes
///   on the user's `data_versions` row. A serialization failure or a deadlock (40001, 40P01) is retried from the
///   start, a bounded number of times.
final class WriteTransactions: Sendable {
    /// SQLite's writer pool and its threads, or nil on PostgreSQL (and for an in-memory SQLite,
    /// whose second pool would be a second database).
    let sqliteWriter: SQLiteWriterThreads?
    let isSQLite: Bool
    let turn = WriterTurn()
    /// SQLite: writers queued for the next group commit.
    let groups: GroupCommit
    /// PostgreSQL: each user's writers in this process, one group at a time.
    let userGroups = UserGroups()
    let wait: Duration
    /// How long writers held SQLite's turn, in all.
    let held = NIOLockedValueBox((writes: 0, time: Duration.zero))
    /// SQLite: where the writer's turns went, phase by phase, when a benchmark asks (nil otherwise).
    let phases = NIOLockedValueBox<PhaseTimes?>(nil)
    let maxAttempts = 6
    /// How long SQLite itself waits for a lock another process holds.
    static let busyTimeoutMilliseconds = 5_000

    init(sqliteWriter: SQLiteWriterThreads?, isSQLite: Bool, wait: Duration) {
        self.sqliteWriter = sqliteWriter
        self.isSQLite = isSQLite
        self.wait = wait
        self.groups = GroupCommit(turn: turn)
    }

    func run<T: Sendable>(_ app: Application, as owner: DataOwner,
                          _ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        let result = NIOLockedValueBox<T?>(nil)
        try await run(app, as: owner, .alone { db in
            let value = try await body(db)
            result.withLockedValue { $0 = value }
        })
        guard let value = result.withLockedValue({ $0 }) else { throw GroupCommit.Lost() }
        return value
    }

    func run(_ app: Application, as owner: DataOwner, _ work: GroupWork) async throws {
        var attempt = 1
        while true {
            do {
                return try await once(app, as: owner, work)
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "22003" {
                // A sum past the largest figure a numeric column holds (a balance, a day's or a
                // month's total): the write is refused, as SQLite's checks refuse it.
                throw LedgerError.balanceOutOfRange
            } catch let error as SQLiteError where Self.isSumOutOfRange(error) {
                // SQLite: the same, caught by the range check of a balance or a total.
                throw LedgerError.balanceOutOfRange
            } catch let error as PostgresDecodingError where error.targetType == Amount?.self || error.targetType == Amount.self {
                // A sum of the ledger read back that no amount can hold (every stored amount has at
                // most four places, so range is the only way a sum of them fails to be one).
                throw LedgerError.balanceOutOfRange
            } catch where attempt < maxAttempts && Self.isTransient(error) {
                Counter(label: "finance_write_retries_total", dimensions: [("engine", isSQLite ? "sqlite" : "postgres")]).increment()
                app.logger.notice("Write retried", metadata: ["attempt": "\(attempt)", "error": "\(String(reflecting: error))"])
                // Backoff with jitter, so that two writers that collided do not collide again.
                let base = 5 * (1 << (attempt - 1))
                try await Task.sleep(for: .milliseconds(Int.random(in: base...(2 * base))))
                attempt += 1
            }
        }
    }

    private func once(_ app: Application, as owner: DataOwner, _ work: GroupWork) async throws {
        guard isSQLite else {
            switch owner {
            case .user(let id):
                // The user's row in `data_versions` makes writers of one user take turns across
                // processes; in this process they queue here first, holding no connection, so
                // writers waiting for a busy household never take the pool from readers. Whoever
                // finds no group of theirs running runs everything queued for the user as one.
                let group = await userGroups.enter(id)
                do {
                    try await group.submit(within: wait, lead: { works in await Self.commitUserGroup(app, id, works) }, work)
                    await userGroups.leave(id)
                } catch {
                    await userGroups.leave(id)
                    throw error
                }
            case .system:
                try await app.db.asSystem { db in _ = try await Self.runWorks([work], on: db, savepoints: nil) }
            }
            return
        }
        // SQLite: the unit queues for the next group commit and comes back once that committed.
        try await groups.submit(within: wait, lead: { [self] works in await commitGroup(app, works) }, work)
    }

    /// PostgreSQL: one user's queued units in one transaction as that user (savepoints only when
    /// there are several).
    private static func commitUserGroup(_ app: Application, _ userID: UUID, _ works: [GroupWork]) async -> [Result<Void, any Error>] {
        do {
            return try await app.db.asUser(userID) { db in
                let savepoint: @Sendable (String) async throws -> Void = { statement in try await db.sql.raw(SQLQueryString(statement)).run() }
                return try await runWorks(works, on: db, savepoints: works.count > 1 ? savepoint : nil)
            }
        } catch {
            return works.map { _ in .failure(error) }
        }
    }

    /// Runs queued units in one SQLite transaction, each in a savepoint of its own: a unit that
    /// throws rolls back to its savepoint and fails alone; the others commit together, once.
    private func commitGroup(_ app: Application, _ works: [GroupWork]) async -> [Result<Void, any Error>] {
        let started = ContinuousClock.now
        defer {
            let time = ContinuousClock.now - started
            Metrics.Timer(label: "finance_write_turn_held_seconds").record(duration: time)
            Recorder(label: "finance_write_group_size").record(works.count)
            held.withLockedValue { $0 = ($0.writes + works.count, $0.time + time) }
        }
        do {
            let writer = try writerDatabase(app)
            try await SQLiteTuning.tune(writer)
            return try await writer.withConnection { connection in
                guard let base = connection as? any Database & SQLDatabase & SQLiteDatabase else {
                    preconditionFailure("the SQLite driver's connection is an SQLite database")
                }
                let run: @Sendable () async throws -> [Result<Void, any Error>] = {
                    try await base.raw("BEGIN IMMEDIATE").run()
                    let outcomes = try await Self.runWorks(works, on: SQLiteImmediateTransaction(base: base),
                                                           savepoints: { try await base.raw(SQLQueryString($0)).run() })
                    try await base.raw("COMMIT").run()
                    PhaseTimes.mark("commit")
                    return outcomes
                }
                do {
                    // Fluent runs this closure in a task of its own: the preference is set here.
                    return try await withTaskExecutorPreference(self.sqliteWriter?.executor) {
                        guard let phases = self.phases.withLockedValue({ $0 }) else { return try await run() }
                        return try await PhaseTimes.measuring(phases, adding: true, run)
                    }
                } catch {
                    try? await base.raw("ROLLBACK").run()
                    throw error
                }
            }
        } catch {
            // Nothing of the group was committed: each unit fails with the group's error (and is
            // retried if that error was transient).
            return works.map { _ in .failure(error) }
        }
    }

    /// SQLite's writer pool, on its own threads; the one database for an in-memory SQLite.
    private func writerDatabase(_ app: Application) throws -> any Database {
        guard let sqliteWriter else { return app.db(.sqlite) }
        guard let database = sqliteWriter.pool(in: app) else { throw WriterShutDown() }
        return database
    }

    /// The application shut its databases down.
    struct WriterShutDown: Error {}

    /// Runs a group's units in the open transaction `db`, in order: each unit complete in itself in
    /// a savepoint of its own, each run of consecutive ledger units as one batch (`LedgerBatch`).
    /// Without `savepoints` (a group of one) the unit's failure is the transaction's.
    private static func runWorks(_ works: [GroupWork], on db: any Database,
                                 savepoints: (@Sendable (String) async throws -> Void)?) async throws -> [Result<Void, any Error>] {
        var outcomes: [Result<Void, any Error>] = []
        var index = 0
        while index < works.count {
            switch works[index] {
            case .alone(let work):
                index += 1
                guard let savepoint = savepoints else {
                    try await work(db)
                    outcomes.append(.success(()))
                    continue
                }
                outcomes.append(try await inSavepoint(savepoint) { try await work(db) })
            case .batched:
                var units: [LedgerUnit] = []
                while index < works.count, case .batched(let unit) = works[index] {
                    units.append(unit)
                    index += 1
                }
                outcomes += try await LedgerBatch.run(units, on: db, savepoints: savepoints)
            }
        }
        return outcomes
    }

    /// Runs `body` in a savepoint of its own (`savepoint` runs the statements): if it throws, what it
    /// wrote is rolled back and its failure answered, and the transaction goes on.
    static func inSavepoint(_ savepoint: @Sendable (String) async throws -> Void,
                            _ body: () async throws -> Void) async throws -> Result<Void, any Error> {
        try await savepoint("SAVEPOINT unit")
        do {
            try await body()
            try await savepoint("RELEASE unit")
            return .success(())
        } catch {
            try await savepoint("ROLLBACK TO unit")
            try await savepoint("RELEASE unit")
            return .failure(error)
        }
    }

    /// SQLite keeps money as integer units, with a check that each figure stays within the range of
    /// PostgreSQL's column: a balance or a day's or month's total past it breaks that check.
    static func isSumOutOfRange(_ error: SQLiteError) -> Bool {
        guard case .constraintCheckFailed = error.reason, error.message.hasSuffix("_range") else { return false }
        return ["accounts_", "balance_snapshots_", "daily_totals_", "month_totals_"].contains { error.message.contains("failed: " + $0) }
    }

    /// A failure that says nothing about the write itself: another transaction was in the way.
    static func isTransient(_ error: any Error) -> Bool {
        if let error = error as? PSQLError, let state = error.serverInfo?[.sqlState] {
            return state == "40001" || state == "40P01"
        }
        if let error = error as? SQLiteError {
            switch error.reason {
            case .busy, .locked, .busyInSnapshot, .busyTimeout, .busyInRecovery, .lockedBySharedCache: return true
            default: return false
            }
        }
        return false
    }
}

/// One writer at a time, first come first served; a writer that waits longer than its bound
/// gives up with `WriteBusy` and leaves the queue.
actor WriterTurn {
    private var held = false
    private var waiters: [(id: UInt64, continuation: CheckedContinuation<Bool, Never>)] = []
    private var nextID: UInt64 = 0

    func acquire(within bound: Duration) async throws {
        guard held else {
            held = true
            return
        }
        nextID += 1
        let id = nextID
        let timer = Task { [weak self] in
            try await Task.sleep(for: bound)
            await self?.expire(id)
        }
        let granted = await withCheckedContinuation { waiters.append((id, $0)) }
        timer.cancel()
        if !granted { throw WriteBusy(waited: bound) }
    }

    /// Waits for the turn however long it takes (a group commit's writers have bounds of their own).
    func acquire() async {
        guard held else {
            held = true
            return
        }
        nextID += 1
        let id = nextID
        _ = await withCheckedContinuation { waiters.append((id, $0)) }
    }

    func release() {
        if waiters.isEmpty {
            held = false
        } else {
            // The turn passes straight to the next writer.
            waiters.removeFirst().continuation.resume(returning: true)
        }
    }

    private func expire(_ id: UInt64) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(returning: false)
    }
}

/// SQLite's writers, committed in groups. A unit queues; if no group is running, its writer leads:
/// it takes the turn, runs everything queued (up to `maxGroup`) as one group, hands each unit its
/// outcome once the group committed, and goes on while units keep arriving. A unit still queued
/// when its bound runs out leaves with `WriteBusy`, having written nothing.
actor GroupCommit {
    typealias Work = GroupWork
    typealias Lead = @Sendable ([Work]) async -> [Result<Void, any Error>]

    /// A unit that finished without an outcome: cannot happen unless the group runner is wrong.
    struct Lost: Error {}

    private struct Entry {
        let id: UInt64
        let work: Work
        let queued: ContinuousClock.Instant
        let continuation: CheckedContinuation<Void, any Error>
        let timer: Task<Void, any Error>
    }

    /// Enough to share one commit among a burst of clients; small enough that the group's own
    /// units do not wait long behind each other.
    let maxGroup = 64
    private let turn: WriterTurn
    private var queue: [Entry] = []
    private var leading = false
    private var nextID: UInt64 = 0

    init(turn: WriterTurn) {
        self.turn = turn
    }

    func submit(within bound: Duration, lead: @escaping Lead, _ work: Work) async throws {
        nextID += 1
        let id = nextID
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let timer = Task { [weak self] in
                try await Task.sleep(for: bound)
                await self?.expire(id, after: bound)
            }
            queue.append(Entry(id: id, work: work, queued: .now, continuation: continuation, timer: timer))
            if !leading {
                leading = true
                Task { await self.lead(lead) }
            }
        }
    }

    private func lead(_ run: Lead) async {
        while !queue.isEmpty {
            await turn.acquire()
            let group = Array(queue.prefix(maxGroup))
            queue.removeFirst(group.count)
            let now = ContinuousClock.now
            for entry in group {
                entry.timer.cancel()
                Metrics.Timer(label: "finance_write_turn_wait_seconds").record(duration: now - entry.queued)
            }
            let outcomes = group.isEmpty ? [] : await run(group.map(\.work))
            await turn.release()
            for (entry, outcome) in zip(group, outcomes) { entry.continuation.resume(with: outcome) }
        }
        leading = false
    }

    private func expire(_ id: UInt64, after bound: Duration) {
        guard let index = queue.firstIndex(where: { $0.id == id }) else { return }
        queue.remove(at: index).continuation.resume(throwing: WriteBusy(waited: bound))
    }
}

/// A unit of work waiting for its group.
enum GroupWork: Sendable {
    /// Complete in itself: it runs in a savepoint of its own.
    case alone(@Sendable (any Database) async throws -> Void)
    /// A unit of the ledger that shares its end with the ledger units beside it (`LedgerBatch`).
    case batched(LedgerUnit)
}

/// PostgreSQL: a `GroupCommit` for each user with writers in this process, dropped when the last one leaves.
actor UserGroups {
    private var groups: [UUID: (group: GroupCommit, users: Int)] = [:]

    func enter(_ userID: UUID) -> GroupCommit {
        let entry = groups[userID] ?? (GroupCommit(turn: WriterTurn()), 0)
        groups[userID] = (entry.group, entry.users + 1)
        return entry.group
    }

    func leave(_ userID: UUID) {
        guard let entry = groups[userID] else { return }
        groups[userID] = entry.users > 1 ? (entry.group, entry.users - 1) : nil
    }
}

extension DatabaseID {
    /// The second pool on the SQLite file, used by writers alone.
    static let sqliteWriter = DatabaseID(string: "sqlite-writer")
}

extension Application {
    private struct WriteTransactionsKey: StorageKey { typealias Value = WriteTransactions }

    var writeTransactions: WriteTransactions {
        get { configured(WriteTransactionsKey.self, "writes") }
        set { storage[WriteTransactionsKey.self] = newValue }
    }

    /// Runs `body` in a database transaction that writes, as `owner`, taking its turn (see
    /// `WriteTransactions`). Changes to a user's own data go through `ledger.write` instead, which
    /// also keeps the derived tables in step.
    func write<T: Sendable>(as owner: DataOwner, _ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        try await writeTransactions.run(self, as: owner, body)
    }
}
