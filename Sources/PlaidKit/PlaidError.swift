import Foundation

/// Plaid's error object, as its API answers a failed call (and embeds in items and webhooks).
public struct PlaidError: Error, Codable, Sendable, Equatable {
    public let errorType: String
    public let errorCode: String
    public let errorCodeReason: String?
    public let errorMessage: String
    public let displayMessage: String?
    public let requestId: String?
    public let status: Int?
    public let documentationUrl: String?
    public let suggestedAction: String?

    public init(errorType: String, errorCode: String, errorMessage: String, displayMessage: String? = nil, requestId: String? = nil,
                errorCodeReason: String? = nil, status: Int? = nil, documentationUrl: String? = nil, suggestedAction: String? = nil) {
        self.errorType = errorType
        self.errorCode = errorCode
        self.errorCodeReason = errorCodeReason
        self.errorMessage = errorMessage
        self.displayMessage = displayMessage
        self.requestId = requestId
        self.status = status
        self.documentationUrl = documentationUrl
        self.suggestedAction = suggestedAction
    }

    /// The codes this backend acts on.
    public static let itemLoginRequired = "ITEM_LOGIN_REQUIRED"
    public static let invalidAccessToken = "INVALID_ACCESS_TOKEN"
    public static let productNotReady = "PRODUCT_NOT_READY"
    public static let mutationDuringPagination = "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION"
    public static let rateLimitExceeded = "RATE_LIMIT_EXCEEDED"
}

/// Why a call to Plaid failed.
public enum PlaidClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Plaid answered with its error object (after any retries).
    case plaid(PlaidError, httpStatus: Int)
    /// A non-2xx answer without a Plaid error body.
    case unexpectedStatus(Int)
    /// The connection failed or timed out (after any retries).
    case transport(String)
    /// A 2xx answer that is not the expected JSON.
    case undecodable(String)

    public var description: String {
        switch self {
        case .plaid(let error, let status): "Plaid \(status) \(error.errorType)/\(error.errorCode): \(error.errorMessage)"
        case .unexpectedStatus(let status): "Plaid answered HTTP \(status) without an error body"
        case .transport(let reason): "Plaid could not be reached: \(reason)"
        case .undecodable(let reason): "Plaid's answer could not be read: \(reason)"
        }
    }

    /// Whether another attempt may succeed: rate limits, Plaid's own failures, and the network.
    var isRetryable: Bool {
        switch self {
        case .plaid(let error, let status): status == 429 || status >= 500 || error.errorType == "RATE_LIMIT_EXCEEDED"
        case .unexpectedStatus(let status): status == 429 || status >= 500
        case .transport: true
        case .undecodable: false
        }
    }
}
