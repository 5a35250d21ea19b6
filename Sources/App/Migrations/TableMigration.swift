import Fluent

/// A migration that creates one table (with its indexes) and reverts by dropping it.
/// Each runs inside a database transaction, so a failed step leaves nothing half-built.
protocol TableMigration: AsyncMigration {
    static var table: TableSchema { get }
    /// Whether the table gets the owner-only row-level-security policy on PostgreSQL
    /// (tables made before `EnableRowLevelSecurity` got it there).
    static var isUserOwned: Bool { get }
}

extension TableMigration {
    static var isUserOwned: Bool { false }

    func prepare(on database: any Database) async throws {
        try await database.transaction { db in
            try await db.sql.execute(Self.table.createStatements(db.engine))
            if Self.isUserOwned, db.engine == .postgres {
                try await db.sql.execute(EnableRowLevelSecurity.enableStatements(Self.table.name, rule: EvaluateRowLevelSecuritySettingsOnce.rule))
            }
        }
    }

    func revert(on database: any Database) async throws {
        try await database.transaction { db in
            try await db.sql.execute(Self.table.dropStatements())
        }
    }
}

/// A migration of PostgreSQL alone (a function the row-level security needs; SQLite has none): its
/// statements, written out in the migration, run in one transaction, and `revert` undoes them.
protocol PostgresOnlyMigration: AsyncMigration {
    static var postgres: [String] { get }
    static var revertPostgres: [String] { get }
}

extension PostgresOnlyMigration {
    func prepare(on database: any Database) async throws {
        guard database.engine == .postgres else { return }
        try await database.transaction { db in try await db.sql.execute(Self.postgres) }
    }

    func revert(on database: any Database) async throws {
        guard database.engine == .postgres else { return }
        try await database.transaction { db in try await db.sql.execute(Self.revertPostgres) }
    }
}
