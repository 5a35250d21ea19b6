import Fluent

/// The row-level-security rule reads its two settings through sub-selects, so that PostgreSQL
/// evaluates each once per query (an InitPlan) instead of once per row: `current_setting` is only
/// STABLE, and a scan of a hundred thousand rows spent half its time calling it. What the rule
/// allows is unchanged.
struct EvaluateRowLevelSecuritySettingsOnce: AsyncMigration {
    static let rule = """
        (SELECT current_setting('finance.system', true)) = 'on'
        OR user_id = (SELECT nullif(current_setting('finance.user_id', true), '')::uuid)
        """

    /// The user-owned tables that existed when this migration was written.
    static let tables = EnableRowLevelSecurity.tables + ["categorization_rules", "statement_imports", "fx_rates", "daily_totals"]

    func prepare(on database: any Database) async throws {
        try await alter(database, to: Self.rule)
    }

    func revert(on database: any Database) async throws {
        try await alter(database, to: EnableRowLevelSecurity.rule)
    }

    private func alter(_ database: any Database, to rule: String) async throws {
        guard database.engine == .postgres else { return }
        try await database.transaction { db in
            try await db.sql.execute(Self.tables.map {
                "ALTER POLICY \(EnableRowLevelSecurity.policy) ON \($0) USING (\(rule)) WITH CHECK (\(rule))"
            })
        }
    }
}
