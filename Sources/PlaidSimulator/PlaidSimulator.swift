import Foundation
import Synchronization
import Vapor

/// A Plaid-compatible HTTP server on loopback, for tests and the demo mode.
///
/// It answers Plaid's endpoints (reference: /work/shared/plaid/PLAID_REFERENCE.md) with deterministic
/// items: every account type, two years of transactions behind `/transactions/sync`, a brokerage
/// account whose holdings follow its investment transactions, sandbox calls, injected faults and
/// webhooks signed like Plaid's. Control routes under `/simulator/` let a demo move time forward.
public final class PlaidSimulator: Sendable {
    private struct Running: Sendable {
        let app: Application
        let baseURL: URL
        /// Webhooks wait here and one task sends them, so they arrive in the order they happened.
        let webhooks: AsyncStream<WebhookDelivery>.Continuation
        let sender: Task<Void, Never>
    }

    let configuration: SimulatorConfiguration
    let state: SimulatorState
    let signer: WebhookSigner
    private let configurationProblem: String?
    private let running = Mutex<Running?>(nil)
    private let requestCount = Atomic<UInt64>(0)
    private let logger = Logger(label: "plaid-simulator")

    public init(configuration: SimulatorConfiguration = .init()) {
        self.configuration = configuration
        var today = Day.today()
        var problem: String?
        if let text = configuration.today {
            if let day = Day(iso: text) { today = day } else { problem = "today must be a date in the format YYYY-MM-DD, not \(text)" }
        }
        if configuration.transactionsPerItem < 0 { problem = "transactionsPerItem must not be negative" }
        configurationProblem = problem
        state = SimulatorState(seed: configuration.seed, today: today, transactionsPerItem: max(0, configuration.transactionsPerItem))
        // A fresh key and key id for every simulator, never from the seed: a receiver that caches keys by
        // id must not meet an old key under a reused id, and nobody can forge webhooks from a known seed.
        signer = WebhookSigner(keyID: UUID().uuidString.lowercased())
    }

