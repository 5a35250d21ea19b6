import Fluent

/// Each user's data version: a counter the unit of work (`LedgerWriter`) raises in the same
/// transaction as every change to the user's data. Its row is also the user's turn to write: the
/// upsert that raises it holds the row until commit, so two writers of one user take turns on
/// PostgreSQL. Read caches and live updates key on it.
///
/// Its DDL is written out here, for each database, rather than rendered by the shared schema
/// helper: a shipped migration creates the same schema forever.
struct CreateDataVersions: AsyncMigration {
    static let sqlite = [
        """
        CREATE TABLE data_versions (
            user_id BLOB NOT NULL,
            version INTEGER NOT NULL DEFAULT 0,
            updated_at REAL NOT NULL DEFAULT ((julianday('now') - 2440587.5) * 86400.0),
            CONSTRAINT data_versions_user_id_uuid CHECK (length(user_id) = 16),
            CONSTRAINT data_versions_pkey PRIMARY KEY (user_id),
            CONSTRAINT data_versions_version_check CHECK (version >= 0),
            CONSTRAINT data_versions_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
        ) STRICT
        """,
    ]

    static let postgres = [
        """
        CREATE TABLE data_versions (
            user_id uuid NOT NULL,
            version bigint NOT NULL DEFAULT 0,
            updated_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT data_versions_pkey PRIMARY KEY (user_id),
            CONSTRAINT data_versions_version_check CHECK (version >= 0),
            CONSTRAINT data_versions_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
        )
        """,
        "ALTER TABLE data_versions ENABLE ROW LEVEL SECURITY",
        "ALTER TABLE data_versions FORCE ROW LEVEL SECURITY",
        """
        CREATE POLICY owner_isolation ON data_versions
        USING ((SELECT current_setting('finance.system', true)) = 'on'
               OR user_id = (SELECT nullif(current_setting('finance.user_id', true), '')::uuid))
        WITH CHECK ((SELECT current_setting('finance.system', true)) = 'on'
                    OR user_id = (SELECT nullif(current_setting('finance.user_id', true), '')::uuid))
        """,
    ]

    func prepare(on database: any Database) async throws {
        try await database.transaction { db in
            try await db.sql.execute(db.engine == .postgres ? Self.postgres : Self.sqlite)
        }
    }

    func revert(on database: any Database) async throws {
        try await database.transaction { db in try await db.sql.execute(["DROP TABLE data_versions"]) }
    }
}
