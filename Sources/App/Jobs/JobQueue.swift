import Fluent
import Foundation
import SQLKit
import Vapor

/// What a job does.
enum JobKind: String, Sendable, Codable {
    /// Sync one Plaid connection: payload `{"user_id", "connection_id"}`.
    case syncConnection = "sync_connection"
}

/// A job a worker holds under a lease.
struct ClaimedJob: Sendable {
    let id: UUID
    let kind: JobKind
    let payload: [String: String]
    /// Counting this one.
    let attempts: Int
    let maxAttempts: Int
}

/// The `jobs` table as a queue that many processes share. Claiming is one `UPDATE … WHERE id IN
/// (SELECT … FOR UPDATE SKIP LOCKED) RETURNING`: each due job goes to exactly one worker, and a
/// worker never waits for rows another holds. A claim is a lease (`locked_until`); a job whose
/// worker died before finishing is due again when the lease runs out. SQLite has one writer at a
/// time, so there the same statement without the locking clause is enough.
struct JobQueue: Sendable {
    private enum Target: Sendable {
        case app(Application)
        case joined(any Database)
    }
    private let target: Target

    /// A queue whose every change is a write transaction of its own (`Application.write`).
    init(app: Application) { target = .app(app) }

    /// A queue whose changes join the caller's write transaction on `db`.
    init(joining db: any Database) { target = .joined(db) }

    private func write<T: Sendable>(_ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        switch target {
        case .app(let app): try await app.write(as: .system, body)
        case .joined(let db): try await body(db)
        }
    }

    /// Queues a job unless one with the same `dedupeKey` is already waiting; answers whether it queued one.
    @discardableResult
    func enqueue(_ kind: JobKind, payload: [String: String], dedupeKey: String?, runAt: Date = Date(), maxAttempts: Int = 8) async throws -> Bool {
        let json = String(decoding: try JSONEncoder().encode(payload), as: UTF8.self)
        let now = Date()
        return try await write { db in
        let cast = SQLQueryString(db.engine.jsonCast)
        let rows = try await db.sql.raw("""
            INSERT INTO jobs (id, kind, payload, dedupe_key, status, run_at, attempts, max_attempts, created_at, updated_at)
            VALUES (\(bind: UUID.timeOrdered()), \(bind: kind.rawValue), \(bind: json)\(cast), \(bind: dedupeKey), 'queued',
                    \(bind: runAt), 0, \(bind: maxAttempts), \(bind: now), \(bind: now))
            ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
            RETURNING id
            """).all()
        if !rows.isEmpty { try await EventOutbox.notifyJobsQueued(on: db) }
        return !rows.isEmpty
        }
    }

