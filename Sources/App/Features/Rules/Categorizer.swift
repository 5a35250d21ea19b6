import FinanceCore
import Fluent
import SQLKit

/// Applies a user's rules to transactions: on creation, import and sync, and on request to the
/// whole ledger. A category the user chose by hand is never touched.
struct Categorizer: Sendable {
    let rules: RuleSet

    /// In a batch of units (`LedgerBatch`), whose bodies change no rule, the rules are read once.
    static func load(in scope: UserScope) async throws -> Categorizer {
        if let known = scope.memo?.categorizer.withLockedValue({ $0 }) { return known }
        // Made-first order breaks priority ties; ids are time-ordered.
        let stored = try await scope.query(Rule.self).sort(\.$priority).sort(\.$id).all()
        let categorizer = Categorizer(rules: RuleSet(stored.map(\.domain)))
        scope.memo?.categorizer.withLockedValue { $0 = categorizer }
        return categorizer
    }

    /// The category a new transaction gets when nobody chose one: a rule's, or `fallback`.
    func categorize(accountID: UUID, amount: Amount, description: String, merchantName: String?,
                    fallback: (TransactionCategory, CategorySource)) -> (category: TransactionCategory, detailed: String?, source: CategorySource) {
        guard !rules.rules.isEmpty else { return (fallback.0, nil, fallback.1) }
        let facts = CategorizableTransaction(accountID: accountID.uuidString, amount: amount, description: description, merchantName: merchantName)
        if let rule = rules.firstMatch(for: facts) { return (rule.category, rule.detailedCategory, .rule) }
        return (fallback.0, nil, fallback.1)
    }

    /// Re-applies the rules to every transaction of the user whose category was not chosen by hand.
    /// Answers how many were examined and how many changed.
    func applyToLedger(in scope: UserScope) async throws -> (examined: Int, changed: Int) {
        var examined = 0, changed = 0
        var after: UUID?
        let categoryCast = scope.db.engine.cast(to: .transactionCategory)
        while true {
            var query = scope.query(Transaction.self).filter(\.$categorySource != .user)
            if let after { query = query.filter(\.$id > after) }
            let batch = try await query.sort(\.$id).limit(2_000).all()
            guard let last = batch.last?.id else { break }
            after = last
            examined += batch.count
            // Group the changes by their outcome, to write each group with one statement.
            var groups: [String: (category: TransactionCategory, detailed: String?, ids: [UUID])] = [:]
            for transaction in batch {
                let facts = CategorizableTransaction(accountID: transaction.accountID.uuidString, amount: transaction.amount,
                                                     description: transaction.description, merchantName: transaction.merchantName)
                guard let rule = rules.firstMatch(for: facts), let id = transaction.id else { continue }
                guard rule.category != transaction.category || rule.detailedCategory != transaction.detailedCategory else { continue }
                let key = rule.category.rawValue + "|" + (rule.detailedCategory ?? "")
                groups[key, default: (rule.category, rule.detailedCategory, [])].ids.append(id)
            }
            for group in groups.values {
                try await scope.db.sql.raw("""
                    UPDATE transactions SET category = \(bind: group.category.rawValue)\(unsafeRaw: categoryCast),
                        detailed_category = \(bind: group.detailed), category_source = \(bind: CategorySource.rule.rawValue),
                        updated_at = \(bind: scope.now)
                    WHERE user_id = \(bind: scope.userID) AND id IN (\(binds: group.ids))
                    """).run()
                changed += group.ids.count
            }
        }
        return (examined, changed)
    }
}

import Foundation
