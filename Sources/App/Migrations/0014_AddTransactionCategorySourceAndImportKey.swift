import FinanceCore
import Fluent

/// Who chose each transaction's category (rules never override the user), and the key that makes
/// imports idempotent: a file's FITID or fingerprint, unique within its account.
struct AddTransactionCategorySourceAndImportKey: AsyncMigration {
    func prepare(on database: any Database) async throws {
        let sources = CategorySource.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        try await database.transaction { db in
            try await db.sql.execute([
                """
                ALTER TABLE transactions ADD COLUMN category_source TEXT NOT NULL DEFAULT 'default' \
                CONSTRAINT transactions_category_source_check CHECK (category_source IN (\(sources)))
                """,
                "ALTER TABLE transactions ADD COLUMN import_key TEXT CONSTRAINT transactions_import_key_check CHECK (length(import_key) <= 200)",
                "CREATE UNIQUE INDEX transactions_account_import_key ON transactions (account_id, import_key) WHERE import_key IS NOT NULL",
            ])
        }
    }

    func revert(on database: any Database) async throws {
        try await database.transaction { db in
            try await db.sql.execute([
                "DROP INDEX transactions_account_import_key",
                "ALTER TABLE transactions DROP COLUMN import_key",
                "ALTER TABLE transactions DROP COLUMN category_source",
            ])
        }
    }
}
