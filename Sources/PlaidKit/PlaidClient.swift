import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// A client for Plaid's API (version 2020-09-14) on AsyncHTTPClient.
///
/// Every call is a JSON `POST`, with the credentials in the `PLAID-CLIENT-ID` and `PLAID-SECRET`
/// headers and `Plaid-Version` pinned. A 429 or 5xx answer, or a network failure, is tried again up
/// to `maxRetries` times, waiting `baseDelay` doubled each time plus up to half of that at random;
/// any other 4xx is not. Plaid's error object comes back as `PlaidClientError.plaid`. Amounts decode
/// into `Decimal` from the JSON number's digits, never through a binary float. Nothing this client
/// logs carries a token or the secret: only the endpoint, the status and Plaid's request id.
public struct PlaidClient: Sendable {
    public let configuration: PlaidConfiguration
    private let http: HTTPClient
    private let logger: Logger

    public init(configuration: PlaidConfiguration, httpClient: HTTPClient, logger: Logger = Logger(label: "plaid")) {
        self.configuration = configuration
        self.http = httpClient
        self.logger = logger
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()

    /// Sends `request` to `path` (`/accounts/get`) and decodes the answer.
    public func call<Request: Encodable & Sendable, Response: Decodable & Sendable>(
        _ path: String, _ request: Request, as _: Response.Type = Response.self
    ) async throws(PlaidClientError) -> Response {
        let body: Data
        do { body = try Self.encoder.encode(request) } catch { throw .undecodable("request: \(error)") }
        var attempt = 0
        while true {
            do {
                return try await once(path, body: body)
            } catch where error.isRetryable && attempt < configuration.maxRetries {
                attempt += 1
                let delay = retryDelay(attempt: attempt)
                logger.warning("Plaid \(path) failed, retrying", metadata: ["attempt": "\(attempt)", "reason": "\(error)"])
                try? await Task.sleep(for: delay)
            }
        }
    }

    /// The wait before retry `attempt` (1-based): base · 2^(attempt−1), plus up to half of that.
    func retryDelay(attempt: Int) -> Duration {
        let base = configuration.baseDelay * (1 << min(attempt - 1, 16))
        let nanoseconds = base.components.seconds * 1_000_000_000 + base.components.attoseconds / 1_000_000_000
        return base + .nanoseconds(Int64.random(in: 0...max(0, nanoseconds / 2)))
    }

    private func once<Response: Decodable>(_ path: String, body: Data) async throws(PlaidClientError) -> Response {
        var request = HTTPClientRequest(url: configuration.environment.baseURL.absoluteString.trimmingSuffix("/") + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "PLAID-CLIENT-ID", value: configuration.clientID)
        request.headers.add(name: "PLAID-SECRET", value: configuration.secret)
        request.headers.add(name: "Plaid-Version", value: PlaidConfiguration.apiVersion)
        request.body = .bytes(ByteBuffer(bytes: body))
        let status: Int
        let bytes: ByteBuffer
        do {
            let response = try await http.execute(request, timeout: .nanoseconds(configuration.timeout.components.seconds * 1_000_000_000
                                                                                 + configuration.timeout.components.attoseconds / 1_000_000_000))
            status = Int(response.status.code)
            bytes = try await response.body.collect(upTo: 64 * 1024 * 1024)
        } catch {
            throw .transport(String(describing: type(of: error)) + ": " + "\(error)")
        }
        let data = Data(bytes.readableBytesView)
        guard (200..<300).contains(status) else {
            if let plaid = try? Self.decoder.decode(PlaidError.self, from: data) {
                logger.info("Plaid \(path) answered \(status)", metadata: ["error_code": "\(plaid.errorCode)", "request_id": "\(plaid.requestId ?? "-")"])
                throw .plaid(plaid, httpStatus: status)
            }
            throw .unexpectedStatus(status)
        }
        do {
            return try Self.decoder.decode(Response.self, from: data)
        } catch {
            throw .undecodable("\(path): \(error)")
        }
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}
