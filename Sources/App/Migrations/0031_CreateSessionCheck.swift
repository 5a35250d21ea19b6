import Fluent

/// PostgreSQL: the check every authenticated request makes (is the session alive, and what is the
/// user's data version) as one function, so that it is one statement on its own. Without it the
/// check needs a transaction to set the row-level-security context: four round trips where one
/// does. The function reads as the server itself and puts the caller's setting back before it
/// returns (an error aborts the transaction, which undoes the setting too); it answers nothing but
/// that version, or NULL, for a user and session the caller's signed token already names. SQLite has no row-level security and runs the same query directly.
///
/// Its DDL is written out here rather than rendered: a shipped migration creates the same schema forever.
struct CreateSessionCheck: PostgresOnlyMigration {
    static let postgres = [
        """
        CREATE FUNCTION finance_session_version(session_user_id uuid, session_family_id uuid, checked_at timestamptz)
        RETURNS bigint LANGUAGE plpgsql AS $$
        DECLARE
            previous text := current_setting('finance.system', true);
            live_version bigint;
        BEGIN
            PERFORM set_config('finance.system', 'on', true);
            SELECT coalesce((SELECT d.version FROM data_versions d WHERE d.user_id = u.id), 0) INTO live_version FROM users u
            WHERE u.id = session_user_id AND u.is_active AND EXISTS (
                SELECT 1 FROM refresh_tokens r
                WHERE r.family_id = session_family_id AND r.user_id = u.id AND r.revoked_at IS NULL AND r.expires_at > checked_at);
            PERFORM set_config('finance.system', coalesce(previous, ''), true);
            RETURN live_version;
        END
        $$
        """,
        "REVOKE ALL ON FUNCTION finance_session_version(uuid, uuid, timestamptz) FROM PUBLIC",
    ]

    static let revertPostgres = ["DROP FUNCTION finance_session_version(uuid, uuid, timestamptz)"]
}
