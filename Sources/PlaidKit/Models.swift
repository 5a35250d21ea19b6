import Foundation

// Requests and answers of the endpoints this backend uses, with Plaid's field names (snake_case on
// the wire). Keys Plaid marks required-but-nullable are optionals here. Amounts, prices and
// quantities are `Decimal`, read from the JSON number's digits.

public struct AccessTokenRequest: Codable, Sendable {
    public let accessToken: String
    public init(accessToken: String) { self.accessToken = accessToken }
}

public struct RequestIDResponse: Codable, Sendable {
    public let requestId: String
}

// MARK: Link and items

public struct LinkTokenCreateRequest: Codable, Sendable {
    public struct User: Codable, Sendable {
        public let clientUserId: String
        public init(clientUserId: String) { self.clientUserId = clientUserId }
    }
    public let clientName: String
    public let language: String
    public let countryCodes: [String]
    public let user: User
    public let products: [String]?
    /// Products Link adds when the institution supports them, without failing where it does not.
    public let optionalProducts: [String]?
    public let webhook: String?
    public let accessToken: String?
    /// Update mode's options; only with `accessToken`.
    public let update: Update?
    /// Hosted Link: Plaid serves Link on a page of its own (`hosted_link_url`), and sends the person
    /// back to `completionRedirectUri` when done; the results come from `/link/token/get`.
    public let hostedLink: HostedLink?

    public struct HostedLink: Codable, Sendable {
        public let completionRedirectUri: String?
        public init(completionRedirectUri: String?) { self.completionRedirectUri = completionRedirectUri }
    }

    public struct Update: Codable, Sendable {
        /// Link asks the person which accounts to share, new ones included.
        public let accountSelectionEnabled: Bool
        public init(accountSelectionEnabled: Bool) { self.accountSelectionEnabled = accountSelectionEnabled }
    }

    public init(clientName: String, language: String = "en", countryCodes: [String] = ["US"], user: User, products: [String]?,
                optionalProducts: [String]? = nil, webhook: String? = nil, accessToken: String? = nil, update: Update? = nil,
                hostedLink: HostedLink? = nil) {
        self.clientName = clientName
        self.language = language
        self.countryCodes = countryCodes
        self.user = user
        self.products = products
        self.optionalProducts = optionalProducts
        self.webhook = webhook
        self.accessToken = accessToken
        self.update = update
        self.hostedLink = hostedLink
    }
}

public struct LinkTokenCreateResponse: Codable, Sendable {
    public let linkToken: String
    public let expiration: String
    public let requestId: String
    /// With `hosted_link` in the request: the page of Plaid's that runs Link.
    public let hostedLinkUrl: String?
}

public struct LinkTokenGetRequest: Codable, Sendable {
    public let linkToken: String
    public init(linkToken: String) { self.linkToken = linkToken }
}

/// What became of a link token's Link sessions: for each finished one, the items it added (their
/// public tokens, to exchange).
public struct LinkTokenGetResponse: Codable, Sendable {
    public struct LinkSession: Codable, Sendable {
        public let linkSessionId: String
        public let finishedAt: String?
        public let results: Results?
    }
    public struct Results: Codable, Sendable {
        public let itemAddResults: [ItemAddResult]?
    }
    public struct ItemAddResult: Codable, Sendable {
        public let publicToken: String
    }
    public let linkToken: String
    public let linkSessions: [LinkSession]?
    public let requestId: String

    /// The public tokens of every item the token's finished sessions added.
    public var publicTokens: [String] {
        (linkSessions ?? []).filter { $0.finishedAt != nil }.flatMap { $0.results?.itemAddResults ?? [] }.map(\.publicToken)
    }

    /// Whether some session of the token finished (in update mode, that is the repair).
    public var finished: Bool { (linkSessions ?? []).contains { $0.finishedAt != nil } }
}

public struct PublicTokenExchangeRequest: Codable, Sendable {
    public let publicToken: String
    public init(publicToken: String) { self.publicToken = publicToken }
}