    /// Claims up to `limit` due jobs for `worker` until `now + lease`. A claimed job's dedupe key is
    /// cleared: new work of the same kind may queue behind the one now running.
    func claim(worker: String, limit: Int, lease: Duration, now: Date = Date()) async throws -> [ClaimedJob] {
        let until = now.addingTimeInterval(Double(lease.components.seconds) + Double(lease.components.attoseconds) / 1e18)
        return try await write { db in
        let locking = SQLQueryString(db.engine.skipLocked)
        let payload = SQLQueryString(db.engine.text(ofJSON: "payload"))
        let rows = try await db.sql.raw("""
            UPDATE jobs SET locked_by = \(bind: worker), locked_until = \(bind: until), attempts = attempts + 1,
                dedupe_key = NULL, updated_at = \(bind: now)
            WHERE id IN (
                SELECT id FROM jobs
                WHERE status = 'queued' AND run_at <= \(bind: now) AND (locked_until IS NULL OR locked_until < \(bind: now))
                  AND attempts < max_attempts
                ORDER BY run_at LIMIT \(bind: limit) \(locking)
            )
            RETURNING id, kind, \(payload) AS payload, attempts, max_attempts
            """).all()
        return try rows.compactMap { row in
            guard let kind = JobKind(rawValue: try row.decode(column: "kind", as: String.self)) else { return nil }
            let text = try row.decode(column: "payload", as: String.self)
            let payload = (try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))) ?? [:]
            return ClaimedJob(id: try row.decode(column: "id", as: UUID.self), kind: kind, payload: payload,
                              attempts: try row.decode(column: "attempts", as: Int.self),
                              maxAttempts: try row.decode(column: "max_attempts", as: Int.self))
        }
        }
    }

    /// Extends `worker`'s hold on a job still running; answers whether it still held it.
    @discardableResult
    func renew(_ job: ClaimedJob, worker: String, lease: Duration, now: Date = Date()) async throws -> Bool {
        let until = now.addingTimeInterval(Double(lease.components.seconds))
        return try await write { db in
            let rows = try await db.sql.raw("""
                UPDATE jobs SET locked_until = \(bind: until) WHERE id = \(bind: job.id) AND locked_by = \(bind: worker) RETURNING id
                """).all()
            return !rows.isEmpty
        }
    }

    /// Marks `failed` the jobs whose attempts all ended with their worker gone (a job that kills its
    /// process is not claimed again and again); answers how many.
    @discardableResult
    func failAbandoned(now: Date = Date()) async throws -> Int {
        try await write { db in try await db.sql.raw("""
            UPDATE jobs SET status = 'failed', locked_by = NULL, locked_until = NULL, updated_at = \(bind: now),
                last_error = \(bind: "Its worker stopped before finishing, on every attempt.")
            WHERE status = 'queued' AND attempts >= max_attempts AND (locked_until IS NULL OR locked_until < \(bind: now))
            RETURNING id
            """).all().count }
    }

    /// The job is done: gone from the queue, provided `worker` still holds it.
    func complete(_ job: ClaimedJob, worker: String) async throws {
        try await write { db in try await db.sql.raw("DELETE FROM jobs WHERE id = \(bind: job.id) AND locked_by = \(bind: worker)").run() }
    }

    /// The job failed: due again after a backoff that doubles with each attempt (30 s, 1 min, 2 min…,
    /// at most 6 h), or, out of attempts or with `retry` false, kept as `failed` with its error.
    func fail(_ job: ClaimedJob, worker: String, error: String, retry: Bool = true, now: Date = Date()) async throws {
        let message = String(error.prefix(4000))
        try await write { db in
        if retry && job.attempts < job.maxAttempts {
            let delay = min(30.0 * pow(2.0, Double(job.attempts - 1)), 6 * 3600)
            try await db.sql.raw("""
                UPDATE jobs SET run_at = \(bind: now.addingTimeInterval(delay)), locked_by = NULL, locked_until = NULL,
                    last_error = \(bind: message), updated_at = \(bind: now)
                WHERE id = \(bind: job.id) AND locked_by = \(bind: worker)
                """).run()
        } else {
            try await db.sql.raw("""
                UPDATE jobs SET status = 'failed', locked_by = NULL, locked_until = NULL, last_error = \(bind: message), updated_at = \(bind: now)
                WHERE id = \(bind: job.id) AND locked_by = \(bind: worker)
                """).run()
        }
        }
    }

    /// Queues a sync of every healthy or failing connection not synced (nor tried) within `interval`,
    /// one job per connection: a connection with a sync already waiting gets no second one, whichever
    /// process's scheduler runs. Connections waiting for their login, or disabled, wait for the
    /// person. Answers how many it queued.
    func scheduleSyncs(every interval: Duration, now: Date = Date()) async throws -> Int {
        let cutoff = now.addingTimeInterval(-(Double(interval.components.seconds)))
        let read: @Sendable (any Database) async throws -> [(UUID, UUID)] = { db in
            try await db.sql.raw("""
                SELECT id, user_id FROM plaid_connections
                WHERE status IN ('healthy', 'error') AND coalesce(last_attempted_at, last_synced_at, created_at) < \(bind: cutoff)
                """).all().map { (try $0.decode(column: "id", as: UUID.self), try $0.decode(column: "user_id", as: UUID.self)) }
        }
        let due = switch target {
        case .app(let app): try await app.db.asSystem(read)
        case .joined(let db): try await read(db)
        }
        var queued = 0
        for (connection, user) in due {
            if try await enqueueSync(connection: connection, user: user) { queued += 1 }
        }
        return queued
    }

    /// Queues a sync of one connection unless one is already waiting.
    @discardableResult
    func enqueueSync(connection: UUID, user: UUID, runAt: Date = Date()) async throws -> Bool {
        try await enqueue(.syncConnection, payload: ["connection_id": connection.uuidString, "user_id": user.uuidString],
                          dedupeKey: "sync:\(connection.uuidString)", runAt: runAt)
    }
}
