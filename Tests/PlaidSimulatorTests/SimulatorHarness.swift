import AsyncHTTPClient
import Foundation
import NIOCore
import PlaidKit
@testable import PlaidSimulator
import Synchronization
import Testing
import Vapor

/// A running simulator and a real `PlaidClient` pointed at it.
struct SimulatorHarness {
    static let today = "2025-06-30"

    let simulator: PlaidSimulator
    let url: URL
    let configuration: SimulatorConfiguration

    /// Starts a simulator, runs `body`, and shuts the simulator down whether or not `body` throws.
    static func with(_ configuration: SimulatorConfiguration = .init(transactionsPerItem: 300, today: today),
                     _ body: (SimulatorHarness) async throws -> Void) async throws {
        let simulator = PlaidSimulator(configuration: configuration)
        let url = try await simulator.start()
        do {
            try await body(SimulatorHarness(simulator: simulator, url: url, configuration: configuration))
        } catch {
            try await simulator.shutdown()
            throw error
        }
        try await simulator.shutdown()
    }

    func client(secret: String? = nil, retries: Int = 3) -> PlaidClient {
        PlaidClient(configuration: PlaidConfiguration(environment: .custom(url), clientID: configuration.clientID,
                                                      secret: secret ?? configuration.secret, timeout: .seconds(30), maxRetries: retries,
                                                      baseDelay: .milliseconds(5)),
                    httpClient: .shared)
    }

    /// Sandbox public token, then its exchange: the access token and item id of a new item.
    func link(institution: String = "ins_109508", products: [String] = ["transactions", "investments"],
              webhook: String? = nil) async throws -> (accessToken: String, itemID: String) {
        let client = client()
        let publicToken = try await client.sandboxCreatePublicToken(
            SandboxPublicTokenCreateRequest(institutionId: institution, initialProducts: products, webhook: webhook)).publicToken
        #expect(publicToken.hasPrefix("public-sandbox-"))
        let exchanged = try await client.exchangePublicToken(publicToken)
        return (exchanged.accessToken, exchanged.itemId)
    }

    func syncPage(_ accessToken: String, cursor: String?, count: Int = 500, client: PlaidClient? = nil) async throws -> TransactionsSyncResponse {
        try await (client ?? self.client()).call("/transactions/sync", TransactionsSyncRequest(accessToken: accessToken, cursor: cursor, count: count),
                                                 as: TransactionsSyncResponse.self)
    }

    /// Pages until `has_more` is false, applying each page to `ledger`.
    @discardableResult
    func syncAll(_ accessToken: String, into ledger: inout Ledger, count: Int = 500) async throws -> [TransactionsSyncResponse] {
        var pages: [TransactionsSyncResponse] = []
        repeat {
            let page = try await syncPage(accessToken, cursor: ledger.cursor, count: count)
            ledger.apply(page)
            pages.append(page)
        } while pages.last!.hasMore
        return pages
    }

    /// A POST with credentials in the body: the answer's bytes, which must be a 200.
    func rawBytes(_ path: String, _ body: [String: Any]) async throws -> Data {
        var fields = body
        fields["client_id"] = configuration.clientID
        fields["secret"] = configuration.secret
        var request = HTTPClientRequest(url: url.absoluteString + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: fields)))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        try #require(response.status == .ok)
        return Data(try await response.body.collect(upTo: 256 * 1024 * 1024).readableBytesView)
    }

    /// A POST with credentials in the body (unless told otherwise): status, parsed JSON and raw text.
    func raw(_ path: String, _ body: [String: Any], credentials: Bool = true) async throws -> (status: Int, json: [String: Any], text: String) {
        var fields = body
        if credentials {
            fields["client_id"] = configuration.clientID
            fields["secret"] = configuration.secret
        }
        var request = HTTPClientRequest(url: url.absoluteString + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: fields)))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 256 * 1024 * 1024)
        let data = Data(bytes.readableBytesView)
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return (Int(response.status.code), json, String(decoding: data, as: UTF8.self))
    }
}

