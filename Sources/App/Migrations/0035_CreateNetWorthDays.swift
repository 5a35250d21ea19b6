import Fluent

/// Each user's net worth changes per day and currency: the sum of every account's daily balance
/// snapshot change (`balance_snapshots.change`), assets and liabilities apart. Net worth history
/// reads one row a day from here instead of summing every account's day (about 90,000 snapshot rows
/// for ten years of thirty accounts; 3,650 rows here), and takes off at read time the few accounts it
/// must not count (hidden or closed).
///
/// Triggers on `balance_snapshots` keep it: whichever statement writes a snapshot (the unit of work's
/// rewrites and shifts, a portfolio's valuation, a cascade when an account or a user goes) moves
/// these rows in the same statement. A day whose sums come back to zero keeps its row of zeros.
/// PostgreSQL runs one trigger per statement over its changed rows (transition tables); SQLite one
/// per row. A deletion only subtracts from rows that exist, so a user's cascade can never insert a
/// row for the user being deleted. A day's sums span many accounts, each at most the largest amount
/// an account holds, so they are kept wider than an account's balance (numeric(28,4) on PostgreSQL,
/// SQLite's 64-bit integer: nine accounts at the largest amount on one day).
///
/// Its DDL is written out here, for each database: a shipped migration creates the same schema forever.
struct CreateNetWorthDays: AsyncMigration {
    static let sqlite = [
        """
        CREATE TABLE net_worth_days (
            user_id BLOB NOT NULL,
            date TEXT NOT NULL,
            currency TEXT NOT NULL,
            assets INTEGER NOT NULL,
            liabilities INTEGER NOT NULL,
            CONSTRAINT net_worth_days_user_id_uuid CHECK (length(user_id) = 16),
            CONSTRAINT net_worth_days_date_date CHECK (date = date(date)),
            CONSTRAINT net_worth_days_currency_format CHECK (currency GLOB '[A-Z][A-Z][A-Z]'),
            CONSTRAINT net_worth_days_pkey PRIMARY KEY (user_id, date, currency),
            CONSTRAINT net_worth_days_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
        ) STRICT, WITHOUT ROWID
        """,
        """
        CREATE TRIGGER balance_snapshots_net_worth_insert AFTER INSERT ON balance_snapshots BEGIN
            INSERT INTO net_worth_days (user_id, date, currency, assets, liabilities)
            VALUES (NEW.user_id, NEW.date, NEW.currency, CASE WHEN NEW.liability THEN 0 ELSE NEW.change END,
                    CASE WHEN NEW.liability THEN NEW.change ELSE 0 END)
            ON CONFLICT (user_id, date, currency) DO UPDATE SET
                assets = assets + excluded.assets, liabilities = liabilities + excluded.liabilities;
        END
        """,
        """
        CREATE TRIGGER balance_snapshots_net_worth_delete AFTER DELETE ON balance_snapshots BEGIN
            UPDATE net_worth_days SET
                assets = assets - CASE WHEN OLD.liability THEN 0 ELSE OLD.change END,
                liabilities = liabilities - CASE WHEN OLD.liability THEN OLD.change ELSE 0 END
            WHERE user_id = OLD.user_id AND date = OLD.date AND currency = OLD.currency;
        END
        """,
        """
        CREATE TRIGGER balance_snapshots_net_worth_update AFTER UPDATE ON balance_snapshots
        WHEN OLD.change IS NOT NEW.change OR OLD.date IS NOT NEW.date OR OLD.currency IS NOT NEW.currency
             OR OLD.liability IS NOT NEW.liability OR OLD.user_id IS NOT NEW.user_id BEGIN
            UPDATE net_worth_days SET
                assets = assets - CASE WHEN OLD.liability THEN 0 ELSE OLD.change END,
                liabilities = liabilities - CASE WHEN OLD.liability THEN OLD.change ELSE 0 END
            WHERE user_id = OLD.user_id AND date = OLD.date AND currency = OLD.currency;
            INSERT INTO net_worth_days (user_id, date, currency, assets, liabilities)
            VALUES (NEW.user_id, NEW.date, NEW.currency, CASE WHEN NEW.liability THEN 0 ELSE NEW.change END,
                    CASE WHEN NEW.liability THEN NEW.change ELSE 0 END)
            ON CONFLICT (user_id, date, currency) DO UPDATE SET
                assets = assets + excluded.assets, liabilities = liabilities + excluded.liabilities;
        END
        """,
        """
        INSERT INTO net_worth_days (user_id, date, currency, assets, liabilities)
        SELECT user_id, date, currency, sum(CASE WHEN liability THEN 0 ELSE change END), sum(CASE WHEN liability THEN change ELSE 0 END)
        FROM balance_snapshots GROUP BY user_id, date, currency
        """,
    ]

