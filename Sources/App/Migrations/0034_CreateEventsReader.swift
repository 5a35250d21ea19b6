import Fluent

/// PostgreSQL: an event stream's read of its user's outbox as one function, so that it is one
/// statement on its own. Every wake-up of a user's streams reads it, in every process; without the
/// function the read needs a transaction to set the row-level-security context, four round trips
/// where one does (a fifth of PostgreSQL's statements while events flow). The function reads as
/// that user, under the table's policy, and puts the caller's setting back before it returns; the
/// caller is the stream of a user its signed token named.
///
/// Its DDL is written out here rather than rendered: a shipped migration creates the same schema forever.
struct CreateEventsReader: PostgresOnlyMigration {
    static let postgres = [
        """
        CREATE FUNCTION finance_events_after(reader uuid, after_id bigint, max_count bigint)
        RETURNS TABLE (id bigint, type text, occurred_at timestamptz, data text) LANGUAGE plpgsql AS $$
        DECLARE
            previous text := current_setting('finance.user_id', true);
        BEGIN
            PERFORM set_config('finance.user_id', reader::text, true);
            RETURN QUERY SELECT e.id, e.type, e.occurred_at, e.data::text FROM events e
                WHERE e.user_id = reader AND e.id > after_id ORDER BY e.id LIMIT max_count;
            PERFORM set_config('finance.user_id', coalesce(previous, ''), true);
        END
        $$
        """,
        "REVOKE ALL ON FUNCTION finance_events_after(uuid, bigint, bigint) FROM PUBLIC",
    ]

    static let revertPostgres = ["DROP FUNCTION finance_events_after(uuid, bigint, bigint)"]
}
