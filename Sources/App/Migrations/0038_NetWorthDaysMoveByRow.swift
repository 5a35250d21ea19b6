import Fluent

/// On PostgreSQL, `net_worth_days` follows updated snapshots through a row trigger that fires only
/// for a row whose change, day, currency, side or owner moved, as SQLite's has from the start. A
/// write on a past day shifts every later snapshot's balance but changes one day's `change`; the
/// statement trigger of migration 0036 captured every shifted row twice (old and new, in transition
/// tables) and summed them all to find that day. Measured on 280 shifted rows: 3.1–4.3 ms an UPDATE
/// with the statement trigger, 1.4–2.0 ms with this one. An UPDATE that changes many days' `change`
/// now runs the function once for each of them; the snapshot writer's UPDATEs change a batch's days.
///
/// Its DDL is written out here: a shipped migration creates the same schema forever. The revert
/// puts back the statement trigger of migration 0035 with the function of migration 0036.
struct NetWorthDaysMoveByRow: PostgresOnlyMigration {
    static let postgres = [
        "DROP TRIGGER balance_snapshots_net_worth_update ON balance_snapshots",
        "DROP FUNCTION finance_net_worth_days_move()",
        // The old values out of their day, the new into theirs; one upsert of the difference when
        // only the change moved.
        """
        CREATE FUNCTION finance_net_worth_days_move_row() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF (OLD.user_id, OLD.date, OLD.currency, OLD.liability) IS DISTINCT FROM (NEW.user_id, NEW.date, NEW.currency, NEW.liability) THEN
                UPDATE net_worth_days SET assets = assets - CASE WHEN OLD.liability THEN 0 ELSE OLD.change END,
                                          liabilities = liabilities - CASE WHEN OLD.liability THEN OLD.change ELSE 0 END
                WHERE user_id = OLD.user_id AND date = OLD.date AND currency = OLD.currency;
                INSERT INTO net_worth_days AS n (user_id, date, currency, assets, liabilities)
                VALUES (NEW.user_id, NEW.date, NEW.currency, CASE WHEN NEW.liability THEN 0 ELSE NEW.change END,
                        CASE WHEN NEW.liability THEN NEW.change ELSE 0 END)
                ON CONFLICT (user_id, date, currency) DO UPDATE SET
                    assets = n.assets + excluded.assets, liabilities = n.liabilities + excluded.liabilities;
            ELSE
                INSERT INTO net_worth_days AS n (user_id, date, currency, assets, liabilities)
                VALUES (NEW.user_id, NEW.date, NEW.currency, CASE WHEN NEW.liability THEN 0 ELSE NEW.change - OLD.change END,
                        CASE WHEN NEW.liability THEN NEW.change - OLD.change ELSE 0 END)
                ON CONFLICT (user_id, date, currency) DO UPDATE SET
                    assets = n.assets + excluded.assets, liabilities = n.liabilities + excluded.liabilities;
            END IF;
            RETURN NULL;
        END
        $$
        """,
        """
        CREATE TRIGGER balance_snapshots_net_worth_update AFTER UPDATE OF change, date, currency, liability, user_id ON balance_snapshots
        FOR EACH ROW WHEN ((OLD.change, OLD.date, OLD.currency, OLD.liability, OLD.user_id)
                           IS DISTINCT FROM (NEW.change, NEW.date, NEW.currency, NEW.liability, NEW.user_id))
        EXECUTE FUNCTION finance_net_worth_days_move_row()
        """,
    ]

    /// Migration 0035's trigger, with migration 0036's function.
    static var revertPostgres: [String] {
        let function = NetWorthDaysMoveWithoutJoin.postgres.replacingOccurrences(of: "CREATE OR REPLACE FUNCTION", with: "CREATE FUNCTION")
        let trigger = CreateNetWorthDays.postgres.first { $0.contains("CREATE TRIGGER balance_snapshots_net_worth_update") }!
        return [
            "DROP TRIGGER balance_snapshots_net_worth_update ON balance_snapshots",
            "DROP FUNCTION finance_net_worth_days_move_row()",
            function,
            trigger,
        ]
    }
}