    static let postgres = [
        """
        CREATE TABLE net_worth_days (
            user_id uuid NOT NULL,
            date date NOT NULL,
            currency text NOT NULL,
            assets numeric(28,4) NOT NULL,
            liabilities numeric(28,4) NOT NULL,
            CONSTRAINT net_worth_days_currency_format CHECK (currency ~ '^[A-Z]{3}$'),
            CONSTRAINT net_worth_days_pkey PRIMARY KEY (user_id, date, currency),
            CONSTRAINT net_worth_days_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
        )
        """,
        "ALTER TABLE net_worth_days ENABLE ROW LEVEL SECURITY",
        "ALTER TABLE net_worth_days FORCE ROW LEVEL SECURITY",
        """
        CREATE POLICY owner_isolation ON net_worth_days
        USING ((SELECT current_setting('finance.system', true)) = 'on'
               OR user_id = (SELECT nullif(current_setting('finance.user_id', true), '')::uuid))
        WITH CHECK ((SELECT current_setting('finance.system', true)) = 'on'
                    OR user_id = (SELECT nullif(current_setting('finance.user_id', true), '')::uuid))
        """,
        // Rows in: added to their day's sums (a day without a row gets one).
        """
        CREATE FUNCTION finance_net_worth_days_add() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO net_worth_days (user_id, date, currency, assets, liabilities)
            SELECT user_id, date, currency, sum(CASE WHEN liability THEN 0 ELSE change END), sum(CASE WHEN liability THEN change ELSE 0 END)
            FROM added GROUP BY user_id, date, currency
            ON CONFLICT (user_id, date, currency) DO UPDATE SET
                assets = net_worth_days.assets + excluded.assets, liabilities = net_worth_days.liabilities + excluded.liabilities;
            RETURN NULL;
        END
        $$
        """,
        // Rows out: taken from their day's sums, which exist (or went with their user).
        """
        CREATE FUNCTION finance_net_worth_days_remove() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE net_worth_days n SET assets = n.assets - r.assets, liabilities = n.liabilities - r.liabilities
            FROM (SELECT user_id, date, currency, sum(CASE WHEN liability THEN 0 ELSE change END) AS assets,
                         sum(CASE WHEN liability THEN change ELSE 0 END) AS liabilities
                  FROM removed GROUP BY user_id, date, currency) r
            WHERE n.user_id = r.user_id AND n.date = r.date AND n.currency = r.currency;
            RETURN NULL;
        END
        $$
        """,
        // Rows changed: only those whose change, day, currency or side moved (a shift rewrites every
        // later balance but few changes); the old values out, the new in.
        """
        CREATE FUNCTION finance_net_worth_days_move() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO net_worth_days (user_id, date, currency, assets, liabilities)
            SELECT user_id, date, currency, sum(assets), sum(liabilities)
            FROM (SELECT n.user_id, n.date, n.currency, CASE WHEN n.liability THEN 0 ELSE n.change END AS assets,
                         CASE WHEN n.liability THEN n.change ELSE 0 END AS liabilities, n.id
                  FROM added n JOIN removed o ON o.id = n.id
                  WHERE (n.change, n.date, n.currency, n.liability, n.user_id) IS DISTINCT FROM (o.change, o.date, o.currency, o.liability, o.user_id)
                  UNION ALL
                  SELECT o.user_id, o.date, o.currency, CASE WHEN o.liability THEN 0 ELSE -o.change END,
                         CASE WHEN o.liability THEN -o.change ELSE 0 END, o.id
                  FROM removed o JOIN added n ON n.id = o.id
                  WHERE (n.change, n.date, n.currency, n.liability, n.user_id) IS DISTINCT FROM (o.change, o.date, o.currency, o.liability, o.user_id)
                 ) AS moved
            GROUP BY user_id, date, currency
            ON CONFLICT (user_id, date, currency) DO UPDATE SET
                assets = net_worth_days.assets + excluded.assets, liabilities = net_worth_days.liabilities + excluded.liabilities;
            RETURN NULL;
        END
        $$
        """,
        """
        CREATE TRIGGER balance_snapshots_net_worth_insert AFTER INSERT ON balance_snapshots
        REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION finance_net_worth_days_add()
        """,
        """
        CREATE TRIGGER balance_snapshots_net_worth_delete AFTER DELETE ON balance_snapshots
        REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION finance_net_worth_days_remove()
        """,
        """
        CREATE TRIGGER balance_snapshots_net_worth_update AFTER UPDATE ON balance_snapshots
        REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION finance_net_worth_days_move()
        """,
        """
        INSERT INTO net_worth_days (user_id, date, currency, assets, liabilities)
        SELECT user_id, date, currency, sum(CASE WHEN liability THEN 0 ELSE change END), sum(CASE WHEN liability THEN change ELSE 0 END)
        FROM balance_snapshots GROUP BY user_id, date, currency
        """,
    ]

    static let revertPostgres = [
        "DROP TRIGGER balance_snapshots_net_worth_insert ON balance_snapshots",
        "DROP TRIGGER balance_snapshots_net_worth_delete ON balance_snapshots",
        "DROP TRIGGER balance_snapshots_net_worth_update ON balance_snapshots",
        "DROP FUNCTION finance_net_worth_days_add()",
        "DROP FUNCTION finance_net_worth_days_remove()",
        "DROP FUNCTION finance_net_worth_days_move()",
        "DROP TABLE net_worth_days",
    ]

    static let revertSQLite = [
        "DROP TRIGGER balance_snapshots_net_worth_insert",
        "DROP TRIGGER balance_snapshots_net_worth_delete",
        "DROP TRIGGER balance_snapshots_net_worth_update",
        "DROP TABLE net_worth_days",
    ]

    func prepare(on database: any Database) async throws {
        try await database.asSystem { db in
            try await db.sql.execute(db.engine == .postgres ? Self.postgres : Self.sqlite)
        }
    }

    func revert(on database: any Database) async throws {
        try await database.transaction { db in
            try await db.sql.execute(db.engine == .postgres ? Self.revertPostgres : Self.revertSQLite)
        }
    }
}