public struct PublicTokenExchangeResponse: Codable, Sendable {
    public let accessToken: String
    public let itemId: String
    public let requestId: String
}

public struct Item: Codable, Sendable {
    public let itemId: String
    public let institutionId: String?
    public let institutionName: String?
    public let webhook: String?
    public let error: PlaidError?
    public let availableProducts: [String]
    public let billedProducts: [String]
    public let products: [String]?
    public let consentExpirationTime: String?
    public let updateType: String
}

public struct ItemGetResponse: Codable, Sendable {
    public let item: Item
    public let requestId: String
}

// MARK: Accounts

public struct AccountBalance: Codable, Sendable {
    public let available: Decimal?
    public let current: Decimal?
    public let limit: Decimal?
    public let isoCurrencyCode: String?
    public let unofficialCurrencyCode: String?
    public let lastUpdatedDatetime: String?
}

public struct Account: Codable, Sendable {
    public let accountId: String
    public let balances: AccountBalance
    public let mask: String?
    public let name: String
    public let officialName: String?
    public let type: String
    public let subtype: String?
}

public struct AccountsGetRequest: Codable, Sendable {
    public struct Options: Codable, Sendable {
        public let accountIds: [String]
        public init(accountIds: [String]) { self.accountIds = accountIds }
    }
    public let accessToken: String
    public let options: Options?
    public init(accessToken: String, accountIDs: [String]? = nil) {
        self.accessToken = accessToken
        self.options = accountIDs.map(Options.init(accountIds:))
    }
}

public struct AccountsGetResponse: Codable, Sendable {
    public let accounts: [Account]
    public let item: Item
    public let requestId: String
}

// MARK: Transactions

public struct TransactionsSyncRequest: Codable, Sendable {
    public struct Options: Codable, Sendable {
        /// Only this account's transactions; its cursors then belong to that account.
        public let accountId: String?
        public init(accountId: String?) { self.accountId = accountId }
    }

    public let accessToken: String
    public let cursor: String?
    public let count: Int?
    public let options: Options?
    public init(accessToken: String, cursor: String?, count: Int? = 500, options: Options? = nil) {
        self.accessToken = accessToken
        self.cursor = cursor
        self.count = count
        self.options = options
    }
}

public struct PersonalFinanceCategory: Codable, Sendable {
    public let primary: String
    public let detailed: String
    public let confidenceLevel: String?
}

public struct Transaction: Codable, Sendable {
    public let transactionId: String
    public let accountId: String
    /// Positive: money out of the account; negative: money in (Plaid's sign).
    public let amount: Decimal
    public let isoCurrencyCode: String?
    public let unofficialCurrencyCode: String?
    public let date: String
    public let authorizedDate: String?
    public let pending: Bool
    public let pendingTransactionId: String?
    public let name: String
    public let merchantName: String?
    public let personalFinanceCategory: PersonalFinanceCategory?
    public let paymentChannel: String
}

public struct RemovedTransaction: Codable, Sendable {
    public let transactionId: String
    public let accountId: String?
}

public struct TransactionsSyncResponse: Codable, Sendable {
    public let transactionsUpdateStatus: String?
    public let accounts: [Account]?
    public let added: [Transaction]
    public let modified: [Transaction]
    public let removed: [RemovedTransaction]
    public let nextCursor: String
    public let hasMore: Bool
    public let requestId: String
}

// MARK: Investments

public struct Security: Codable, Sendable {
    public let securityId: String
    public let isin: String?
    public let cusip: String?
    public let name: String?
    public let tickerSymbol: String?
    public let isCashEquivalent: Bool?
    public let type: String?
    public let closePrice: Decimal?
    public let closePriceAsOf: String?
    public let isoCurrencyCode: String?
    public let unofficialCurrencyCode: String?
}

public struct Holding: Codable, Sendable {
    public let accountId: String
    public let securityId: String
    public let institutionPrice: Decimal
    public let institutionPriceAsOf: String?
    public let institutionValue: Decimal
    /// The total cost of the quantity held, not per unit.
    public let costBasis: Decimal?
    public let quantity: Decimal
    public let isoCurrencyCode: String?
    public let unofficialCurrencyCode: String?
}

