import Fluent

/// On SQLite, the index of a user's transactions by day also carries each row's amount, after the
/// columns the pages walk, so their order is unchanged. Transfer pairing after new rows reads the
/// rows of the amounts they bring over the days they span; SQLite now tests the amount in the index
/// and fetches only the rows that match, where it fetched every row of those days to test it (a
/// file that spans ten years read the whole ledger's rows that way). PostgreSQL reads those days
/// with one sequential scan and a hash of the amounts, and keeps its index as it is.
///
/// Its DDL is written out here: a shipped migration creates the same schema forever.
struct CoverAmountInUserDateIndex: AsyncMigration {
    static let covering = "CREATE INDEX transactions_user_date_idx ON transactions (user_id, date DESC, id DESC, amount)"
    /// Migration 0005's index, as it made it.
    static let original = "CREATE INDEX transactions_user_date_idx ON transactions (user_id, date DESC, id DESC)"

    func prepare(on database: any Database) async throws {
        guard database.engine == .sqlite else { return }
        try await database.transaction { db in
            try await db.sql.execute(["DROP INDEX transactions_user_date_idx", Self.covering])
        }
    }

    func revert(on database: any Database) async throws {
        guard database.engine == .sqlite else { return }
        try await database.transaction { db in
            try await db.sql.execute(["DROP INDEX transactions_user_date_idx", Self.original])
        }
    }
}
