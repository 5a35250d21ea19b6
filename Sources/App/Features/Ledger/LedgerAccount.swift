import FinanceCore
import Fluent
import Foundation
import SQLKit

/// An account as the write path reads it: what balances and snapshots follow from, as a plain value
/// read with one statement. Every unit of work reads the accounts it touched; a Fluent model would
/// pay its reflection on each read and each save, inside the writer's turn.
struct LedgerAccount: Sendable, Equatable {
    let id: UUID
    let userID: UUID
    let type: AccountType
    let currency: CurrencyCode
    let openingBalance: Amount
    var currentBalance: Amount
    let createdAt: Date?
    let plaidConnectionID: UUID?

    /// Kept by hand: its balance follows its transactions.
    var isManual: Bool { plaidConnectionID == nil }

    init(row: any SQLRow) throws {
        id = try row.decode(column: "id", as: UUID.self)
        userID = try row.decode(column: "user_id", as: UUID.self)
        type = try row.decodeLabel(column: "type", as: AccountType.self)
        currency = try row.decode(column: "currency", as: CurrencyCode.self)
        openingBalance = try row.decode(column: "opening_balance", as: Amount.self)
        currentBalance = try row.decode(column: "current_balance", as: Amount.self)
        createdAt = try row.decode(column: "created_at", as: Date?.self)
        plaidConnectionID = try row.decode(column: "plaid_connection_id", as: UUID?.self)
    }

    init(_ account: Account) throws {
        id = try account.requireID()
        userID = account.userID
        type = account.type
        currency = account.currency
        openingBalance = account.openingBalance
        currentBalance = account.currentBalance
        createdAt = account.createdAt
        plaidConnectionID = account.plaidConnectionID
    }

    /// The user's accounts among `ids` (a deleted one is simply missing), each with whether it is tied
    /// to a portfolio (then the portfolio values it, whatever its ledger): what the unit of work
    /// settles from, in one statement.
    static func readWithTies(_ ids: [UUID], in scope: UserScope) async throws -> [(account: LedgerAccount, tied: Bool)] {
        try await select(ids, tied: true, in: scope).map { (try LedgerAccount(row: $0), try $0.decode(column: "tied", as: Bool.self)) }
    }

    private static func select(_ ids: [UUID], tied: Bool, in scope: UserScope) async throws -> [any SQLRow] {
        guard !ids.isEmpty else { return [] }
        let type = scope.db.engine.text(ofEnum: "type")
        let ties: SQLQueryString = tied ? ", EXISTS (SELECT 1 FROM portfolios WHERE portfolios.account_id = accounts.id) AS tied" : ""
        return try await scope.db.sql.raw("""
            SELECT id, user_id, \(unsafeRaw: type) AS type, currency, opening_balance, current_balance, created_at, plaid_connection_id\(ties)
            FROM accounts WHERE user_id = \(bind: scope.userID) AND id IN (\(binds: ids))
            """).all()
    }

    /// The user's account with this id; `not_found` for anyone else's, as for one that does not exist.
    /// In a batch of units (`LedgerBatch`), whose bodies change no account, each account is read once.
    static func find(_ id: UUID, in scope: UserScope) async throws -> LedgerAccount {
        if let known = scope.memo?.accounts.withLockedValue({ $0[id] }) { return known }
        guard let row = try await select([id], tied: false, in: scope).first else { throw APIError.notFound("account") }
        let account = try LedgerAccount(row: row)
        scope.memo?.accounts.withLockedValue { $0[id] = account }
        return account
    }

    /// Writes the current balance back, with when it changed.
    func saveBalance(in scope: UserScope) async throws {
        let now = scope.now
        try await scope.db.sql.raw("""
            UPDATE accounts SET current_balance = \(bind: currentBalance), balance_updated_at = \(bind: now), updated_at = \(bind: now)
            WHERE id = \(bind: id) AND user_id = \(bind: scope.userID)
            """).run()
    }
}
