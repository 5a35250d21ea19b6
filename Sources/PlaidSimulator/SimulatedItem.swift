import Foundation

/// One entry of an item's change log, which `/transactions/sync` pages through in order.
struct ChangeEntry: Sendable {
    enum Kind: UInt8, Sendable { case added, modified, removed }

    let kind: Kind
    /// The transaction as it was at this change (for `removed`, as it was when removed).
    let transaction: SimTransaction
    /// A posted transaction whose pending one is removed by the next entry: a page never ends between them.
    let pairedWithNext: Bool
}

/// An account's balances at this moment, ready to be written.
struct AccountView: Sendable {
    let id: String
    let kind: AccountKind
    let available: Int64?
    let current: Int64?
    let limit: Int64?

    /// AccountBase; the investments endpoints' InvestmentAccount adds `margin_loan_amount`.
    func json(investment: Bool = false) -> JSONValue {
        var balances: [(String, JSONValue)] = [
            ("available", .cents(available)),
            ("current", .cents(current)),
            ("limit", .cents(limit)),
            ("iso_currency_code", "USD"),
            ("unofficial_currency_code", .null),
        ]
        if investment { balances.append(("margin_loan_amount", .null)) }
        return [
            "account_id": .string(id),
            "balances": .object(balances),
            "mask": .string(kind.mask),
            "name": .string(kind.name),
            "official_name": .text(kind.officialName),
            "type": .string(kind.type),
            "subtype": .string(kind.subtype),
        ]
    }
}

/// What the item endpoints say about an item.
struct ItemView: Sendable {
    let id: String
    let institution: SandboxInstitution
    let webhook: String?
    let error: PlaidFailure?
    let products: [String]
    let createdAt: String
    let transactionsUpdatedAt: String
    let lastWebhook: (sentAt: String, code: String)?

    /// The Item object.
    func json() -> JSONValue {
        let available = institution.products.filter { !products.contains($0) }.sorted()
        return [
            "item_id": .string(id),
            "institution_id": .string(institution.id),
            "institution_name": .string(institution.name),
            "webhook": .text(webhook),
            "error": error?.body() ?? .null,
            "available_products": .strings(available),
            "billed_products": .strings(products),
            "products": .strings(products),
            "consented_products": .strings(products),
            "consent_expiration_time": .null,
            "update_type": "background",
        ]
    }

    /// `/item/get`'s item (with `created_at`) and status.
    func detailedJSON() -> (item: JSONValue, status: JSONValue) {
        let update: JSONValue = ["last_successful_update": .string(transactionsUpdatedAt),
                                 "last_failed_update": error == nil ? .null : .string(transactionsUpdatedAt)]
        let status: JSONValue = [
            "transactions": update,
            "investments": ["last_successful_update": .string(createdAt), "last_failed_update": .null],
            "last_webhook": lastWebhook.map { ["sent_at": .string($0.sentAt), "code_sent": .string($0.code)] as JSONValue } ?? .null,
        ]
        return (json().adding("created_at", .string(createdAt)), status)
    }
}

/// An item's accounts, transactions, change log and brokerage portfolio. Lives inside `SimulatorState`.
final class SimulatedItem {
    let id: String
    let institution: SandboxInstitution
    let products: [String]
    let createdAt: String
    var webhook: String?
    var loginRequired = false
    var removed = false
    var lastWebhook: (sentAt: String, code: String)?
    /// Link tokens created in update mode with account selection for this item.
    var accountSelectionOffers = 0
    var transactionsUpdatedAt: String

    let accounts: [SimAccount]
    let portfolio: Portfolio
    private(set) var log: [ChangeEntry] = []
    private var transactions: [String: SimTransaction] = [:]
    private var postedSum = [Int64](repeating: 0, count: AccountKind.allCases.count)
    private var pendingOutflow = [Int64](repeating: 0, count: AccountKind.allCases.count)
    /// Pending transactions still open, oldest first: the next to post.
    private var openPending: [String] = []
    /// Posted everyday spending that `advance` may modify or remove.
    private var spendingPool: [String] = []
    private var rng: SeededGenerator
    private var advances = 0
    private let createdSeconds: Int

    init(index: Int, institution: SandboxInstitution, products: [String], webhook: String?, today: Day, transactionCount: Int,
         securities: [SecurityRecord], rng seed: SeededGenerator) {
        var rng = seed
        id = rng.token()
        self.institution = institution
        self.products = products
        self.webhook = webhook
        // Timestamps follow the configured day, not the clock, so the same calls give the same answers.
        createdSeconds = today.number * 86_400 + 9 * 3600 + index * 60
        createdAt = isoDateTime(unixSeconds: createdSeconds)
        transactionsUpdatedAt = createdAt

        let accountIDs = AccountKind.allCases.map { _ in rng.token() }
        var historyRNG = rng.derive(0x7472_616E_7361_6374)
        var portfolioRNG = rng.derive(0x706F_7274_666F_6C69)
        let history = TransactionHistory.generate(count: max(0, transactionCount), today: today, accountIDs: accountIDs, rng: &historyRNG)
        portfolio = Portfolio.generate(today: today, securities: securities, rng: &portfolioRNG)
        accounts = AccountKind.allCases.map { kind in
            let base: Int64 = switch kind {
            case .checking: history.checkingOpeningCents
            case .savings: history.savingsOpeningCents
            case .creditCard: 0
            case .mortgage: rng.cents(in: 150_000_00...320_000_00)
            case .studentLoan: rng.cents(in: 15_000_00...45_000_00)
            case .brokerage: 0
            case .other: rng.cents(in: 250_00...2_500_00)
            }
            return SimAccount(id: accountIDs[kind.rawValue], kind: kind, baseCents: base,
                              limitCents: kind == .creditCard ? history.cardLimitCents : nil)
        }
        self.rng = rng
        log.reserveCapacity(history.posted.count + history.pending.count + 64)
        transactions.reserveCapacity(history.posted.count + history.pending.count)
        for transaction in history.posted { record(.added, transaction) }
        for transaction in history.pending { record(.added, transaction) }
    }

