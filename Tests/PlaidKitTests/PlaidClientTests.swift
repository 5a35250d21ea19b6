import AsyncHTTPClient
import Foundation
@testable import PlaidKit
import Synchronization
import Testing
import Vapor

/// A real HTTP server on loopback that answers each path as a test says, and counts the calls.
final class LoopbackServer: Sendable {
    let app: Application
    let port: Int

    private init(app: Application, port: Int) {
        self.app = app
        self.port = port
    }

    static func start(_ routes: @escaping @Sendable (_ path: String, _ call: Int, _ request: Request) async throws -> Response) async throws -> LoopbackServer {
        let app = try await Application.make(.testing)
        app.logger.logLevel = .error
        let counter = Mutex<[String: Int]>([:])
        app.post(.catchall) { request async throws -> Response in
            let path = request.url.path
            let call = counter.withLock { counts in
                counts[path, default: 0] += 1
                return counts[path]!
            }
            return try await routes(path, call, request)
        }
        try await app.server.start(address: .hostname("127.0.0.1", port: 0))
        let port = try #require(app.http.server.shared.localAddress?.port)
        return LoopbackServer(app: app, port: port)
    }

    func stop() async throws {
        await app.server.shutdown()
        try await app.asyncShutdown()
    }

    static func json(_ status: HTTPResponseStatus, _ body: String) -> Response {
        Response(status: status, headers: ["Content-Type": "application/json"], body: .init(string: body))
    }
}

@Suite("Plaid client over loopback HTTP")
struct PlaidClientTests {
    /// Long enough that a loaded machine is never mistaken for a time-out (and a retry); the time-out test sets its own.
    static func client(port: Int, retries: Int = 3, timeout: Duration = .seconds(60)) -> PlaidClient {
        PlaidClient(configuration: PlaidConfiguration(environment: .custom(URL(string: "http://127.0.0.1:\(port)")!), clientID: "client-123",
                                                      secret: "secret-456", timeout: timeout, maxRetries: retries, baseDelay: .milliseconds(5)),
                    httpClient: .shared)
    }

    static let item = #"{"item_id": "item-1", "institution_id": "ins_109508", "institution_name": "First Platypus Bank", "webhook": null, "error": null, "available_products": [], "billed_products": ["transactions"], "consent_expiration_time": null, "update_type": "background"}"#

    static let loginRequired = #"{"error_type": "ITEM_ERROR", "error_code": "ITEM_LOGIN_REQUIRED", "error_message": "the login details of this item have changed", "display_message": null, "request_id": "req-9"}"#

    @Test("Credentials go in headers with the pinned version; fields are Plaid's; amounts keep every digit")
    func headersFieldsAndExactAmounts() async throws {
        let server = try await LoopbackServer.start { path, _, request in
            let body = try JSONSerialization.jsonObject(with: Data(buffer: request.body.data ?? ByteBuffer())) as? [String: Any]
            guard request.headers.first(name: "PLAID-CLIENT-ID") == "client-123", request.headers.first(name: "PLAID-SECRET") == "secret-456",
                  request.headers.first(name: "Plaid-Version") == "2020-09-14", body?["access_token"] as? String == "access-sandbox-1",
                  path == "/accounts/get" else {
                return LoopbackServer.json(.badRequest, #"{"error_type": "INVALID_REQUEST", "error_code": "MISSING_FIELDS", "error_message": "bad", "display_message": null}"#)
            }
            return LoopbackServer.json(.ok, """
                {"accounts": [{"account_id": "acc-1", "balances": {"available": null, "current": 1234567890123.4567, "limit": 0.1,
                 "iso_currency_code": "USD", "unofficial_currency_code": null}, "mask": "0000", "name": "Plaid Checking",
                 "official_name": null, "type": "depository", "subtype": "checking"}], "item": \(Self.item), "request_id": "req-1"}
                """)
        }
        let answer = try await Self.client(port: server.port).accounts(accessToken: "access-sandbox-1")
        try await server.stop()
        let balances = try #require(answer.accounts.first?.balances)
        #expect(balances.current == Decimal(string: "1234567890123.4567"))
        #expect(balances.limit == Decimal(string: "0.1"))
        #expect(balances.available == nil)
        #expect(answer.item.institutionName == "First Platypus Bank")
    }

    @Test("A 500 and a 429 are tried again; the third attempt's answer is returned")
    func retriesServerErrorsAndRateLimits() async throws {
        let server = try await LoopbackServer.start { _, call, _ in
            switch call {
            case 1: LoopbackServer.json(.internalServerError, #"{"error_type": "API_ERROR", "error_code": "INTERNAL_SERVER_ERROR", "error_message": "an unexpected error occurred", "display_message": null}"#)
            case 2: LoopbackServer.json(.tooManyRequests, #"{"error_type": "RATE_LIMIT_EXCEEDED", "error_code": "ACCOUNTS_LIMIT", "error_message": "rate limit exceeded", "display_message": null}"#)
            default: LoopbackServer.json(.ok, #"{"item": \#(Self.item), "request_id": "req-3"}"#)
            }
        }
        let answer = try await Self.client(port: server.port).item(accessToken: "access-sandbox-1")
        try await server.stop()
        #expect(answer.requestId == "req-3")
    }

    @Test("Another 4xx is not tried again, and comes back as Plaid's typed error")
    func noRetryOnClientErrors() async throws {
        let server = try await LoopbackServer.start { _, call, _ in
            call == 1 ? LoopbackServer.json(.badRequest, Self.loginRequired) : LoopbackServer.json(.ok, #"{"item": \#(Self.item), "request_id": "late"}"#)
        }
        await #expect(throws: PlaidClientError.plaid(
            PlaidError(errorType: "ITEM_ERROR", errorCode: "ITEM_LOGIN_REQUIRED", errorMessage: "the login details of this item have changed", requestId: "req-9"),
            httpStatus: 400)) {
            try await Self.client(port: server.port).item(accessToken: "access-sandbox-1")
        }
        try await server.stop()
    }

    @Test("Retries stop after the limit; an unreachable server is a transport error")
    func givesUp() async throws {
        let server = try await LoopbackServer.start { _, call, _ in
            call <= 3 ? Response(status: .serviceUnavailable) : LoopbackServer.json(.ok, #"{"item": \#(Self.item), "request_id": "too-late"}"#)
        }
        await #expect(throws: PlaidClientError.unexpectedStatus(503)) {
            try await Self.client(port: server.port, retries: 2).item(accessToken: "access-sandbox-1")
        }
        let port = server.port
        try await server.stop()
        await #expect {
            try await Self.client(port: port, retries: 1, timeout: .seconds(1)).item(accessToken: "access-sandbox-1")
        } throws: { error in
            if case .transport = error as? PlaidClientError { return true }
            return false
        }
    }

    @Test("The retry delay doubles with jitter of up to half; the description never shows the secret")
    func delaysAndDescription() {
        let client = Self.client(port: 1)
        for attempt in 1...4 {
            let base = Duration.milliseconds(5) * (1 << (attempt - 1))
            let delay = client.retryDelay(attempt: attempt)
            #expect(delay >= base && delay <= base + base / 2)
        }
        #expect(!client.configuration.description.contains("secret-456"))
        #expect(PlaidConfiguration.Environment("sandbox") == .sandbox)
        #expect(PlaidConfiguration.Environment("ftp://x") == nil)
        #expect(PlaidConfiguration.Environment("http://127.0.0.1:9000")?.baseURL.port == 9000)
    }
}
