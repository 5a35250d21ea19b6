import Fluent

/// PostgreSQL's second wall between users: on every user-owned table, a row is visible and writable
/// only inside a database transaction whose `finance.user_id` setting is its owner (set by the server
/// for each authenticated request), or whose `finance.system` setting is on (the server's own work:
/// logins, jobs, maintenance). FORCE makes the rules bind the tables' owner too; only superusers and
/// roles with BYPASSRLS escape them, which is why the server warns when it connects as one.
struct EnableRowLevelSecurity: AsyncMigration {
    static let policy = "owner_isolation"

    static let rule = """
        current_setting('finance.system', true) = 'on'
        OR user_id = nullif(current_setting('finance.user_id', true), '')::uuid
        """

    /// The user-owned tables that existed when this migration was written; later tables enable
    /// the same rules in their own migrations.
    static let tables = [
        "plaid_connections", "accounts", "transactions", "investments", "portfolios",
        "portfolio_items", "balance_snapshots", "audit_events", "refresh_tokens",
    ]

    func prepare(on database: any Database) async throws {
        guard database.engine == .postgres else { return }
        try await database.transaction { db in
            for table in Self.tables { try await db.sql.execute(Self.enableStatements(table)) }
        }
    }

    func revert(on database: any Database) async throws {
        guard database.engine == .postgres else { return }
        try await database.transaction { db in
            for table in Self.tables.reversed() { try await db.sql.execute(Self.disableStatements(table)) }
        }
    }

    static func enableStatements(_ table: String, rule: String = EnableRowLevelSecurity.rule) -> [String] {
        [
            "ALTER TABLE \(table) ENABLE ROW LEVEL SECURITY",
            "ALTER TABLE \(table) FORCE ROW LEVEL SECURITY",
            "CREATE POLICY \(policy) ON \(table) USING (\(rule)) WITH CHECK (\(rule))",
        ]
    }

    static func disableStatements(_ table: String) -> [String] {
        [
            "DROP POLICY \(policy) ON \(table)",
            "ALTER TABLE \(table) NO FORCE ROW LEVEL SECURITY",
            "ALTER TABLE \(table) DISABLE ROW LEVEL SECURITY",
        ]
    }
}

/// Every table whose rows belong to one user, each with a `user_id` column and row-level security.
enum UserOwnedTable {
    static let all = EvaluateRowLevelSecuritySettingsOnce.tables + ["security_prices", "investment_transactions", "data_versions"]
}
