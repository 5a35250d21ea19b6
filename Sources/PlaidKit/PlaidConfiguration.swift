import Foundation

/// Where and as whom the client talks to Plaid.
public struct PlaidConfiguration: Sendable {
    public enum Environment: Sendable, Equatable {
        case sandbox
        case production
        /// Any base URL: a Plaid-compatible simulator on loopback, a proxy.
        case custom(URL)

        public var baseURL: URL {
            switch self {
            case .sandbox: URL(string: "https://sandbox.plaid.com")!
            case .production: URL(string: "https://production.plaid.com")!
            case .custom(let url): url
            }
        }

        /// `sandbox`, `production`, or an `http(s)://` base URL.
        public init?(_ text: String) {
            switch text {
            case "sandbox": self = .sandbox
            case "production": self = .production
            default:
                guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else { return nil }
                self = .custom(url)
            }
        }
    }

    public var environment: Environment
    public var clientID: String
    public var secret: String
    /// How long one attempt may take.
    public var timeout: Duration
    /// Attempts after the first for a 429 or a 5xx (never for another 4xx).
    public var maxRetries: Int
    /// The first retry's delay; each later one doubles, with random jitter of up to half of it.
    public var baseDelay: Duration

    public init(environment: Environment, clientID: String, secret: String, timeout: Duration = .seconds(30),
                maxRetries: Int = 3, baseDelay: Duration = .milliseconds(250)) {
        self.environment = environment
        self.clientID = clientID
        self.secret = secret
        self.timeout = timeout
        self.maxRetries = maxRetries
        self.baseDelay = baseDelay
    }

    /// The API version every request pins.
    public static let apiVersion = "2020-09-14"
}

extension PlaidConfiguration: CustomStringConvertible {
    /// Says where, never the secret.
    public var description: String { "Plaid at \(environment.baseURL.absoluteString) as client \(clientID)" }
}
