import Fluent

/// Facts kept beside the rows they describe, so that the dashboard's history and analytics read few
/// rows: each daily balance snapshot's change from the day before and whether its account is a
/// liability (net worth history sums the changes per day and side, with no join, instead of
/// carrying every account's balance forward; an account's type never changes), and whether a
/// transaction is half of a transfer between the user's own accounts (spending and income leave
/// those out).
struct AddSnapshotChangeAndTransferFlag: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.transaction { db in
            let amount = TableSchema.typeSQL(.amount, db.engine)
            switch db.engine {
            case .postgres:
                try await db.sql.execute([
                    "ALTER TABLE balance_snapshots ADD COLUMN change \(amount) NOT NULL DEFAULT 0",
                    "ALTER TABLE balance_snapshots ADD COLUMN liability boolean NOT NULL DEFAULT false",
                    "ALTER TABLE transactions ADD COLUMN is_transfer boolean NOT NULL DEFAULT false",
                    // History: an index-only scan of (user, day) with what it sums.
                    "CREATE INDEX balance_snapshots_user_date_change_idx ON balance_snapshots (user_id, date) INCLUDE (currency, liability, change, account_id)",
                ])
            case .sqlite:
                try await db.sql.execute([
                    "ALTER TABLE balance_snapshots ADD COLUMN change \(amount) NOT NULL DEFAULT 0",
                    "ALTER TABLE balance_snapshots ADD COLUMN liability INTEGER NOT NULL DEFAULT 0 CHECK (liability IN (0, 1))",
                    "ALTER TABLE transactions ADD COLUMN is_transfer INTEGER NOT NULL DEFAULT 0 CHECK (is_transfer IN (0, 1))",
                    "CREATE INDEX balance_snapshots_user_date_change_idx ON balance_snapshots (user_id, date, currency, liability, change, account_id)",
                ])
            }
        }
    }

    func revert(on database: any Database) async throws {
        try await database.transaction { db in
            try await db.sql.execute([
                "DROP INDEX balance_snapshots_user_date_change_idx",
                "ALTER TABLE transactions DROP COLUMN is_transfer",
                "ALTER TABLE balance_snapshots DROP COLUMN liability",
                "ALTER TABLE balance_snapshots DROP COLUMN change",
            ])
        }
    }
}
