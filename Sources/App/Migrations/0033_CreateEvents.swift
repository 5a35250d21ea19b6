import Fluent

/// The outbox of live events: what each unit of work changed, written in the same transaction as
/// the change (so an event exists exactly when its change committed), kept for a bounded time and
/// count so a client that reconnects gets what it missed (`EventOutbox`). An event's id is the
/// user's data version times 16 plus its place in the unit: ids increase per user.
///
/// Beside it, `event_tickets`: single-use tickets that let a browser open a stream (it cannot set
/// an `Authorization` header on an EventSource or a WebSocket). Only a ticket's SHA-256 is kept.
///
/// Its DDL is written out here, for each database: a shipped migration creates the same schema forever.
struct CreateEvents: AsyncMigration {
    static let sqlite = [
        """
        CREATE TABLE events (
            user_id BLOB NOT NULL,
            id INTEGER NOT NULL,
            type TEXT NOT NULL,
            occurred_at REAL NOT NULL,
            data TEXT NOT NULL,
            CONSTRAINT events_user_id_uuid CHECK (length(user_id) = 16),
            CONSTRAINT events_id_check CHECK (id > 0),
            CONSTRAINT events_type_check CHECK (length(type) BETWEEN 1 AND 100),
            CONSTRAINT events_data_check CHECK (json_valid(data)),
            CONSTRAINT events_pkey PRIMARY KEY (user_id, id),
            CONSTRAINT events_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
        ) STRICT, WITHOUT ROWID
        """,
        """
        CREATE TABLE event_tickets (
            token_hash BLOB NOT NULL,
            user_id BLOB NOT NULL,
            session_id BLOB NOT NULL,
            expires_at REAL NOT NULL,
            CONSTRAINT event_tickets_token_hash_check CHECK (length(token_hash) = 32),
            CONSTRAINT event_tickets_user_id_uuid CHECK (length(user_id) = 16),
            CONSTRAINT event_tickets_session_id_uuid CHECK (length(session_id) = 16),
            CONSTRAINT event_tickets_pkey PRIMARY KEY (token_hash),
            CONSTRAINT event_tickets_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
        ) STRICT, WITHOUT ROWID
        """,
        "CREATE INDEX event_tickets_expires_at_idx ON event_tickets (expires_at)",
        "CREATE INDEX event_tickets_user_id_idx ON event_tickets (user_id)",
    ]

    static let postgres = [
        """
        CREATE TABLE events (
            user_id uuid NOT NULL,
            id bigint NOT NULL,
            type text NOT NULL,
            occurred_at timestamptz NOT NULL,
            data jsonb NOT NULL,
            CONSTRAINT events_id_check CHECK (id > 0),
            CONSTRAINT events_type_check CHECK (length(type) BETWEEN 1 AND 100),
            CONSTRAINT events_pkey PRIMARY KEY (user_id, id),
            CONSTRAINT events_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
        )
        """,
        "ALTER TABLE events ENABLE ROW LEVEL SECURITY",
        "ALTER TABLE events FORCE ROW LEVEL SECURITY",
        """
        CREATE POLICY owner_isolation ON events
        USING ((SELECT current_setting('finance.system', true)) = 'on'
               OR user_id = (SELECT nullif(current_setting('finance.user_id', true), '')::uuid))
        WITH CHECK ((SELECT current_setting('finance.system', true)) = 'on'
                    OR user_id = (SELECT nullif(current_setting('finance.user_id', true), '')::uuid))
        """,
        """
        CREATE TABLE event_tickets (
            token_hash bytea NOT NULL,
            user_id uuid NOT NULL,
            session_id uuid NOT NULL,
            expires_at timestamptz NOT NULL,
            CONSTRAINT event_tickets_token_hash_check CHECK (length(token_hash) = 32),
            CONSTRAINT event_tickets_pkey PRIMARY KEY (token_hash),
            CONSTRAINT event_tickets_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
        )
        """,
        "CREATE INDEX event_tickets_expires_at_idx ON event_tickets (expires_at)",
        "CREATE INDEX event_tickets_user_id_idx ON event_tickets (user_id)",
        "ALTER TABLE event_tickets ENABLE ROW LEVEL SECURITY",
        "ALTER TABLE event_tickets FORCE ROW LEVEL SECURITY",
        """
        CREATE POLICY owner_isolation ON event_tickets
        USING ((SELECT current_setting('finance.system', true)) = 'on'
               OR user_id = (SELECT nullif(current_setting('finance.user_id', true), '')::uuid))
        WITH CHECK ((SELECT current_setting('finance.system', true)) = 'on'
                    OR user_id = (SELECT nullif(current_setting('finance.user_id', true), '')::uuid))
        """,
    ]

    func prepare(on database: any Database) async throws {
        try await database.asSystem { db in
            try await db.sql.execute(db.engine == .postgres ? Self.postgres : Self.sqlite)
        }
    }

    func revert(on database: any Database) async throws {
        try await database.transaction { db in try await db.sql.execute(["DROP TABLE event_tickets", "DROP TABLE events"]) }
    }
}
