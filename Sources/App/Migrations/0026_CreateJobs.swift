/// Background work, shared by every server process on one database: each job is claimed by one
/// worker at a time (`FOR UPDATE SKIP LOCKED` on PostgreSQL) under a lease that expires if the
/// worker dies, so another picks it up. A job that succeeds is deleted; one that fails is retried
/// with backoff until `max_attempts`, then kept as `failed` with its last error.
struct CreateJobs: TableMigration {
    static let table = TableSchema("jobs") { t in
        t.id()
        t.column("kind", .text)
        t.column("payload", .json)
        // Set while the job waits: a second job with the same key is not queued beside it.
        t.column("dedupe_key", .text, nullable: true)
        t.column("status", .text, default: "'queued'")
        t.column("run_at", .timestamp)
        t.column("attempts", .integer, default: "0")
        t.column("max_attempts", .integer, default: "8")
        t.column("last_error", .text, nullable: true)
        t.column("locked_by", .text, nullable: true)
        t.column("locked_until", .timestamp, nullable: true)
        t.timestamps()
        t.check("kind", "kind IN ('sync_connection')")
        t.check("status", "status IN ('queued', 'failed')")
        t.check("attempts", "attempts >= 0 AND max_attempts >= 1")
        t.check("last_error", "last_error IS NULL OR length(last_error) <= 4000")
        t.index(["dedupe_key"], unique: true, where: "dedupe_key IS NOT NULL")
        // Workers look for due jobs.
        t.index(["status", "run_at"])
    }
}