public struct InvestmentsHoldingsGetResponse: Codable, Sendable {
    public let accounts: [Account]
    public let holdings: [Holding]
    public let securities: [Security]
    public let item: Item
    public let requestId: String
}

public struct InvestmentsTransactionsGetRequest: Codable, Sendable {
    public struct Options: Codable, Sendable {
        public let count: Int
        public let offset: Int
    }
    public let accessToken: String
    public let startDate: String
    public let endDate: String
    public let options: Options
    public init(accessToken: String, startDate: String, endDate: String, count: Int = 500, offset: Int = 0) {
        self.accessToken = accessToken
        self.startDate = startDate
        self.endDate = endDate
        self.options = Options(count: count, offset: offset)
    }
}

public struct InvestmentTransaction: Codable, Sendable {
    public let investmentTransactionId: String
    public let accountId: String
    public let securityId: String?
    public let date: String
    public let name: String
    /// Positive for a purchase, negative for a sale.
    public let quantity: Decimal
    /// Positive: cash debited (a purchase); negative: cash credited (a sale, a dividend).
    public let amount: Decimal
    public let price: Decimal
    public let fees: Decimal?
    public let type: String
    public let subtype: String
    public let isoCurrencyCode: String?
    public let unofficialCurrencyCode: String?
}

public struct InvestmentsTransactionsGetResponse: Codable, Sendable {
    public let item: Item
    public let accounts: [Account]
    public let securities: [Security]
    public let investmentTransactions: [InvestmentTransaction]
    public let totalInvestmentTransactions: Int
    public let requestId: String
}

// MARK: Institutions and webhook keys

public struct InstitutionsGetByIDRequest: Codable, Sendable {
    public let institutionId: String
    public let countryCodes: [String]
    public init(institutionId: String, countryCodes: [String] = ["US"]) {
        self.institutionId = institutionId
        self.countryCodes = countryCodes
    }
}

public struct Institution: Codable, Sendable {
    public let institutionId: String
    public let name: String
    public let products: [String]
    public let countryCodes: [String]
    public let url: String?
    public let primaryColor: String?
}

public struct InstitutionsGetByIDResponse: Codable, Sendable {
    public let institution: Institution
    public let requestId: String
}

public struct WebhookVerificationKeyGetRequest: Codable, Sendable {
    public let keyId: String
    public init(keyId: String) { self.keyId = keyId }
}

/// An EC P-256 public key as a JWK.
public struct JSONWebKey: Codable, Sendable, Equatable {
    public let alg: String
    public let kty: String
    public let crv: String
    public let kid: String
    public let use: String
    public let x: String
    public let y: String
    public let createdAt: Int
    public let expiredAt: Int?

    public init(alg: String, kty: String, crv: String, kid: String, use: String, x: String, y: String, createdAt: Int, expiredAt: Int?) {
        (self.alg, self.kty, self.crv, self.kid, self.use, self.x, self.y) = (alg, kty, crv, kid, use, x, y)
        self.createdAt = createdAt
        self.expiredAt = expiredAt
    }
}

public struct WebhookVerificationKeyGetResponse: Codable, Sendable {
    public let key: JSONWebKey
    public let requestId: String
}

// MARK: Sandbox

public struct SandboxPublicTokenCreateRequest: Codable, Sendable {
    public struct Options: Codable, Sendable {
        public let webhook: String?
        public let overrideUsername: String?
        public let overridePassword: String?
    }
    public let institutionId: String
    public let initialProducts: [String]
    public let options: Options?
    public init(institutionId: String, initialProducts: [String], webhook: String? = nil, username: String? = nil, password: String? = nil) {
        self.institutionId = institutionId
        self.initialProducts = initialProducts
        self.options = Options(webhook: webhook, overrideUsername: username, overridePassword: password)
    }
}

