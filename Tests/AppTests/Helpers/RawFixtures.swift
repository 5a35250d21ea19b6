@testable import App
import FinanceCore
import Foundation
import SQLKit
import Vapor

/// Inserts rows with raw SQL, bypassing the application, so tests can prove what the database
/// itself enforces. Literals are written the way each database stores them.
struct RawFixtures {
    let app: Application
    var engine: DatabaseEngine { app.db.engine }
    var database: Application { app }

    func uuid(_ id: UUID) -> String {
        switch engine {
        case .postgres: return "'\(id.uuidString)'"
        case .sqlite: return "X'\(id.uuidString.replacingOccurrences(of: "-", with: ""))'"
        }
    }

    /// An exact decimal literal: `numeric` text on PostgreSQL, integer units on SQLite.
    func decimal<Format: DecimalFormat>(_ text: String, _ type: FixedDecimal<Format>.Type) -> String {
        switch engine {
        case .postgres: return "'\(text)'"
        case .sqlite:
            // Out-of-range text is written through as a (too large) integer, to test the database's own limit.
            if let value = try? FixedDecimal<Format>(parsing: text) { return String(value.units) }
            let digits = text.replacingOccurrences(of: ".", with: "")
            return digits + String(repeating: "0", count: Format.scale - (text.split(separator: ".").dropFirst().first?.count ?? 0))
        }
    }

    func bytes(_ hex: String) -> String { engine == .postgres ? "'\\x\(hex)'::bytea" : "X'\(hex)'" }

    @discardableResult
    func user(email: String = "person-\(UUID().uuidString.prefix(8))@example.com", id: UUID = UUID()) async throws -> UUID {
        try await database.exec("""
            INSERT INTO users (id, email, password_hash, full_name, base_currency)
            VALUES (\(uuid(id)), '\(email)', '$2b$12$hash', 'Test Person', 'USD')
            """)
        return id
    }

    @discardableResult
    func account(user: UUID, type: String = "checking", currency: String = "USD", creditLimit: String? = nil,
                 plaidAccountID: String? = nil, id: UUID = UUID()) async throws -> UUID {
        try await database.exec("""
            INSERT INTO accounts (id, user_id, name, type, currency, current_balance, credit_limit, plaid_account_id)
            VALUES (\(uuid(id)), \(uuid(user)), 'Everyday', '\(type)', '\(currency)', \(decimal("100.00", Amount.self)),
                    \(creditLimit.map { decimal($0, Amount.self) } ?? "NULL"), \(plaidAccountID.map { "'\($0)'" } ?? "NULL"))
            """)
        return id
    }

    @discardableResult
    func transaction(user: UUID, account: UUID, amount: String = "-12.34", date: String = "2024-02-29",
                     category: String = "FOOD_AND_DRINK", plaidTransactionID: String? = nil, id: UUID = UUID()) async throws -> UUID {
        try await database.exec("""
            INSERT INTO transactions (id, user_id, account_id, date, amount, currency, description, category, plaid_transaction_id)
            VALUES (\(uuid(id)), \(uuid(user)), \(uuid(account)), '\(date)', \(decimal(amount, Amount.self)), 'USD',
                    'Corner Coffee', '\(category)', \(plaidTransactionID.map { "'\($0)'" } ?? "NULL"))
            """)
        return id
    }

    @discardableResult
    func investment(user: UUID, id: UUID = UUID()) async throws -> UUID {
        try await database.exec("""
            INSERT INTO investments (id, user_id, symbol, name, type, currency, latest_price, latest_price_date)
            VALUES (\(uuid(id)), \(uuid(user)), 'VTI', 'Vanguard Total Stock Market ETF', 'etf', 'USD', \(decimal("250.5", Price.self)), '2024-02-29')
            """)
        return id
    }

    @discardableResult
    func portfolio(user: UUID, id: UUID = UUID()) async throws -> UUID {
        try await database.exec("""
            INSERT INTO portfolios (id, user_id, name, currency) VALUES (\(uuid(id)), \(uuid(user)), 'Long term', 'USD')
            """)
        return id
    }

    @discardableResult
    func holding(user: UUID, portfolio: UUID, investment: UUID, quantity: String = "10.5", id: UUID = UUID()) async throws -> UUID {
        try await database.exec("""
            INSERT INTO portfolio_items (id, user_id, portfolio_id, investment_id, quantity, cost_basis)
            VALUES (\(uuid(id)), \(uuid(user)), \(uuid(portfolio)), \(uuid(investment)), \(decimal(quantity, Quantity.self)), \(decimal("2000", Amount.self)))
            """)
        return id
    }

