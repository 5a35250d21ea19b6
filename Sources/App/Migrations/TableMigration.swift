import Fluent

/// A migration that creates one table (with its indexes) and reverts by dropping it.
/// Each runs inside a database transaction, so a failed step leaves nothing half-built.
protocol TableMigration: AsyncMigration {
    static var table: TableSchema { get }
}

extension TableMigration {
    func prepare(on database: any Database) async throws {
        try await database.transaction { db in
            try await db.sql.execute(Self.table.createStatements(db.engine))
        }
    }

    func revert(on database: any Database) async throws {
        try await database.transaction { db in
            try await db.sql.execute(Self.table.dropStatements())
        }
    }
}