public struct SandboxPublicTokenCreateResponse: Codable, Sendable {
    public let publicToken: String
    public let requestId: String
}

public struct SandboxItemFireWebhookRequest: Codable, Sendable {
    public let accessToken: String
    public let webhookCode: String
    public let webhookType: String?
    public init(accessToken: String, webhookCode: String, webhookType: String? = nil) {
        self.accessToken = accessToken
        self.webhookCode = webhookCode
        self.webhookType = webhookType
    }
}

public struct SandboxItemFireWebhookResponse: Codable, Sendable {
    public let webhookFired: Bool
    public let requestId: String
}

public struct SandboxItemResetLoginResponse: Codable, Sendable {
    public let resetLogin: Bool
    public let requestId: String
}

// MARK: Calls

extension PlaidClient {
    public func createLinkToken(_ request: LinkTokenCreateRequest) async throws(PlaidClientError) -> LinkTokenCreateResponse {
        try await call("/link/token/create", request)
    }

    public func getLinkToken(_ linkToken: String) async throws(PlaidClientError) -> LinkTokenGetResponse {
        try await call("/link/token/get", LinkTokenGetRequest(linkToken: linkToken))
    }

    public func exchangePublicToken(_ publicToken: String) async throws(PlaidClientError) -> PublicTokenExchangeResponse {
        try await call("/item/public_token/exchange", PublicTokenExchangeRequest(publicToken: publicToken))
    }

    public func item(accessToken: String) async throws(PlaidClientError) -> ItemGetResponse {
        try await call("/item/get", AccessTokenRequest(accessToken: accessToken))
    }

    public func removeItem(accessToken: String) async throws(PlaidClientError) {
        let _: RequestIDResponse = try await call("/item/remove", AccessTokenRequest(accessToken: accessToken))
    }

    public func accounts(accessToken: String) async throws(PlaidClientError) -> AccountsGetResponse {
        try await call("/accounts/get", AccountsGetRequest(accessToken: accessToken))
    }

    public func balances(accessToken: String) async throws(PlaidClientError) -> AccountsGetResponse {
        try await call("/accounts/balance/get", AccountsGetRequest(accessToken: accessToken))
    }

    public func syncTransactions(accessToken: String, cursor: String?) async throws(PlaidClientError) -> TransactionsSyncResponse {
        try await call("/transactions/sync", TransactionsSyncRequest(accessToken: accessToken, cursor: cursor))
    }

    public func holdings(accessToken: String) async throws(PlaidClientError) -> InvestmentsHoldingsGetResponse {
        try await call("/investments/holdings/get", AccessTokenRequest(accessToken: accessToken))
    }

    public func investmentTransactions(_ request: InvestmentsTransactionsGetRequest) async throws(PlaidClientError) -> InvestmentsTransactionsGetResponse {
        try await call("/investments/transactions/get", request)
    }

    public func institution(id: String) async throws(PlaidClientError) -> InstitutionsGetByIDResponse {
        try await call("/institutions/get_by_id", InstitutionsGetByIDRequest(institutionId: id))
    }

    public func webhookVerificationKey(id: String) async throws(PlaidClientError) -> WebhookVerificationKeyGetResponse {
        try await call("/webhook_verification_key/get", WebhookVerificationKeyGetRequest(keyId: id))
    }

    public func sandboxCreatePublicToken(_ request: SandboxPublicTokenCreateRequest) async throws(PlaidClientError) -> SandboxPublicTokenCreateResponse {
        try await call("/sandbox/public_token/create", request)
    }

    public func sandboxFireWebhook(_ request: SandboxItemFireWebhookRequest) async throws(PlaidClientError) -> SandboxItemFireWebhookResponse {
        try await call("/sandbox/item/fire_webhook", request)
    }

    public func sandboxResetLogin(accessToken: String) async throws(PlaidClientError) -> SandboxItemResetLoginResponse {
        try await call("/sandbox/item/reset_login", AccessTokenRequest(accessToken: accessToken))
    }
}