    @discardableResult
    func snapshot(user: UUID, account: UUID, date: String = "2024-02-29", id: UUID = UUID()) async throws -> UUID {
        try await database.exec("""
            INSERT INTO balance_snapshots (id, user_id, account_id, date, current_balance, currency)
            VALUES (\(uuid(id)), \(uuid(user)), \(uuid(account)), '\(date)', \(decimal("100", Amount.self)), 'USD')
            """)
        return id
    }

    @discardableResult
    func connection(user: UUID, itemID: String = "item-\(UUID().uuidString)", id: UUID = UUID()) async throws -> UUID {
        try await database.exec("""
            INSERT INTO plaid_connections (id, user_id, plaid_item_id, access_token_ciphertext, access_token_key_id, institution_name)
            VALUES (\(uuid(id)), \(uuid(user)), '\(itemID)', \(bytes("00ff10")), 'k1', 'First Platypus Bank')
            """)
        return id
    }

    func auditEvent(user: UUID) async throws {
        try await database.exec("""
            INSERT INTO audit_events (id, user_id, action, entity_type, entity_id, changes)
            VALUES (\(uuid(UUID())), \(uuid(user)), 'update', 'account', \(uuid(UUID())), '{"name":{"old":"A","new":"B"}}')
            """)
    }

    func refreshToken(user: UUID) async throws {
        let now = engine == .postgres ? "now() + interval '30 days'" : "1900000000.0"
        try await database.exec("""
            INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at)
            VALUES (\(uuid(UUID())), \(uuid(user)), \(uuid(UUID())), \(bytes(String(UUID().uuidString.prefix(8)))), \(now))
            """)
    }

    @discardableResult
    func rule(user: UUID, id: UUID = UUID()) async throws -> UUID {
        try await app.exec("""
            INSERT INTO categorization_rules (id, user_id, match_field, match_kind, match_value, category)
            VALUES (\(uuid(id)), \(uuid(user)), 'merchant', 'contains', 'coffee', 'FOOD_AND_DRINK')
            """)
        return id
    }

    func statementImport(user: UUID, account: UUID) async throws {
        try await app.exec("""
            INSERT INTO statement_imports (id, user_id, account_id, format, added_count, skipped_count)
            VALUES (\(uuid(UUID())), \(uuid(user)), \(uuid(account)), 'ofx', 3, 0)
            """)
    }

    func fxRate(user: UUID, date: String = "2024-01-02", base: String = "EUR", quote: String = "USD", rate: String = "1.1") async throws {
        try await app.exec("""
            INSERT INTO fx_rates (id, user_id, date, base, quote, rate)
            VALUES (\(uuid(UUID())), \(uuid(user)), '\(date)', '\(base)', '\(quote)', \(decimal(rate, ExchangeRate.self)))
            """)
    }

    @discardableResult
    func investmentTransaction(user: UUID, portfolio: UUID, investment: UUID, id: UUID = UUID()) async throws -> UUID {
        try await app.exec("""
            INSERT INTO investment_transactions (id, user_id, portfolio_id, investment_id, date, activity, quantity, price, currency)
            VALUES (\(uuid(id)), \(uuid(user)), \(uuid(portfolio)), \(uuid(investment)), '2024-01-02', 'buy',
                    \(decimal("2", Quantity.self)), \(decimal("100", Price.self)), 'USD')
            """)
        return id
    }

    func securityPrice(user: UUID, investment: UUID, date: String = "2024-01-02", close: String = "101.5") async throws {
        try await app.exec("""
            INSERT INTO security_prices (id, user_id, investment_id, date, close)
            VALUES (\(uuid(UUID())), \(uuid(user)), \(uuid(investment)), '\(date)', \(decimal(close, Price.self)))
            """)
    }

    /// One of everything for a user: the rows a deletion must remove.
    @discardableResult
    func everything(for user: UUID) async throws -> (account: UUID, portfolio: UUID) {
        let connection = try await connection(user: user)
        let account = try await account(user: user)
        try await app.exec("UPDATE accounts SET plaid_connection_id = \(uuid(connection)) WHERE id = \(uuid(account))")
        try await transaction(user: user, account: account)
        try await snapshot(user: user, account: account)
        let investment = try await investment(user: user)
        let portfolio = try await portfolio(user: user)
        try await holding(user: user, portfolio: portfolio, investment: investment)
        try await investmentTransaction(user: user, portfolio: try await self.portfolio(user: user), investment: investment)
        try await securityPrice(user: user, investment: investment)
        try await auditEvent(user: user)
        try await refreshToken(user: user)
        try await rule(user: user)
        try await statementImport(user: user, account: account)
        try await fxRate(user: user)
        try await app.db.asSystem { db in
            try await DailyTotals.refresh(userID: user, around: [nil], on: db)
            _ = try await DataVersions.bump(user, now: Date(), on: db)
        }
        return (account, portfolio)
    }
}
