import Foundation

/// A webhook to send: where, and the body (pretty-printed and signed when sent).
struct WebhookDelivery: Sendable {
    let url: String
    let body: JSONValue
}

/// The position in an item's change log a `/transactions/sync` cursor stands for, and the end of the
/// update it is paging through. Opaque to clients: base64 of `position:end:item_id`.
struct SyncCursor: Equatable {
    let position: Int
    let end: Int
    let itemID: String
    /// The account a sync restricted to one account (`options.account_id`) was for.
    let accountID: String?

    init(position: Int, end: Int, itemID: String, accountID: String? = nil) {
        self.position = position
        self.end = end
        self.itemID = itemID
        self.accountID = accountID
    }

    init?(_ text: String) {
        guard let data = Data(base64Encoded: text), let decoded = String(data: data, encoding: .utf8) else { return nil }
        let parts = decoded.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 3 || parts.count == 4, let position = Int(parts[0]), let end = Int(parts[1]), position >= 0, position <= end else {
            return nil
        }
        self.init(position: position, end: end, itemID: String(parts[2]), accountID: parts.count == 4 ? String(parts[3]) : nil)
    }

    var encoded: String {
        Data("\(position):\(end):\(itemID)\(accountID.map { ":" + $0 } ?? "")".utf8).base64EncodedString()
    }
}

struct SyncPage: Sendable {
    var added: [SimTransaction] = []
    var modified: [SimTransaction] = []
    var removed: [SimTransaction] = []
    var accounts: [AccountView] = []
    var nextCursor = ""
    var hasMore = false
}

struct HoldingsView: Sendable {
    let item: ItemView
    let accounts: [AccountView]
    let holdings: [HoldingRecord]
    let brokerageID: String
}

struct InvestmentTransactionsView: Sendable {
    let item: ItemView
    let accounts: [AccountView]
    let transactions: [InvestmentRecord]
    let total: Int
    let brokerageID: String
}

private struct FaultRule {
    let endpoint: String
    let fault: SimulatorFault
    var remaining: Int
    var skip: Int
}

