import Fluent
import Foundation
import SQLKit

/// The `events` table: live events written in the same transaction as the change they tell of, so
/// an event exists exactly when its change committed, and nothing is told of work that rolled back.
/// A stream reads what it has not sent yet from here; so does a client that reconnects with its
/// position. Each user's outbox keeps the last `keepCount` events of the last `keepSeconds`.
enum EventOutbox {
    static let keepCount = 1_000
    static let keepSeconds: TimeInterval = 7 * 86_400
    /// PostgreSQL's channel: each commit that wrote events sends `<user id>` on it, so that every
    /// server process reads the new events (by reference: a payload stays far below 8,000 bytes).
    static let channel = "finance_events"
    /// The payload on `channel` that says jobs were queued (the job workers of every process wake).
    static let jobsQueued = "jobs"

    /// Writes the unit's events under ids `version * 16 + n`, and on PostgreSQL asks for a
    /// notification at commit. Every 64th version of a user also drops their events past keeping.
    static func append(_ events: [PendingEvent], userID: UUID, version: Int64, at now: Date, on db: any Database) async throws {
        try await append([UnitEvents(userID: userID, version: version, events: events)], at: now, on: db)
    }

    /// One unit of work's events: whose, and the version the unit made.
    struct UnitEvents: Sendable {
        let userID: UUID
        let version: Int64
        let events: [PendingEvent]
    }

    /// The events of several units (of one user or several), each under its own version, in one statement.
    static func append(_ units: [UnitEvents], at now: Date, on db: any Database) async throws {
        let engine = db.engine
        var rows: [SQLQueryString] = []
        var users: [UUID] = [], pruned: Set<UUID> = []
        for unit in units where !unit.events.isEmpty {
            if !users.contains(unit.userID) { users.append(unit.userID) }
            // Every 64th version of a user also drops their events past keeping.
            if unit.version % 64 == 0 { pruned.insert(unit.userID) }
            for (index, event) in unit.events.prefix(Int(EventTypes.perUnit)).enumerated() {
                let id = unit.version * EventTypes.perUnit + Int64(index)
                rows.append("(\(bind: unit.userID), \(bind: id), \(bind: event.type), \(bind: now), \(bind: event.dataJSON)\(unsafeRaw: engine.jsonCast))")
            }
        }
        guard !rows.isEmpty else { return }
        try await db.sql.runInChunks(rows, of: 200, row: { $0 }, statement: { values in
            "INSERT INTO events (user_id, id, type, occurred_at, data) VALUES \(values)"
        })
        for user in users { try await notify(user, on: db) }
        for user in users where pruned.contains(user) { try await prune(userID: user, now: now, on: db) }
    }

    /// PostgreSQL: wakes the user's streams in every process at commit, with no event written.
    static func notify(_ userID: UUID, on db: any Database) async throws {
        guard db.engine == .postgres else { return }
        try await db.sql.raw("SELECT pg_notify(\(bind: channel), \(bind: userID.uuidString))").run()
    }

    /// PostgreSQL: wakes the job workers of every process at commit.
    static func notifyJobsQueued(on db: any Database) async throws {
        guard db.engine == .postgres else { return }
        try await db.sql.raw("SELECT pg_notify(\(bind: channel), \(bind: jobsQueued))").run()
    }

    /// What a stream reads when woken: the user's events after `position`, oldest first, at most
    /// `limit`, in one statement. On PostgreSQL a function reads them as the user (migration 0034);
    /// SQLite has no row-level security.
    static func read(after position: Int64, userID: UUID, limit: Int, on db: any Database) async throws -> [LiveEvent] {
        guard db.engine == .postgres else { return try await after(position, userID: userID, limit: limit, on: db) }
        let rows = try await db.sql.raw("""
            SELECT id, type, occurred_at, data FROM finance_events_after(\(bind: userID), \(bind: position), \(bind: limit))
            """).all()
        return try rows.map(LiveEvent.init(row:))
    }

    /// The user's events after `position`, oldest first, at most `limit`.
    static func after(_ position: Int64, userID: UUID, limit: Int, on db: any Database) async throws -> [LiveEvent] {
        let rows = try await db.sql.raw("""
            SELECT id, type, occurred_at, data\(unsafeRaw: db.engine == .postgres ? "::text AS data" : "") FROM events
            WHERE user_id = \(bind: userID) AND id > \(bind: position) ORDER BY id LIMIT \(unsafeRaw: String(limit))
            """).all()
        return try rows.map(LiveEvent.init(row:))
    }

    /// Whether the outbox still holds the event at `position`: then every event after it is there
    /// too, and a stream can resume from it exactly.
    static func holds(_ position: Int64, userID: UUID, on db: any Database) async throws -> Bool {
        try await db.sql.raw("SELECT 1 AS held FROM events WHERE user_id = \(bind: userID) AND id = \(bind: position)").first() != nil
    }

    /// The user's latest event id (0 when there is none).
    static func latest(userID: UUID, on db: any Database) async throws -> Int64 {
        let row = try await db.sql.raw("SELECT max(id) AS latest FROM events WHERE user_id = \(bind: userID)").first()
        return try row?.decode(column: "latest", as: Int64?.self) ?? 0
    }

    /// Drops the user's events older than `keepSeconds`, and all but their newest `keepCount`.
    static func prune(userID: UUID, now: Date, on db: any Database) async throws {
        try await db.sql.raw("""
            DELETE FROM events WHERE user_id = \(bind: userID) AND (occurred_at < \(bind: now.addingTimeInterval(-keepSeconds))
              OR id <= coalesce((SELECT id FROM events WHERE user_id = \(bind: userID) ORDER BY id DESC LIMIT 1 OFFSET \(unsafeRaw: String(keepCount))), 0))
            """).run()
    }
}

extension LiveEvent {
    /// An event as the outbox holds it (`id`, `type`, `occurred_at`, `data` as text).
    init(row: any SQLRow) throws {
        self.init(id: try row.decode(column: "id", as: Int64.self), type: try row.decode(column: "type", as: String.self),
                  occurredAt: try row.decode(column: "occurred_at", as: Date.self), data: try row.decode(column: "data", as: String.self))
    }
}
