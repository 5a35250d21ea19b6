import Fluent

/// Drops `balance_snapshots_user_date_idx`, the index of snapshots by `(user_id, date)` that
/// migration 0009 made. Migration 0018's `balance_snapshots_user_date_change_idx` begins with the
/// same two columns, so every read the old index served, the other serves too; but each snapshot
/// written (a write on a past day shifts every later day's row, a first import writes ten years of
/// them) still paid for an entry in both. Measured with `finance bench load` on PostgreSQL, back to
/// back: 894 and 969 mixed requests a second without it, 802 and 856 with it.
///
/// Its DDL is written out here: a shipped migration creates the same schema forever.
struct DropRedundantSnapshotIndex: AsyncMigration {
    /// Migration 0009's index, as it made it on both databases.
    static let original = "CREATE INDEX balance_snapshots_user_date_idx ON balance_snapshots (user_id, date)"

    func prepare(on database: any Database) async throws {
        try await database.transaction { db in try await db.sql.execute(["DROP INDEX balance_snapshots_user_date_idx"]) }
    }

    func revert(on database: any Database) async throws {
        try await database.transaction { db in try await db.sql.execute([Self.original]) }
    }
}
