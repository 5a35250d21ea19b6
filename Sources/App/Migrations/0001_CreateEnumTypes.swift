import Fluent

/// The domain's enum types, as PostgreSQL enum types. SQLite has none: its tables check the values instead.
struct CreateEnumTypes: AsyncMigration {
    func prepare(on database: any Database) async throws {
        guard database.engine == .postgres else { return }
        try await database.transaction { db in
            try await db.sql.execute(DatabaseEnum.all.map { "CREATE TYPE \($0.typeName) AS ENUM (\($0.quotedValues))" })
        }
    }

    func revert(on database: any Database) async throws {
        guard database.engine == .postgres else { return }
        try await database.transaction { db in
            try await db.sql.execute(DatabaseEnum.all.reversed().map { "DROP TYPE \($0.typeName)" })
        }
    }
}
