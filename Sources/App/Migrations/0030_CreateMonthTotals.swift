import Fluent

/// Each account's money in, money out and count of transactions per month, category, pending flag
/// and currency, transfers included: what the totals of a filtered list of transactions sum instead
/// of the ledger itself (see `MonthTotals`). The unit of work keeps it in step with the ledger; this
/// migration fills it for the ledgers that exist.
///
/// Its DDL is written out here, for each database: a shipped migration creates the same schema forever.
struct CreateMonthTotals: AsyncMigration {
    static let sqlite = [
        """
        CREATE TABLE month_totals (
            user_id BLOB NOT NULL,
            account_id BLOB NOT NULL,
            month TEXT NOT NULL,
            category TEXT NOT NULL,
            pending INTEGER NOT NULL,
            currency TEXT NOT NULL,
            money_in INTEGER NOT NULL,
            money_out INTEGER NOT NULL,
            count INTEGER NOT NULL,
            updated_at REAL NOT NULL DEFAULT ((julianday('now') - 2440587.5) * 86400.0),
            CONSTRAINT month_totals_user_id_uuid CHECK (length(user_id) = 16),
            CONSTRAINT month_totals_account_id_uuid CHECK (length(account_id) = 16),
            CONSTRAINT month_totals_month_first_day CHECK (month = date(month) AND substr(month, 9, 2) = '01'),
            CONSTRAINT month_totals_category_enum CHECK ((category = 'INCOME' OR category = 'TRANSFER_IN' OR category = 'TRANSFER_OUT' OR category = 'LOAN_PAYMENTS' OR category = 'LOAN_DISBURSEMENTS' OR category = 'BANK_FEES' OR category = 'ENTERTAINMENT' OR category = 'FOOD_AND_DRINK' OR category = 'GENERAL_MERCHANDISE' OR category = 'HOME_IMPROVEMENT' OR category = 'MEDICAL' OR category = 'PERSONAL_CARE' OR category = 'GENERAL_SERVICES' OR category = 'GOVERNMENT_AND_NON_PROFIT' OR category = 'TRANSPORTATION' OR category = 'TRAVEL' OR category = 'RENT_AND_UTILITIES' OR category = 'OTHER' OR category = 'UNCATEGORIZED')),
            CONSTRAINT month_totals_pending_boolean CHECK (pending BETWEEN 0 AND 1),
            CONSTRAINT month_totals_currency_format CHECK (currency GLOB '[A-Z][A-Z][A-Z]'),
            CONSTRAINT month_totals_sums_check CHECK (money_in BETWEEN 0 AND 999999999999999999 AND money_out BETWEEN 0 AND 999999999999999999 AND count > 0),
            CONSTRAINT month_totals_pkey PRIMARY KEY (user_id, account_id, month, category, pending, currency),
            CONSTRAINT month_totals_account_id_user_id_fkey FOREIGN KEY (account_id, user_id) REFERENCES accounts (id, user_id) ON DELETE CASCADE
        ) STRICT, WITHOUT ROWID
        """,
        "CREATE INDEX month_totals_user_month_idx ON month_totals (user_id, month)",
        """
        INSERT INTO month_totals (user_id, account_id, month, category, pending, currency, money_in, money_out, count)
        SELECT user_id, account_id, substr(date, 1, 8) || '01', category, pending, currency,
               sum(CASE WHEN amount > 0 THEN amount ELSE 0 END), sum(CASE WHEN amount < 0 THEN -amount ELSE 0 END), count(*)
        FROM transactions GROUP BY user_id, account_id, substr(date, 1, 8) || '01', category, pending, currency
        """,
    ]

    static let postgres = [
        """
        CREATE TABLE month_totals (
            user_id uuid NOT NULL,
            account_id uuid NOT NULL,
            month date NOT NULL,
            category transaction_category NOT NULL,
            pending boolean NOT NULL,
            currency text NOT NULL,
            money_in numeric(18,4) NOT NULL,
            money_out numeric(18,4) NOT NULL,
            count bigint NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT month_totals_month_first_day CHECK (extract(day FROM month) = 1),
            CONSTRAINT month_totals_currency_format CHECK (currency ~ '^[A-Z]{3}$'),
            CONSTRAINT month_totals_sums_check CHECK (money_in >= 0 AND money_out >= 0 AND count > 0),
            CONSTRAINT month_totals_pkey PRIMARY KEY (user_id, account_id, month, category, pending, currency),
            CONSTRAINT month_totals_account_id_user_id_fkey FOREIGN KEY (account_id, user_id) REFERENCES accounts (id, user_id) ON DELETE CASCADE
        )
        """,
        "CREATE INDEX month_totals_user_month_idx ON month_totals (user_id, month)",
        "ALTER TABLE month_totals ENABLE ROW LEVEL SECURITY",
        "ALTER TABLE month_totals FORCE ROW LEVEL SECURITY",
        """
        CREATE POLICY owner_isolation ON month_totals
        USING ((SELECT current_setting('finance.system', true)) = 'on'
               OR user_id = (SELECT nullif(current_setting('finance.user_id', true), '')::uuid))
        WITH CHECK ((SELECT current_setting('finance.system', true)) = 'on'
                    OR user_id = (SELECT nullif(current_setting('finance.user_id', true), '')::uuid))
        """,
        """
        INSERT INTO month_totals (user_id, account_id, month, category, pending, currency, money_in, money_out, count)
        SELECT user_id, account_id, date_trunc('month', date)::date, category, pending, currency,
               sum(CASE WHEN amount > 0 THEN amount ELSE 0 END), sum(CASE WHEN amount < 0 THEN -amount ELSE 0 END), count(*)
        FROM transactions GROUP BY user_id, account_id, date_trunc('month', date)::date, category, pending, currency
        """,
    ]

    func prepare(on database: any Database) async throws {
        try await database.asSystem { db in
            try await db.sql.execute(db.engine == .postgres ? Self.postgres : Self.sqlite)
        }
    }

    func revert(on database: any Database) async throws {
        try await database.transaction { db in try await db.sql.execute(["DROP TABLE month_totals"]) }
    }
}
