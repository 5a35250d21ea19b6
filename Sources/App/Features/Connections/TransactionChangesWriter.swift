import FinanceCore
import Fluent
import Foundation
import PlaidKit
import SQLKit

/// Writes one update's transaction changes into the ledger, keyed by Plaid's transaction ids.
///
/// - A transaction already stored is updated in place (its category kept when the user chose it).
/// - A posted transaction whose `pending_transaction_id` names a stored pending one takes over that
///   row: the same id, the user's category and notes kept; Plaid's removal of the pending id then
///   finds nothing left to delete.
/// - Anything else is new: categorized by the user's rules, else by Plaid's category, and written in bulk.
/// - Removed ids are deleted.
enum TransactionChangesWriter {
    struct Applied: Sendable {
        var added = 0
        var modified = 0
        var removed = 0
        var changes: [LedgerChange] = []
        var inserted: [NewTransactionRow] = []
        /// Nothing but new rows: their daily totals can be added rather than re-summed.
        var onlyInserted: Bool { modified == 0 && removed == 0 }
    }

    private struct StoredRow {
        let id: UUID
        let accountID: UUID
        let date: LocalDate
        let categorySource: CategorySource
    }

    static func apply(_ changes: TransactionChanges, accounts: [String: Account], in scope: UserScope) async throws -> Applied {
        var applied = Applied()
        guard !changes.isEmpty else { return applied }
        let upserts = changes.upserts
        let wanted = Set(upserts.map(\.transactionId) + upserts.compactMap(\.pendingTransactionId)).union(changes.removed)
        var stored = try await storedRows(Array(wanted), accounts: accounts.values.compactMap(\.id), in: scope)
        let categorizer = try await Categorizer.load(in: scope)
        let categoryCast = scope.db.engine.cast(to: .transactionCategory)
        let now = scope.now

        for plaid in upserts {
            guard let account = accounts[plaid.accountId], let accountID = account.id else {
                throw PlaidSyncError.unreadable("a transaction of an account it did not list (\(plaid.accountId))")
            }
            let amount = try PlaidMapping.amount(plaid: plaid.amount)
            let date = try PlaidMapping.date(plaid.date)
            let authorized = try plaid.authorizedDate.map(PlaidMapping.date)
            let description = String(plaid.name.prefix(2000))
            let merchant = plaid.merchantName.map { String($0.prefix(200)) }.flatMap { $0.isEmpty ? nil : $0 }
            let (plaidCategory, plaidDetailed) = PlaidMapping.category(plaid.personalFinanceCategory)
            let outcome = categorizer.categorize(
                accountID: accountID, amount: amount, description: description, merchantName: merchant,
                fallback: plaidCategory == .uncategorized ? (.uncategorized, .default) : (plaidCategory, .plaid))
            let detailed = outcome.source == .rule ? outcome.detailed : plaidDetailed

            // The row this transaction already has, or the pending row it posts over.
            var existing = stored[plaid.transactionId]
            if existing == nil, let pendingID = plaid.pendingTransactionId, let pendingRow = stored[pendingID] {
                existing = pendingRow
                stored[pendingID] = nil
                stored[plaid.transactionId] = pendingRow
            }
            guard let row = existing else {
                var new = NewTransactionRow(
                    userID: scope.userID, accountID: accountID, date: date, amount: amount, currency: account.currency,
                    description: description, merchantName: merchant, category: outcome.category,
                    categorySource: outcome.source, pending: plaid.pending)
                new.detailedCategory = detailed
                new.authorizedDate = authorized
                new.plaidTransactionID = plaid.transactionId
                new.pendingTransactionID = plaid.pendingTransactionId
                // Not entered in `stored`: a row that is not yet written cannot be updated in place.
                applied.inserted.append(new)
                continue
            }
            let keepsCategory = row.categorySource == .user
            let categorySQL: SQLQueryString = keepsCategory ? "" : """
                , category = \(bind: outcome.category.rawValue)\(unsafeRaw: categoryCast), detailed_category = \(bind: detailed),
                category_source = \(bind: outcome.source.rawValue)
                """
            try await scope.db.sql.raw("""
                UPDATE transactions SET plaid_transaction_id = \(bind: plaid.transactionId),
                    pending_transaction_id = \(bind: plaid.pendingTransactionId), account_id = \(bind: accountID),
                    date = \(bind: date), authorized_date = \(bind: authorized), amount = \(bind: amount),
                    currency = \(bind: account.currency), description = \(bind: description), merchant_name = \(bind: merchant),
                    pending = \(bind: plaid.pending), updated_at = \(bind: now)\(categorySQL)
                WHERE id = \(bind: row.id) AND user_id = \(bind: scope.userID)
                """).run()
            applied.modified += 1
            applied.changes.append(LedgerChange(accountID: row.accountID, day: row.date))
            applied.changes.append(LedgerChange(accountID: accountID, day: date))
            stored[plaid.transactionId] = StoredRow(id: row.id, accountID: accountID, date: date,
                                                    categorySource: keepsCategory ? .user : outcome.source)
        }

        // A pending row taken over by its posted transaction is no longer stored under the removed id.
        let doomed = changes.removed.compactMap { stored[$0] }
        for chunk in doomed.chunked(into: 5_000) {
            try await scope.db.sql.raw("""
                DELETE FROM transactions WHERE user_id = \(bind: scope.userID) AND id IN (\(binds: chunk.map(\.id)))
                """).run()
            for row in chunk { applied.changes.append(LedgerChange(accountID: row.accountID, day: row.date)) }
        }
        applied.removed = doomed.count

        // In ledger order: each account's rows land side by side in its date index.
        applied.inserted = Dictionary(grouping: applied.inserted, by: \.accountID).values.flatMap { $0.sorted { $0.date < $1.date } }
        try await TransactionBulkInsert.insert(applied.inserted, on: scope.db, now: now)
        applied.added = applied.inserted.count
        for (accountID, rows) in Dictionary(grouping: applied.inserted, by: \.accountID) {
            if let first = rows.map(\.date).min(), let last = rows.map(\.date).max() {
                applied.changes.append(LedgerChange(accountID: accountID, days: first...last))
            }
        }
        return applied
    }

    /// The stored rows with these Plaid ids (none to look for when the accounts have no rows yet, as
    /// at a first sync).
    private static func storedRows(_ ids: [String], accounts: [UUID], in scope: UserScope) async throws -> [String: StoredRow] {
        var rows: [String: StoredRow] = [:]
        guard !accounts.isEmpty else { return rows }
        let any = try await scope.db.sql.raw("""
            SELECT id FROM transactions WHERE account_id IN (\(binds: accounts)) AND plaid_transaction_id IS NOT NULL LIMIT 1
            """).first()
        guard any != nil else { return rows }
        for chunk in ids.chunked(into: 5_000) {
            let found = try await scope.db.sql.raw("""
                SELECT id, plaid_transaction_id, account_id, date, category_source FROM transactions
                WHERE user_id = \(bind: scope.userID) AND plaid_transaction_id IN (\(binds: Array(chunk)))
                """).all()
            for row in found {
                let source = try row.decode(column: "category_source", as: String.self)
                rows[try row.decode(column: "plaid_transaction_id", as: String.self)] = StoredRow(
                    id: try row.decode(column: "id", as: UUID.self), accountID: try row.decode(column: "account_id", as: UUID.self),
                    date: try row.decode(column: "date", as: LocalDate.self), categorySource: CategorySource(rawValue: source) ?? .default)
            }
        }
        return rows
    }
}

extension Array {
    /// Consecutive slices of at most `size` elements.
    func chunked(into size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
