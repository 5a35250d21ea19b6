@testable import App
import Foundation
import SQLKit
import Testing

/// Each test writes a valid row through a raw-SQL fixture, then the same fixture with one value
/// changed, and expects the database itself to refuse it, naming the rule that refused it.
@Suite("Database constraints")
struct ConstraintTests {
    /// Runs `statement` and expects the database to refuse it with a message containing `fragment`
    /// (for SQLite, which does not name foreign keys, `sqliteFragment` when given).
    func expectRefusal(
        _ backend: TestBackend, _ fragment: String, sqlite sqliteFragment: String? = nil,
        sourceLocation: SourceLocation = #_sourceLocation, _ statement: () async throws -> Void
    ) async {
        do {
            try await statement()
            Issue.record("The database accepted a row it should refuse (\(fragment))", sourceLocation: sourceLocation)
        } catch {
            let message = String(reflecting: error)
            let expected = backend == .sqlite ? (sqliteFragment ?? fragment) : fragment
            #expect(message.contains(expected), "\(message)", sourceLocation: sourceLocation)
        }
    }

    @Test("Emails are unique whatever their capitals", arguments: TestBackend.all)
    func uniqueEmail(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let db = RawFixtures(app: app)
            try await db.user(email: "ada@example.com")
            try await db.user(email: "grace@example.com")
            await expectRefusal(backend, "users_email_lower_key") { try await db.user(email: "Ada@Example.COM") }
        }
    }

    @Test("A transaction needs an existing account of its own owner", arguments: TestBackend.all)
    func transactionAccount(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let db = RawFixtures(app: app)
            let ada = try await db.user(), bob = try await db.user()
            let adaAccount = try await db.account(user: ada)
            try await db.transaction(user: ada, account: adaAccount)
            await expectRefusal(backend, "transactions_account_id_user_id_fkey", sqlite: "FOREIGN KEY constraint failed") {
                try await db.transaction(user: ada, account: UUID())
            }
            await expectRefusal(backend, "transactions_account_id_user_id_fkey", sqlite: "FOREIGN KEY constraint failed") {
                try await db.transaction(user: bob, account: adaAccount)
            }
            await expectRefusal(backend, "accounts_user_id_fkey", sqlite: "FOREIGN KEY constraint failed") {
                try await db.account(user: UUID())
            }
        }
    }

    @Test("Currency codes are three capital letters", arguments: TestBackend.all)
    func currencyFormat(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let db = RawFixtures(app: app)
            let user = try await db.user()
            try await db.account(user: user, currency: "EUR")
            for bad in ["usd", "US", "USDT", "U$D", ""] {
                await expectRefusal(backend, "accounts_currency_format") { try await db.account(user: user, currency: bad) }
            }
        }
    }

    @Test("Quantities and credit limits are not negative", arguments: TestBackend.all)
    func notNegative(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let db = RawFixtures(app: app)
            let user = try await db.user()
            let portfolio = try await db.portfolio(user: user)
            let first = try await db.investment(user: user), second = try await db.investment(user: user)
            try await db.holding(user: user, portfolio: portfolio, investment: first, quantity: "0.00000001")
            await expectRefusal(backend, "portfolio_items_quantity_check") {
                try await db.holding(user: user, portfolio: portfolio, investment: second, quantity: "-0.00000001")
            }
            try await db.account(user: user, type: "credit_card", creditLimit: "5000")
            await expectRefusal(backend, "accounts_credit_limit_check") {
                try await db.account(user: user, type: "credit_card", creditLimit: "-1")
            }
        }
    }

    @Test("Natural keys are unique: a snapshot per account and day, a holding per security, Plaid ids per owner", arguments: TestBackend.all)
    func naturalKeys(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let db = RawFixtures(app: app)
            let ada = try await db.user(), bob = try await db.user()
            let account = try await db.account(user: ada)
            try await db.snapshot(user: ada, account: account, date: "2024-01-01")
            try await db.snapshot(user: ada, account: account, date: "2024-01-02")
            await expectRefusal(backend, "balance_snapshots_account_id_date_key", sqlite: "UNIQUE constraint failed: balance_snapshots.account_id, balance_snapshots.date") {
                try await db.snapshot(user: ada, account: account, date: "2024-01-01")
            }

            let portfolio = try await db.portfolio(user: ada), investment = try await db.investment(user: ada)
            try await db.holding(user: ada, portfolio: portfolio, investment: investment)
            await expectRefusal(backend, "portfolio_items_portfolio_id_investment_id_key", sqlite: "UNIQUE constraint failed: portfolio_items.portfolio_id") {
                try await db.holding(user: ada, portfolio: portfolio, investment: investment)
            }

            try await db.transaction(user: ada, account: account, plaidTransactionID: "txn-1")
            let bobAccount = try await db.account(user: bob)
            try await db.transaction(user: bob, account: bobAccount, plaidTransactionID: "txn-1")
            await expectRefusal(backend, "transactions_user_id_plaid_transaction_id_key", sqlite: "UNIQUE constraint failed: transactions.user_id, transactions.plaid_transaction_id") {
                try await db.transaction(user: ada, account: account, plaidTransactionID: "txn-1")
            }

            try await db.account(user: ada, plaidAccountID: "acc-1")
            await expectRefusal(backend, "accounts_user_id_plaid_account_id_key", sqlite: "UNIQUE constraint failed: accounts.user_id, accounts.plaid_account_id") {
                try await db.account(user: ada, plaidAccountID: "acc-1")
            }

            try await db.connection(user: ada, itemID: "item-1")
            await expectRefusal(backend, "plaid_connections_user_id_plaid_item_id_key", sqlite: "UNIQUE constraint failed: plaid_connections.user_id") {
                try await db.connection(user: ada, itemID: "item-1")
            }
        }
    }

    @Test("Enum columns take only their values", arguments: TestBackend.all)
    func enums(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let db = RawFixtures(app: app)
            let user = try await db.user()
            let account = try await db.account(user: user, type: "mortgage")
            await expectRefusal(backend, "invalid input value for enum account_type", sqlite: "accounts_type_enum") {
                try await db.account(user: user, type: "piggy_bank")
            }
            try await db.transaction(user: user, account: account, category: "UNCATEGORIZED")
            await expectRefusal(backend, "invalid input value for enum transaction_category", sqlite: "transactions_category_enum") {
                try await db.transaction(user: user, account: account, category: "food_and_drink")
            }
        }
    }

    @Test("Dates are real calendar days and amounts stay within their precision", arguments: TestBackend.all)
    func datesAndRanges(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let db = RawFixtures(app: app)
            let user = try await db.user()
            let account = try await db.account(user: user)
            try await db.transaction(user: user, account: account, date: "2024-02-29")
            await expectRefusal(backend, "date/time field value out of range", sqlite: "transactions_date_date") {
                try await db.transaction(user: user, account: account, date: "2024-02-30")
            }
            try await db.transaction(user: user, account: account, amount: "-99999999999999.9999")
            await expectRefusal(backend, "numeric field overflow", sqlite: "transactions_amount_range") {
                try await db.transaction(user: user, account: account, amount: "100000000000000")
            }
        }
    }

    @Test("A security still held cannot be deleted", arguments: TestBackend.all)
    func heldSecurity(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let db = RawFixtures(app: app)
            let user = try await db.user()
            let portfolio = try await db.portfolio(user: user)
            let held = try await db.investment(user: user), unheld = try await db.investment(user: user)
            try await db.holding(user: user, portfolio: portfolio, investment: held)
            try await app.exec("DELETE FROM investments WHERE id = \(db.uuid(unheld))")
            await expectRefusal(backend, "portfolio_items_investment_id_user_id_fkey", sqlite: "FOREIGN KEY constraint failed") {
                try await app.exec("DELETE FROM investments WHERE id = \(db.uuid(held))")
            }
        }
    }

    @Test("Deleting a user removes everything of theirs and nothing of anyone else's", arguments: TestBackend.all)
    func userDeletionCascades(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let db = RawFixtures(app: app)
            let ada = try await db.user(), bob = try await db.user()
            try await db.everything(for: ada)
            try await db.everything(for: bob)
            for table in UserOwnedTable.all {
                #expect(try await app.scalar("SELECT count(*) FROM \(table) WHERE user_id = \(db.uuid(ada))") > 0, "\(table)")
            }

            try await app.exec("DELETE FROM users WHERE id = \(db.uuid(ada))")

            for table in UserOwnedTable.all {
                #expect(try await app.scalar("SELECT count(*) FROM \(table) WHERE user_id = \(db.uuid(ada))") == 0, "\(table)")
                #expect(try await app.scalar("SELECT count(*) FROM \(table) WHERE user_id = \(db.uuid(bob))") > 0, "\(table)")
            }
        }
    }

    @Test("Deleting an account removes its transactions and snapshots; deleting a connection keeps its accounts", arguments: TestBackend.all)
    func accountDeletionCascades(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let db = RawFixtures(app: app)
            let user = try await db.user()
            let (account, _) = try await db.everything(for: user)
            let other = try await db.account(user: user)
            try await db.transaction(user: user, account: other)

            try await app.exec("DELETE FROM plaid_connections WHERE user_id = \(db.uuid(user))")
            #expect(try await app.scalar("SELECT count(*) FROM accounts WHERE id = \(db.uuid(account)) AND plaid_connection_id IS NULL") == 1)

            try await app.exec("DELETE FROM accounts WHERE id = \(db.uuid(account))")
            #expect(try await app.scalar("SELECT count(*) FROM transactions WHERE account_id = \(db.uuid(account))") == 0)
            #expect(try await app.scalar("SELECT count(*) FROM balance_snapshots WHERE account_id = \(db.uuid(account))") == 0)
            #expect(try await app.scalar("SELECT count(*) FROM transactions WHERE account_id = \(db.uuid(other))") == 1)
        }
    }
}
