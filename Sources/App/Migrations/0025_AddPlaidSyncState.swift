import Fluent

/// What syncing with Plaid keeps: the last failure of each connection (its message, beside the
/// `error_code` it already had) and when a sync last ran, and the id Plaid gives each investment
/// transaction, so that fetching the same transactions again adds none twice.
struct AddPlaidSyncState: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.transaction { db in
            let timestamp = TableSchema.typeSQL(.timestamp, db.engine)
            try await db.sql.execute([
                """
                ALTER TABLE plaid_connections ADD COLUMN error_message TEXT \
                CONSTRAINT plaid_connections_error_message_check CHECK (length(error_message) <= 2000)
                """,
                "ALTER TABLE plaid_connections ADD COLUMN last_attempted_at \(timestamp)",
                """
                ALTER TABLE investment_transactions ADD COLUMN plaid_investment_transaction_id TEXT \
                CONSTRAINT investment_transactions_plaid_id_check CHECK (length(plaid_investment_transaction_id) <= 200)
                """,
                """
                CREATE UNIQUE INDEX investment_transactions_user_plaid_id ON investment_transactions (user_id, plaid_investment_transaction_id) \
                WHERE plaid_investment_transaction_id IS NOT NULL
                """,
            ])
        }
    }

    func revert(on database: any Database) async throws {
        try await database.transaction { db in
            try await db.sql.execute([
                "DROP INDEX investment_transactions_user_plaid_id",
                "ALTER TABLE investment_transactions DROP COLUMN plaid_investment_transaction_id",
                "ALTER TABLE plaid_connections DROP COLUMN last_attempted_at",
                "ALTER TABLE plaid_connections DROP COLUMN error_message",
            ])
        }
    }
}