/// What a client holds after applying sync pages: the current transactions by id, and the last cursor.
struct Ledger {
    var transactions: [String: Transaction] = [:]
    var cursor: String?
    var duplicateAdds: [String] = []
    var unknownModified: [String] = []
    var unknownRemoved: [String] = []
    var accounts: [String: Account] = [:]

    mutating func apply(_ page: TransactionsSyncResponse) {
        for transaction in page.added {
            if transactions[transaction.transactionId] != nil { duplicateAdds.append(transaction.transactionId) }
            transactions[transaction.transactionId] = transaction
        }
        for transaction in page.modified {
            if transactions[transaction.transactionId] == nil { unknownModified.append(transaction.transactionId) }
            transactions[transaction.transactionId] = transaction
        }
        for removed in page.removed where transactions.removeValue(forKey: removed.transactionId) == nil {
            unknownRemoved.append(removed.transactionId)
        }
        for account in page.accounts ?? [] { accounts[account.accountId] = account }
        cursor = page.nextCursor
    }

    func posted(in accountID: String) -> [Transaction] { transactions.values.filter { $0.accountId == accountID && !$0.pending } }
    func pending(in accountID: String) -> [Transaction] { transactions.values.filter { $0.accountId == accountID && $0.pending } }
    func sum(_ transactions: [Transaction]) -> Decimal { transactions.reduce(Decimal(0)) { $0 + $1.amount } }
}

/// A second tiny server on loopback that records the webhooks it receives.
final class WebhookReceiver: Sendable {
    struct Delivery: Sendable {
        let body: Data
        let verification: String?
        let contentType: String?
    }

    /// Where the route writes; created before the server starts, since Vapor reads its routes at start.
    private final class Log: Sendable {
        let deliveries = Mutex<[Delivery]>([])
    }

    let app: Application
    let url: String
    private let log: Log

    private init(app: Application, url: String, log: Log) {
        self.app = app
        self.url = url
        self.log = log
    }

    static func start() async throws -> WebhookReceiver {
        let app = try await Application.make(Environment(name: "testing", arguments: ["webhook-receiver"]))
        app.logger.logLevel = .error
        let log = Log()
        app.on(.POST, "plaid", "webhook", body: .collect(maxSize: "1mb")) { request async -> HTTPStatus in
            let body = request.body.data.map { Data(buffer: $0) } ?? Data()
            log.deliveries.withLock {
                $0.append(Delivery(body: body, verification: request.headers.first(name: "Plaid-Verification"),
                                   contentType: request.headers.first(name: .contentType)))
            }
            return .ok
        }
        try await app.server.start(address: .hostname("127.0.0.1", port: 0))
        let port = try #require(app.http.server.shared.localAddress?.port)
        return WebhookReceiver(app: app, url: "http://127.0.0.1:\(port)/plaid/webhook", log: log)
    }

    /// Waits (up to five seconds) until `count` webhooks have arrived and answers them in arrival order.
    func waitFor(_ count: Int) async throws -> [Delivery] {
        for _ in 0..<250 {
            let received = log.deliveries.withLock { $0 }
            if received.count >= count { return received }
            try await Task.sleep(for: .milliseconds(20))
        }
        return log.deliveries.withLock { $0 }
    }

    func stop() async throws {
        await app.server.shutdown()
        try await app.asyncShutdown()
    }
}

/// Whether a Plaid client error is Plaid's error with this code, type and HTTP status.
func isPlaidError(_ error: any Error, code: String, type: String, status: Int) -> Bool {
    guard case .plaid(let plaid, let httpStatus) = error as? PlaidClientError else { return false }
    return plaid.errorCode == code && plaid.errorType == type && httpStatus == status && plaid.requestId != nil
}

/// True when `value` has no more than `places` decimal places.
func hasAtMost(_ places: Int, decimalPlacesIn value: Decimal) -> Bool {
    var scaled = value
    for _ in 0..<places { scaled *= 10 }
    var rounded = Decimal()
    NSDecimalRound(&rounded, &scaled, 0, .plain)
    return rounded == scaled
}
