import Fluent

/// Fills the daily balance snapshots, transfer flags and daily totals of ledgers written before
/// they were kept, as `finance snapshots rebuild` would. Reverting leaves them: they are derived
/// data, and the migrations before this one drop their columns and tables.
struct BackfillLedgerHistory: AsyncMigration {
    func prepare(on database: any Database) async throws {
        let users = try await database.asSystem { db in try await User.query(on: db).all().compactMap(\.id) }
        for user in users {
            try await database.asSystem { db in
                _ = try await BalanceSnapshots.rebuild(userID: user, on: db)
                try await TransferFlags.refresh(userID: user, around: [nil], on: db)
                try await DailyTotals.refresh(userID: user, around: [nil], on: db)
            }
        }
    }

    func revert(on database: any Database) async throws {}
}
