import Fluent

/// On PostgreSQL, the trigger that moves `net_worth_days` when snapshots are updated no longer
/// joins the statement's old rows to its new ones. Transition tables carry no statistics, so that
/// join ran as a nested loop: a shift of 230 snapshots compared 53,000 pairs, twice, and took
/// about 6 ms of every write. Now the old rows go in negated and the new rows as they are, summed
/// per day and currency in one pass; a day whose sums did not move (every later day of a shift)
/// nets to zero and is not written. SQLite's row trigger is unchanged.
///
/// Its DDL is written out here: a shipped migration creates the same schema forever. The revert
/// puts back the function migration 0035 made.
struct NetWorthDaysMoveWithoutJoin: AsyncMigration {
    static let postgres = """
        CREATE OR REPLACE FUNCTION finance_net_worth_days_move() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO net_worth_days (user_id, date, currency, assets, liabilities)
            SELECT user_id, date, currency, sum(assets), sum(liabilities)
            FROM (SELECT user_id, date, currency, CASE WHEN liability THEN 0 ELSE change END AS assets,
                         CASE WHEN liability THEN change ELSE 0 END AS liabilities
                  FROM added
                  UNION ALL
                  SELECT user_id, date, currency, CASE WHEN liability THEN 0 ELSE -change END,
                         CASE WHEN liability THEN -change ELSE 0 END
                  FROM removed) AS moved
            GROUP BY user_id, date, currency
            HAVING sum(assets) <> 0 OR sum(liabilities) <> 0
            ON CONFLICT (user_id, date, currency) DO UPDATE SET
                assets = net_worth_days.assets + excluded.assets, liabilities = net_worth_days.liabilities + excluded.liabilities;
            RETURN NULL;
        END
        $$
        """

    /// Migration 0035's function, as it made it.
    static var revertPostgres: String {
        let made = CreateNetWorthDays.postgres.first { $0.contains("FUNCTION finance_net_worth_days_move()") }!
        return made.replacingOccurrences(of: "CREATE FUNCTION", with: "CREATE OR REPLACE FUNCTION")
    }

    func prepare(on database: any Database) async throws {
        guard database.engine == .postgres else { return }
        try await database.asSystem { db in try await db.sql.execute([Self.postgres]) }
    }

    func revert(on database: any Database) async throws {
        guard database.engine == .postgres else { return }
        try await database.transaction { db in try await db.sql.execute([Self.revertPostgres]) }
    }
}