/// Everything the simulator remembers: items, tokens, change logs and injected faults.
actor SimulatorState {
    let today: Day
    let transactionsPerItem: Int
    let securities: [SecurityRecord]
    private var rng: SeededGenerator
    private var items: [String: SimulatedItem] = [:]
    private var itemOrder: [String] = []
    private var accessTokens: [String: String] = [:]
    private var publicTokens: [String: String] = [:]
    /// Hosted Link sessions by link token.
    private var hostedSessions: [String: HostedSession] = [:]
    private var faults: [FaultRule] = []

    init(seed: UInt64, today: Day, transactionsPerItem: Int) {
        self.today = today
        self.transactionsPerItem = transactionsPerItem
        var rng = SeededGenerator(seed: seed)
        var catalogRNG = rng.derive(0x7365_6375_7269_7479)
        securities = SecurityRecord.catalog(today: today, rng: &catalogRNG)
        self.rng = rng
    }

    // MARK: Faults

    func addFault(_ fault: SimulatorFault, endpoint: String, times: Int, afterCalls: Int) {
        guard times > 0 else { return }
        faults.append(FaultRule(endpoint: endpoint, fault: fault, remaining: times, skip: max(0, afterCalls)))
    }

    /// Counts a call to `endpoint` and answers the fault it must fail with, if any. Every matching rule
    /// counts the call; the first whose skipped calls are used up fires.
    func takeFault(endpoint: String) -> SimulatorFault? {
        var fired: SimulatorFault?
        for index in faults.indices where faults[index].endpoint == endpoint {
            if faults[index].skip > 0 {
                faults[index].skip -= 1
            } else if fired == nil {
                fired = faults[index].fault
                faults[index].remaining -= 1
            }
        }
        faults.removeAll { $0.remaining <= 0 }
        return fired
    }

    // MARK: Tokens and items

    func nextUUID() -> String { rng.uuid() }

    /// `/sandbox/public_token/create`: the item exists from here on; its public token is good for one exchange.
    func createItem(institution: SandboxInstitution, products: [String], webhook: String?) -> String {
        let itemRNG = rng.derive(UInt64(itemOrder.count + 1))
        let item = SimulatedItem(index: itemOrder.count, institution: institution, products: products, webhook: webhook, today: today,
                                 transactionCount: transactionsPerItem, securities: securities, rng: itemRNG)
        items[item.id] = item
        itemOrder.append(item.id)
        let token = "public-sandbox-\(rng.uuid())"
        publicTokens[token] = item.id
        return token
    }

    func exchange(publicToken: String) throws(PlaidFailure) -> (accessToken: String, itemID: String) {
        guard let itemID = publicTokens.removeValue(forKey: publicToken), let item = items[itemID], !item.removed else {
            throw .code("INVALID_PUBLIC_TOKEN")
        }
        let token = "access-sandbox-\(rng.uuid())"
        accessTokens[token] = itemID
        return (token, itemID)
    }

    // MARK: Hosted Link

    /// A link token made with `hosted_link`: Link runs on the simulator's page for it.
    struct HostedSession: Sendable {
        let linkToken: String
        let createdAt: Int
        let expiresAt: Int
        let completionRedirectURI: String?
        /// Update mode: the item whose login the session repairs.
        let accessToken: String?
        let products: [String]
        let optionalProducts: [String]
        let webhook: String?
        let clientName: String
        let language: String
        let countryCodes: [String]
        let redirectURI: String?
        var sessionID: String?
        var finishedAt: Int?
        var publicTokens: [String] = []
        var institution: SandboxInstitution?
    }

    func openHostedSession(_ session: HostedSession) { hostedSessions[session.linkToken] = session }

    func hostedSession(linkToken: String) -> HostedSession? { hostedSessions[linkToken] }

    /// The person finished Link on the hosted page: a new item at `institution` (or, in update mode,
    /// the item's login repaired). Answers where to send them, and the webhooks to deliver.
    func finishHostedSession(linkToken: String, institutionID: String) throws(PlaidFailure) -> (redirect: String?, deliveries: [WebhookDelivery]) {
        guard var session = hostedSessions[linkToken], session.expiresAt > unixNow() else { throw .code("INVALID_LINK_TOKEN") }
        guard session.finishedAt == nil else { return (session.completionRedirectURI, []) }
        var deliveries: [WebhookDelivery] = []
        if let accessToken = session.accessToken {
            guard let id = accessTokens[accessToken] else { throw .invalidAccessToken }
            deliveries = repairLogin(itemID: id)
        } else {
            guard let institution = SandboxInstitution.byID[institutionID] else { throw .code("INVALID_INSTITUTION") }
            guard session.products.allSatisfy(institution.products.contains) else { throw .code("PRODUCTS_NOT_SUPPORTED") }
            let products = Set(session.products + session.optionalProducts.filter(institution.products.contains)).sorted()
            session.publicTokens = [createItem(institution: institution, products: products, webhook: session.webhook)]
            session.institution = institution
        }
        session.sessionID = rng.uuid()
        session.finishedAt = unixNow()
        hostedSessions[linkToken] = session
        return (session.completionRedirectURI, deliveries)
    }

    func hasItem(_ id: String) -> Bool { items[id].map { !$0.removed } ?? false }

    func itemID(accessToken: String) -> String? {
        guard let id = accessTokens[accessToken], let item = items[id], !item.removed else { return nil }
        return id
    }

    private func item(_ accessToken: String) throws(PlaidFailure) -> SimulatedItem {
        guard let id = accessTokens[accessToken], let item = items[id], !item.removed else { throw .invalidAccessToken }
        return item
    }

    /// The item behind a product call (accounts, transactions, investments): refused while its login needs repair.
    private func productItem(_ accessToken: String) throws(PlaidFailure) -> SimulatedItem {
        let item = try item(accessToken)
        if item.loginRequired { throw .itemLoginRequired }
        return item
    }

    func itemView(accessToken: String) throws(PlaidFailure) -> ItemView { try item(accessToken).itemView() }

    /// Link's update mode with account selection was opened for the item (a link token asked for it).
    func offerAccountSelection(accessToken: String) throws(PlaidFailure) { try item(accessToken).accountSelectionOffers += 1 }

    func accountSelectionOffers(itemID: String) -> Int { items[itemID]?.accountSelectionOffers ?? 0 }

    func removeItem(accessToken: String) throws(PlaidFailure) {
        let item = try item(accessToken)
        item.removed = true
        accessTokens = accessTokens.filter { $0.value != item.id }
    }

    // MARK: Accounts

    private func selected(_ accounts: [AccountView], ids: [String]?) throws(PlaidFailure) -> [AccountView] {
        guard let ids else { return accounts }
        let known = Set(accounts.map(\.id))
        guard ids.allSatisfy(known.contains) else { throw .code("INVALID_ACCOUNT_ID") }
        return accounts.filter { ids.contains($0.id) }
    }

    func accounts(accessToken: String, ids: [String]?) throws(PlaidFailure) -> (item: ItemView, accounts: [AccountView]) {
        let item = try productItem(accessToken)
        return (item.itemView(), try selected(item.accountViews, ids: ids))
    }

    // MARK: Transactions

    /// The change-log entries after the cursor, at most `count` (one more to keep a posted transaction
    /// with the removal of its pending one). Paging through an update while the log grows is
    /// TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION, as at Plaid.
    /// One page of the item's changes, or of one account's alone (`accountID`): then `count` counts that
    /// account's changes, and its cursors serve that account only.
    func sync(accessToken: String, cursor text: String?, count: Int, accountID: String? = nil) throws(PlaidFailure) -> SyncPage {
        let item = try productItem(accessToken)
        if let accountID, !item.accountViews.contains(where: { $0.id == accountID }) { throw .code("INVALID_ACCOUNT_ID") }
        let log = item.log
        var position = 0
        var end = log.count
        if text == "now" {
            position = log.count
        } else if let text, !text.isEmpty {
            guard let cursor = SyncCursor(text), cursor.itemID == item.id, cursor.end <= log.count else {
                throw .invalidField("cursor is not a cursor this item answered")
            }
            guard cursor.accountID == accountID else {
                throw .invalidField("cursor was answered for \(cursor.accountID.map { "account \($0)" } ?? "every account"), not for this request's options.account_id")
            }
            position = cursor.position
            if cursor.position < cursor.end {
                guard cursor.end == log.count else { throw .code("TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION") }
                end = cursor.end
            }
        }
        let belongs = { (entry: ChangeEntry) in accountID == nil || entry.transaction.accountID == accountID }
        var stop = position, taken = 0
        while stop < end, taken < count {
            if belongs(log[stop]) { taken += 1 }
            stop += 1
        }
        if stop > position, stop < end, log[stop - 1].pairedWithNext { stop += 1 }

        var page = SyncPage()
        var touched = [Bool](repeating: false, count: AccountKind.allCases.count)
        for entry in log[position..<stop] where belongs(entry) {
            switch entry.kind {
            case .added: page.added.append(entry.transaction)
            case .modified: page.modified.append(entry.transaction)
            case .removed: page.removed.append(entry.transaction)
            }
            touched[entry.transaction.account.rawValue] = true
        }
        page.accounts = item.accounts.filter { touched[$0.kind.rawValue] }.map(item.view(of:))
        page.nextCursor = SyncCursor(position: stop, end: end, itemID: item.id, accountID: accountID).encoded
        page.hasMore = stop < end
        return page
    }

    // MARK: Investments

    func holdings(accessToken: String, ids: [String]?) throws(PlaidFailure) -> HoldingsView {
        let item = try productItem(accessToken)
        let brokerage = item.accounts[AccountKind.brokerage.rawValue]
        let accounts = try selected(item.accountViews, ids: ids).filter { $0.kind == .brokerage }
        return HoldingsView(item: item.itemView(), accounts: accounts, holdings: accounts.isEmpty ? [] : item.portfolio.holdings,
                            brokerageID: brokerage.id)
    }

    /// Newest first, as Plaid lists them; `offset` and `count` page through that order.
    func investmentTransactions(accessToken: String, ids: [String]?, start: Day, end: Day, count: Int,
                                offset: Int) throws(PlaidFailure) -> InvestmentTransactionsView {
        let item = try productItem(accessToken)
        let brokerage = item.accounts[AccountKind.brokerage.rawValue]
        let accounts = try selected(item.accountViews, ids: ids).filter { $0.kind == .brokerage }
        let matching = accounts.isEmpty ? [] : item.portfolio.transactions.reversed().filter { $0.date >= start && $0.date <= end }
        let page = Array(matching.dropFirst(offset).prefix(count))
        return InvestmentTransactionsView(item: item.itemView(), accounts: accounts, transactions: page, total: matching.count,
                                          brokerageID: brokerage.id)
    }

    // MARK: Time passing, logins and webhooks

    func advance(itemID: String?) -> (SimulatorActivity, [WebhookDelivery]) {
        let targets = itemID.map { [$0] } ?? itemOrder
        var total = SimulatorActivity()
        var deliveries: [WebhookDelivery] = []
        for id in targets {
            guard let item = items[id], !item.removed else { continue }
            let activity = item.advance(today: today)
            total.added += activity.added
            total.modified += activity.modified
            total.removed += activity.removed
            if let delivery = webhook(item, type: "TRANSACTIONS", code: "SYNC_UPDATES_AVAILABLE",
                                      ["initial_update_complete": true, "historical_update_complete": true]) {
                deliveries.append(delivery)
            }
        }
        return (total, deliveries)
    }

    /// `/sandbox/item/reset_login`: every product call answers ITEM_LOGIN_REQUIRED until the login is
    /// repaired; an ITEM/ERROR webhook says so when the item has a webhook.
    func resetLogin(accessToken: String) throws(PlaidFailure) -> [WebhookDelivery] {
        let item = try item(accessToken)
        item.loginRequired = true
        let error = PlaidFailure.itemLoginRequired.body(includeStatus: true)
        return webhook(item, type: "ITEM", code: "ERROR", ["error": error]).map { [$0] } ?? []
    }

    func repairLogin(itemID: String) -> [WebhookDelivery] {
        guard let item = items[itemID], !item.removed, item.loginRequired else { return [] }
        item.loginRequired = false
        return webhook(item, type: "ITEM", code: "LOGIN_REPAIRED", [:]).map { [$0] } ?? []
    }

    /// `/sandbox/item/fire_webhook`: the body Plaid sends for the code (and, for DEFAULT_UPDATE, the product).
    func fireWebhook(accessToken: String, code: String, type requestedType: String?) throws(PlaidFailure) -> WebhookDelivery {
        let item = try item(accessToken)
        let knownTypes = ["AUTH", "HOLDINGS", "INVESTMENTS_TRANSACTIONS", "ITEM", "LIABILITIES", "TRANSACTIONS", "ASSETS"]
        if let requestedType, !knownTypes.contains(requestedType) {
            throw .invalidField("webhook_type must be one of \(knownTypes.joined(separator: ", "))")
        }
        func require(_ product: String) throws(PlaidFailure) {
            guard item.products.contains(product) else { throw .code("SANDBOX_PRODUCT_NOT_ENABLED") }
        }
        let type: String
        var extra: [(String, JSONValue)] = []
        switch code {
        case "SYNC_UPDATES_AVAILABLE":
            try require("transactions")
            type = "TRANSACTIONS"
            extra = [("initial_update_complete", true), ("historical_update_complete", true)]
        case "RECURRING_TRANSACTIONS_UPDATE":
            try require("transactions")
            type = "TRANSACTIONS"
            extra = [("account_ids", .strings([item.accounts[AccountKind.checking.rawValue].id, item.accounts[AccountKind.creditCard.rawValue].id]))]
        case "DEFAULT_UPDATE":
            type = requestedType ?? "TRANSACTIONS"
            switch type {
            case "TRANSACTIONS":
                try require("transactions")
                extra = [("error", .null), ("new_transactions", 0)]
            case "HOLDINGS":
                try require("investments")
                extra = [("error", .null), ("new_holdings", 0), ("updated_holdings", .int(item.portfolio.holdings.count))]
            case "INVESTMENTS_TRANSACTIONS":
                try require("investments")
                extra = [("error", .null), ("new_investments_transactions", 0), ("cancelled_investments_transactions", 0)]
            case "LIABILITIES":
                try require("liabilities")
                extra = [("error", .null), ("account_ids_with_new_liabilities", .array([])), ("account_ids_with_updated_liabilities", [:])]
            case "AUTH", "ASSETS":
                try require(type.lowercased())
                extra = [("error", .null)]
            default:
                throw .invalidField("DEFAULT_UPDATE needs webhook_type TRANSACTIONS, HOLDINGS, INVESTMENTS_TRANSACTIONS, LIABILITIES, AUTH or ASSETS")
            }
        case "ERROR":
            type = "ITEM"
            extra = [("error", PlaidFailure.itemLoginRequired.body(includeStatus: true))]
        case "LOGIN_REPAIRED", "NEW_ACCOUNTS_AVAILABLE":
            type = "ITEM"
        case "USER_PERMISSION_REVOKED":
            type = "ITEM"
            extra = [("error", PlaidFailure.code("USER_PERMISSION_REVOKED").body(includeStatus: true))]
        case "USER_ACCOUNT_REVOKED":
            type = "ITEM"
            extra = [("account_id", .string(item.accounts[AccountKind.checking.rawValue].id))]
        case "PENDING_DISCONNECT":
            type = "ITEM"
            extra = [("reason", "INSTITUTION_TOKEN_EXPIRATION"), ("disconnect_time", .string(isoDateTime(unixSeconds: unixNow() + 7 * 86_400)))]
        case "SMS_MICRODEPOSITS_VERIFICATION", "AUTHORIZATION_GRANTED", "PRODUCT_READY":
            // Auth micro-deposits, payment consents and income reports are flows the simulator does not have.
            throw .code("SANDBOX_PRODUCT_NOT_ENABLED")
        default:
            throw .invalidField("webhook_code must be one of DEFAULT_UPDATE, NEW_ACCOUNTS_AVAILABLE, SMS_MICRODEPOSITS_VERIFICATION, AUTHORIZATION_GRANTED, USER_PERMISSION_REVOKED, USER_ACCOUNT_REVOKED, PENDING_DISCONNECT, RECURRING_TRANSACTIONS_UPDATE, LOGIN_REPAIRED, SYNC_UPDATES_AVAILABLE, PRODUCT_READY, ERROR")
        }
        guard let delivery = webhook(item, type: type, code: code, .object(extra)) else { throw .code("SANDBOX_WEBHOOK_INVALID") }
        return delivery
    }

    /// The webhook body for an item (nil when it has no usable webhook URL), remembered as its last webhook.
    private func webhook(_ item: SimulatedItem, type: String, code: String, _ extra: JSONValue) -> WebhookDelivery? {
        guard let url = item.webhook, let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
            return nil
        }
        guard case .object(let members) = extra else { return nil }
        let body = JSONValue.object([("webhook_type", .string(type)), ("webhook_code", .string(code)), ("item_id", .string(item.id))]
            + members + [("environment", "sandbox")])
        item.lastWebhook = (isoDateTime(unixSeconds: unixNow()), code)
        return WebhookDelivery(url: url, body: body)
    }
}
