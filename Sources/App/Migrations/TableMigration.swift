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
