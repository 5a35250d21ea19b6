import Fluent

/// Two facts kept beside the rows they describe, so that the dashboard's history and analytics read
/// few rows: each daily balance snapshot's change from the day before (net worth history sums
/// these per day instead of carrying every account's balance forward), and whether a transaction
/// is half of a transfer between the user's own accounts (spending and income leave those out).
struct AddSnapshotChangeAndTransferFlag: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.transaction { db in
            let amount = TableSchema.typeSQL(.amount, db.engine)
            switch db.engine {
            case .postgres:
                try await db.sql.execute([
                    "ALTER TABLE balance_snapshots ADD COLUMN change \(amount) NOT NULL DEFAULT 0",
                    "ALTER TABLE transactions ADD COLUMN is_transfer boolean NOT NULL DEFAULT false",
                    // History: an index-only scan of (user, day) with what it sums.
                    "CREATE INDEX balance_snapshots_user_date_change_idx ON balance_snapshots (user_id, date) INCLUDE (account_id, change)",
                ])
            case .sqlite:
                try await db.sql.execute([
                    "ALTER TABLE balance_snapshots ADD COLUMN change \(amount) NOT NULL DEFAULT 0",
                    "ALTER TABLE transactions ADD COLUMN is_transfer INTEGER NOT NULL DEFAULT 0 CHECK (is_transfer IN (0, 1))",
                    "CREATE INDEX balance_snapshots_user_date_change_idx ON balance_snapshots (user_id, date, account_id, change)",
                ])
            }
        }
    }

    func revert(on database: any Database) async throws {
        try await database.transaction { db in
            try await db.sql.execute([
                "DROP INDEX balance_snapshots_user_date_change_idx",
                "ALTER TABLE transactions DROP COLUMN is_transfer",
                "ALTER TABLE balance_snapshots DROP COLUMN change",
            ])
        }
    }
}
