import Fluent
import SQLKit

/// The planners' statistics, refreshed after a load large enough to change the plans that follow it.
///
/// - PostgreSQL: until autovacuum comes round, the statistics describe the tables before the load: a
///   user whose history just arrived is planned as one with no rows, so a statement that could reach
///   a day through the `(user_id, date)` index scans all the user's rows instead (a write's daily
///   totals: 5–20 ms instead of a fraction of one), and `min(date)` of an account reads every
///   snapshot rather than the first. ANALYZE counts the load's own rows even before commit, and a
///   small sample is enough to see them.
/// - SQLite keeps no statistics until something analyzes the file, and without them it guesses
///   (reading all of a user's rows by an index that saves a sort, where a few days were wanted). A
///   bounded sample (`analysis_limit`) keeps ANALYZE to milliseconds on a million rows, but a sample
///   can mislead it too: the write path's statements whose plan matters most say their index
///   (`DatabaseEngine.indexedBy`) or leave it no other (`TransferFlags.regionsQuery`).
enum PlannerStatistics {
    /// From this many rows a load changes plans.
    static let largeLoad = 1_000

    /// Rows SQLite's ANALYZE reads from each index.
    static let sqliteAnalysisLimit = 1_000

    static func refresh(_ tables: [String], on database: any Database) async throws {
        let sql = database.sql
        switch database.engine {
        case .postgres:
            // Until the transaction's end, and only for its own ANALYZEs (nothing else reads it).
            if database.inTransaction { try await sql.raw("SET LOCAL default_statistics_target = 10").run() }
        case .sqlite:
            try await sql.raw(sqliteSample).run()
        }
        for table in tables { try await sql.raw("ANALYZE \(ident: table)").run() }
    }

    private static let sqliteSample: SQLQueryString = "PRAGMA analysis_limit = \(unsafeRaw: String(sqliteAnalysisLimit))"

    /// SQLite, as a process opens the file: statistics for the tables that have none or have grown
    /// much since (SQLite's own `PRAGMA optimize`), so that a ledger that grew by small writes, or
    /// came from an older version, is planned by its real shape. Best effort: another process
    /// writing at that moment leaves it for the next start.
    static func refreshOnOpen(_ database: any Database) async {
        guard database.engine == .sqlite else { return }
        _ = try? await database.sql.raw(sqliteSample).run()
        _ = try? await database.sql.raw("PRAGMA optimize = 0x10002").run()
    }
}