    /// Binds and serves; port 0 picks a free port. Answers the base URL, e.g. http://127.0.0.1:54321.
    /// Starting a simulator that is already serving answers the URL it serves on.
    public func start(host: String = "127.0.0.1", port: Int = 0) async throws -> URL {
        if let problem = configurationProblem { throw SimulatorConfigurationError(description: problem) }
        if let url = baseURL { return url }
        let app = try await Application.make(Environment(name: "plaid-simulator", arguments: ["plaid-simulator"]))
        app.logger = logger
        app.middleware = Middlewares()
        app.middleware.use(PlaidErrorMiddleware(requestID: { [self] in nextRequestID() }))
        let handler: @Sendable (Request) async -> Response = { [self] request in await handle(request) }
        for method in [HTTPMethod.POST, .GET, .PUT, .DELETE, .PATCH] {
            app.on(method, .catchall, body: .collect(maxSize: "1mb"), use: handler)
        }
        do {
            try await app.server.start(address: .hostname(host, port: port))
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        let boundPort = app.http.server.shared.localAddress?.port ?? port
        let urlHost = host.contains(":") ? "[\(host)]" : host
        guard let url = URL(string: "http://\(urlHost):\(boundPort)") else {
            await app.server.shutdown()
            try await app.asyncShutdown()
            throw SimulatorConfigurationError(description: "cannot form a URL from host \(host)")
        }
        let (webhooks, queue) = AsyncStream<WebhookDelivery>.makeStream()
        let sender = Task { [signer, logger] in
            for await delivery in webhooks { await Self.send(delivery, app: app, signer: signer, logger: logger) }
        }
        let earlier = running.withLock { slot -> URL? in
            if let earlier = slot { return earlier.baseURL }
            slot = Running(app: app, baseURL: url, webhooks: queue, sender: sender)
            return nil
        }
        if let earlier {
            // Another start won the race; this one's server goes away.
            queue.finish()
            await app.server.shutdown()
            try await app.asyncShutdown()
            return earlier
        }
        logger.info("Plaid simulator serving", metadata: ["url": "\(url.absoluteString)"])
        return url
    }

    public func shutdown() async throws {
        guard let current = running.withLock({ slot -> Running? in
            let current = slot
            slot = nil
            return current
        }) else { return }
        current.webhooks.finish()
        current.sender.cancel()
        await current.app.server.shutdown()
        try await current.app.asyncShutdown()
    }

    public var baseURL: URL? { running.withLock { $0?.baseURL } }

    /// The next `times` calls to `endpoint` (a path such as "/transactions/sync") after skipping
    /// `afterCalls` matching calls fail with `fault`, before the endpoint does any work.
    public func injectFault(_ fault: SimulatorFault, on endpoint: String, times: Int = 1, afterCalls: Int = 0) async {
        await state.addFault(fault, endpoint: endpoint.hasPrefix("/") ? endpoint : "/" + endpoint, times: times, afterCalls: afterCalls)
    }

    /// New activity on the item (every item when nil), as if time passed at the bank: a few new posted
    /// transactions, one new pending transaction, an earlier pending transaction posts (the posted one
    /// is `added` with `pending_transaction_id` = the pending id, and the pending id is `removed`, in the
    /// same sync page), one earlier transaction modified (amount or name), one removed. Balances follow.
    /// Fires TRANSACTIONS/SYNC_UPDATES_AVAILABLE when the item has a webhook URL. Answers the counts.
    @discardableResult
    public func advance(itemID: String? = nil) async -> SimulatorActivity {
        let (activity, deliveries) = await state.advance(itemID: itemID)
        deliver(deliveries)
        return activity
    }

    /// Clears ITEM_LOGIN_REQUIRED set by /sandbox/item/reset_login and fires ITEM/LOGIN_REPAIRED when a webhook is set.
    public func repairLogin(itemID: String) async {
        deliver(await state.repairLogin(itemID: itemID))
    }

    /// How many link tokens opened Link's update mode with account selection for the item.
    public func accountSelectionOffers(itemID: String) async -> Int {
        await state.accountSelectionOffers(itemID: itemID)
    }

    /// The item an access token belongs to (nil if unknown or removed).
    public func itemID(accessToken: String) async -> String? {
        await state.itemID(accessToken: accessToken)
    }

    // MARK: Serving

    private var api: PlaidAPI {
        PlaidAPI(state: state, signer: signer, deliver: { [self] deliveries in deliver(deliveries) },
                 baseURL: running.withLock { $0?.baseURL })
    }

    /// Plaid-like request ids (15 base62 characters), from the seed and a counter.
    func nextRequestID() -> String {
        let count = requestCount.add(1, ordering: .relaxed).newValue
        var rng = SeededGenerator(seed: SeededGenerator.mix(SeededGenerator.mix(configuration.seed) &+ count))
        return rng.token(length: 15)
    }

    private func handle(_ request: Request) async -> Response {
        let requestID = nextRequestID()
        let path = request.url.path
        if path.hasPrefix("/hosted-link/") { return await hostedLink(request) }
        do throws(PlaidFailure) {
            guard request.method == .POST else { throw .notFound(path) }
            let fields = try RequestFields.parse(request.body.data.map { Data(buffer: $0) })
            let answer: JSONValue
            if path.hasPrefix("/simulator/") {
                answer = try await api.control(path, fields)
            } else {
                guard PlaidAPI.endpoints.contains(path) else { throw .notFound(path) }
                try authenticate(request.headers, fields)
                if let fault = await state.takeFault(endpoint: path) { throw .fault(fault, endpoint: path) }
                answer = try await api.answer(path, fields)
            }
            return Self.response(status: 200, answer.adding("request_id", .string(requestID)))
        } catch {
            if error.status >= 500 { logger.warning("Plaid simulator answered \(error.status) \(error.code) for \(path)") }
            return Self.response(status: error.status, error.body(requestID: requestID))
        }
    }

    /// Hosted Link's page, as Plaid would serve it: GET shows Link for the token (pick a bank, or
    /// confirm the repair of a login), POST finishes the session and sends the person back.
    private func hostedLink(_ request: Request) async -> Response {
        let linkToken = String(request.url.path.dropFirst("/hosted-link/".count))
        guard let session = await state.hostedSession(linkToken: linkToken), session.expiresAt > unixNow() else {
            return Self.page(status: 404, "<h1>This link has expired</h1><p>Start again from the app.</p>")
        }
        if request.method == .POST {
            let form = request.body.string ?? ""
            let fields = Dictionary(form.split(separator: "&").compactMap { pair -> (String, String)? in
                let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
                return parts.count == 2 ? (parts[0], parts[1]) : nil
            }, uniquingKeysWith: { first, _ in first })
            do throws(PlaidFailure) {
                let (redirect, deliveries) = try await state.finishHostedSession(linkToken: linkToken, institutionID: fields["institution_id"] ?? "")
                deliver(deliveries)
                guard let redirect else { return Self.page(status: 200, "<h1>Done</h1><p>You can close this page.</p>") }
                return Response(status: .seeOther, headers: ["Location": redirect])
            } catch {
                return Self.page(status: error.status, "<h1>Link failed</h1><p>\(error.code)</p>")
            }
        }
        let choices = session.accessToken != nil
            ? "<p>Sign in to your bank again to repair the connection.</p><input type=\"hidden\" name=\"institution_id\" value=\"\">"
            : SandboxInstitution.all.filter { institution in session.products.allSatisfy(institution.products.contains) }.map { institution in
                "<label><input type=\"radio\" name=\"institution_id\" value=\"\(institution.id)\" required> \(institution.name)</label><br>"
            }.joined()
        return Self.page(status: 200, """
            <h1>Link your bank</h1><form method="post">\(choices)<p><button type="submit">Continue</button></p></form>
            """)
    }

    private static func page(status: Int, _ body: String) -> Response {
        let html = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Plaid Link (simulator)</title><link rel=\"icon\" href=\"data:,\"></head><body>\(body)</body></html>"
        return Response(status: HTTPResponseStatus(statusCode: status), headers: ["Content-Type": "text/html; charset=utf-8"], body: .init(string: html))
    }

    /// Credentials come as headers or as body fields; wrong or missing ones are INVALID_API_KEYS.
    private func authenticate(_ headers: HTTPHeaders, _ fields: RequestFields) throws(PlaidFailure) {
        let clientID = try fields.string("client_id") ?? headers.first(name: "PLAID-CLIENT-ID")
        let secret = try fields.string("secret") ?? headers.first(name: "PLAID-SECRET")
        guard clientID == configuration.clientID, secret == configuration.secret else { throw .code("INVALID_API_KEYS") }
    }

    static func response(status: Int, _ body: JSONValue) -> Response {
        var writer = JSONWriter(capacity: 4096)
        writer.write(body)
        var headers = HTTPHeaders()
        headers.contentType = .json
        return Response(status: HTTPResponseStatus(statusCode: status), headers: headers, body: .init(buffer: ByteBuffer(bytes: writer.bytes)))
    }

    // MARK: Webhooks

    /// Queues webhooks to be sent, signed, as 2-space-indented JSON bodies. Fire-and-forget: a receiver
    /// that fails or cannot be reached is logged, never retried.
    func deliver(_ deliveries: [WebhookDelivery]) {
        guard !deliveries.isEmpty else { return }
        guard let queue = running.withLock({ $0?.webhooks }) else {
            logger.warning("Plaid simulator is not serving; \(deliveries.count) webhook(s) not sent")
            return
        }
        for delivery in deliveries { queue.yield(delivery) }
    }

    private static func send(_ delivery: WebhookDelivery, app: Application, signer: WebhookSigner, logger: Logger) async {
        let body = JSONWriter.pretty(delivery.body)
        do {
            var headers = HTTPHeaders()
            headers.contentType = .json
            headers.add(name: "Plaid-Verification", value: try signer.verificationHeader(body: body))
            let response = try await app.client.post(URI(string: delivery.url), headers: headers) { request in
                request.body = ByteBuffer(bytes: body)
            }
            if !(200..<300).contains(response.status.code) {
                logger.warning("Webhook receiver answered \(response.status.code)", metadata: ["url": "\(delivery.url)"])
            }
        } catch {
            logger.warning("Webhook could not be sent: \(error)", metadata: ["url": "\(delivery.url)"])
        }
    }
}

/// Whatever goes wrong before a route answers (no route at all, a body too large) still answers a Plaid error body.
private struct PlaidErrorMiddleware: AsyncMiddleware {
    let requestID: @Sendable () -> String

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch let abort as any AbortError {
            let failure: PlaidFailure = switch abort.status {
            case .notFound: .notFound(request.url.path)
            case .payloadTooLarge: .invalidBody("the request body is too large")
            default: .invalidBody(abort.reason)
            }
            return PlaidSimulator.response(status: abort.status == .notFound ? 404 : 400, failure.body(requestID: requestID()))
        } catch {
            return PlaidSimulator.response(status: 500, PlaidFailure.code("INTERNAL_SERVER_ERROR").body(requestID: requestID()))
        }
    }
}