    // MARK: Balances

    /// Depository: current is the opening balance less every posted amount, available is that less
    /// pending outflows. Credit: current is what is owed, available the rest of the limit. Loans and
    /// others keep their balance; the brokerage is worth its holdings, its cash available.
    func view(of account: SimAccount) -> AccountView {
        let index = account.kind.rawValue
        switch account.kind {
        case .checking, .savings:
            let current = account.baseCents - postedSum[index]
            return AccountView(id: account.id, kind: account.kind, available: current - pendingOutflow[index], current: current, limit: nil)
        case .creditCard:
            let current = account.baseCents + postedSum[index]
            let limit = account.limitCents ?? 0
            return AccountView(id: account.id, kind: account.kind, available: limit - current, current: current, limit: limit)
        case .mortgage, .studentLoan:
            return AccountView(id: account.id, kind: account.kind, available: nil, current: account.baseCents, limit: nil)
        case .brokerage:
            return AccountView(id: account.id, kind: account.kind, available: portfolio.cashCents, current: portfolio.valueCents, limit: nil)
        case .other:
            return AccountView(id: account.id, kind: account.kind, available: account.baseCents, current: account.baseCents, limit: nil)
        }
    }

    var accountViews: [AccountView] { accounts.map(view(of:)) }

    func itemView() -> ItemView {
        ItemView(id: id, institution: institution, webhook: webhook, error: loginRequired ? PlaidFailure.itemLoginRequired : nil,
                 products: products, createdAt: createdAt, transactionsUpdatedAt: transactionsUpdatedAt, lastWebhook: lastWebhook)
    }

    // MARK: The change log

    private func count(_ transaction: SimTransaction, sign: Int64) {
        let index = transaction.account.rawValue
        if transaction.pending {
            if transaction.amountCents > 0 { pendingOutflow[index] += sign * transaction.amountCents }
        } else {
            postedSum[index] += sign * transaction.amountCents
        }
    }

    private func record(_ kind: ChangeEntry.Kind, _ transaction: SimTransaction, pairedWithNext: Bool = false) {
        switch kind {
        case .added:
            transactions[transaction.id] = transaction
            count(transaction, sign: 1)
            if transaction.pending {
                openPending.append(transaction.id)
            } else if transaction.role == .spending {
                spendingPool.append(transaction.id)
            }
        case .modified:
            if let old = transactions[transaction.id] { count(old, sign: -1) }
            transactions[transaction.id] = transaction
            count(transaction, sign: 1)
        case .removed:
            if let old = transactions.removeValue(forKey: transaction.id) { count(old, sign: -1) }
            if transaction.pending { openPending.removeAll { $0 == transaction.id } }
        }
        log.append(ChangeEntry(kind: kind, transaction: transaction, pairedWithNext: pairedWithNext))
    }

    private func newSpending(on day: Day, pending: Bool) -> SimTransaction {
        let pattern = TransactionHistory.pickSpending(&rng)
        let account: AccountKind = rng.chance(pattern.cardPercent) ? .creditCard : .checking
        return SimTransaction(id: rng.token(), accountID: accounts[account.rawValue].id, account: account, amountCents: rng.cents(in: pattern.cents),
                              date: day, authorizedDate: pending ? day : day.adding(-rng.below(2)), pending: pending,
                              pendingTransactionID: nil, merchant: pattern.merchant, role: .spending)
    }

    /// A day at the bank: a few new purchases post, the oldest pending one posts (its posted transaction
    /// names it, and it is removed right after, in the same sync page), a new one is pending, one earlier
    /// purchase is corrected (its amount, or its description, in turn) and another is reversed.
    func advance(today: Day) -> SimulatorActivity {
        var activity = SimulatorActivity()
        // The earlier transactions to change are chosen before today's join the pool.
        var reversed: SimTransaction?
        if spendingPool.count >= 2 {
            let index = rng.below(spendingPool.count)
            spendingPool.swapAt(index, spendingPool.count - 1)
            reversed = transactions[spendingPool.removeLast()]
        }
        let corrected = spendingPool.isEmpty ? nil : transactions[spendingPool[rng.below(spendingPool.count)]]
        let posting = openPending.first.flatMap { transactions[$0] }

        for _ in 0..<rng.int(in: 2...4) {
            record(.added, newSpending(on: today, pending: false))
            activity.added += 1
        }
        if let posting {
            var posted = posting
            posted.id = rng.token()
            posted.pending = false
            posted.pendingTransactionID = posting.id
            posted.authorizedDate = posting.date
            posted.date = today
            record(.added, posted, pairedWithNext: true)
            record(.removed, posting)
            activity.added += 1
            activity.removed += 1
        }
        record(.added, newSpending(on: today, pending: true))
        activity.added += 1
        if var corrected {
            if advances % 2 == 0 {
                let change = rng.cents(in: 50...500)
                corrected.amountCents += corrected.amountCents >= 0 ? change : -change
            } else {
                let label = (corrected.merchant.merchantName ?? corrected.merchant.name).uppercased()
                corrected.merchant = corrected.merchant.renamed("\(label) #\(rng.int(in: 1000...9999))")
            }
            record(.modified, corrected)
            activity.modified += 1
        }
        if let reversed {
            record(.removed, reversed)
            activity.removed += 1
        }
        advances += 1
        transactionsUpdatedAt = isoDateTime(unixSeconds: createdSeconds + advances)
        return activity
    }
}
