import FinanceCore
import Fluent
import Foundation
import PlaidKit
import SQLKit

/// The accounts of a connection, as Plaid last described them.
enum LinkedAccounts {
    /// Creates the accounts Plaid names for the first time and updates the others' names, masks and
    /// balances. Answers every account of the connection, by Plaid's account id, and how many were new.
    /// An account's type and currency are set when it is created and kept (its history depends on them).
    static func upsert(_ described: [PlaidKit.Account], connection: PlaidConnection, in scope: UserScope) async throws
        -> (accounts: [String: Account], created: Int) {
        let connectionID = try connection.requireID()
        var byPlaidID: [String: Account] = [:]
        for account in try await scope.query(Account.self).filter(\.$plaidConnectionID == connectionID).all() {
            if let plaidID = account.plaidAccountID { byPlaidID[plaidID] = account }
        }
        let now = scope.now
        var created = 0
        for plaid in described {
            let balances = plaid.balances
            let currentFigure = balances.current ?? balances.available ?? 0
            let current = try PlaidMapping.exact(currentFigure, as: Amount.self)
            let available = try balances.available.map { try PlaidMapping.exact($0, as: Amount.self) }
            let limit = try balances.limit.map { try PlaidMapping.exact($0, as: Amount.self) }.flatMap { $0.isNegative ? nil : $0 }
            let name = Self.name(plaid)
            let mask = plaid.mask.map { String($0.suffix(4)) }.flatMap { $0.isEmpty ? nil : $0 }

            if let account = byPlaidID[plaid.accountId] {
                account.name = name
                account.mask = mask
                account.subtype = plaid.subtype
                account.availableBalance = available
                account.creditLimit = limit
                if account.currentBalance != current {
                    account.currentBalance = current
                    account.balanceUpdatedAt = now
                }
                if account.hasChanges { try await account.update(on: scope.db) }
                continue
            }
            guard let currency = PlaidMapping.currency(iso: balances.isoCurrencyCode, unofficial: balances.unofficialCurrencyCode) else {
                throw PlaidSyncError.unreadable("an account in a currency without a three-letter code")
            }
            let account = Account(id: UUID.timeOrdered(), userID: scope.userID, name: name,
                                  type: PlaidMapping.accountType(type: plaid.type, subtype: plaid.subtype), currency: currency,
                                  currentBalance: current)
            account.plaidConnectionID = connectionID
            account.plaidAccountID = plaid.accountId
            account.subtype = plaid.subtype.map { String($0.prefix(100)) }
            account.mask = mask
            account.availableBalance = available
            account.creditLimit = limit
            account.institutionName = connection.institutionName
            account.balanceUpdatedAt = now
            try await scope.create(account, entityType: "account")
            byPlaidID[plaid.accountId] = account
            created += 1
        }
        return (byPlaidID, created)
    }

    /// The account's name as the person knows it: Plaid's name, else its official name.
    private static func name(_ plaid: PlaidKit.Account) -> String {
        let candidates = [plaid.name, plaid.officialName ?? ""].map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        return String((candidates.first { !$0.isEmpty } ?? "Account").prefix(200))
    }

    /// Turns a connection's accounts into manual ones that keep their transactions and history: the
    /// opening balance becomes what the reported balance replays back to, so the balance carries on
    /// from its ledger. Plaid's ids are cleared, so linking the same bank again starts afresh.
    static func unlink(connectionID: UUID, in scope: UserScope) async throws {
        let accounts = try await scope.query(Account.self).filter(\.$plaidConnectionID == connectionID).all()
        for account in accounts {
            let id = try account.requireID()
            let row = try await scope.db.sql.raw("SELECT sum(amount) AS total FROM transactions WHERE account_id = \(bind: id)").first()
            let ledgerSum = try row?.decode(column: "total", as: Amount?.self) ?? .zero
            account.openingBalance = try BalanceSnapshots.opening(of: LedgerAccount(account), ledgerSum: ledgerSum)
            account.plaidConnectionID = nil
            account.plaidAccountID = nil
            try await account.update(on: scope.db)
            scope.changes.historyChanged(of: id)
            try await scope.db.sql.raw("""
                UPDATE transactions SET plaid_transaction_id = NULL, pending_transaction_id = NULL WHERE account_id = \(bind: id)
                """).run()
        }
    }
}
