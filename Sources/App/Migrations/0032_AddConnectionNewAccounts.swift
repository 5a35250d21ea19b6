import Fluent

/// What a connection keeps of Plaid's `NEW_ACCOUNTS_AVAILABLE`: since when the bank has accounts the
/// person has not shared with this server, and when Link last offered to share them (update mode with
/// account selection). A sync after that offer settles the question.
struct AddConnectionNewAccounts: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.transaction { db in
            let timestamp = TableSchema.typeSQL(.timestamp, db.engine)
            try await db.sql.execute([
                "ALTER TABLE plaid_connections ADD COLUMN new_accounts_available_at \(timestamp)",
                "ALTER TABLE plaid_connections ADD COLUMN account_selection_offered_at \(timestamp)",
            ])
        }
    }

    func revert(on database: any Database) async throws {
        try await database.transaction { db in
            try await db.sql.execute([
                "ALTER TABLE plaid_connections DROP COLUMN account_selection_offered_at",
                "ALTER TABLE plaid_connections DROP COLUMN new_accounts_available_at",
            ])
        }
    }
}
