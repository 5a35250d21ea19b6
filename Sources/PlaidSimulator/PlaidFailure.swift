/// A Plaid error answer: the HTTP status and the fields of Plaid's error object (reference §4).
struct PlaidFailure: Error, Sendable, Equatable {
    var status: Int
    var type: String
    var code: String
    var message: String
    var displayMessage: String?

    init(status: Int, type: String, code: String, message: String, displayMessage: String? = nil) {
        self.status = status
        self.type = type
        self.code = code
        self.message = message
        self.displayMessage = displayMessage
    }

    /// The error object. An HTTP answer carries `request_id`; one embedded in a webhook carries `status`
    /// instead; one embedded in an item carries neither.
    func body(requestID: String? = nil, includeStatus: Bool = false) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("error_type", .string(type)),
            ("error_code", .string(code)),
            ("error_code_reason", .null),
            ("error_message", .string(message)),
            ("display_message", .text(displayMessage)),
            ("documentation_url", .string(documentationURL)),
            ("suggested_action", .null),
        ]
        if let requestID { members.append(("request_id", .string(requestID))) }
        if includeStatus { members.append(("status", .int(status))) }
        return .object(members)
    }

    /// Plaid's error pages are one per error type, with an anchor per code.
    var documentationURL: String {
        let page = switch type {
        case "ITEM_ERROR": "item"
        case "INVALID_INPUT": "invalid-input"
        case "INVALID_REQUEST": "invalid-request"
        case "INVALID_RESULT": "invalid-result"
        case "RATE_LIMIT_EXCEEDED": "rate-limit-exceeded"
        case "API_ERROR": "api"
        case "SANDBOX_ERROR": "sandbox"
        case "TRANSACTIONS_ERROR": "transactions"
        case "INSTITUTION_ERROR": "institution"
        case "OAUTH_ERROR": "oauth"
        default: type.lowercased().replacingOccurrences(of: "_", with: "-")
        }
        return "https://plaid.com/docs/errors/\(page)/#\(code.lowercased())"
    }

    // MARK: The catalog

    /// The error a code stands for: its type, HTTP status and message. A code the simulator does not
    /// know is an ITEM_ERROR with status 400, as Plaid's sandbox treats `error_<CODE>` passwords.
    static func code(_ code: String) -> PlaidFailure {
        if code == "RATE_LIMIT" || code.hasSuffix("_LIMIT") {
            return PlaidFailure(status: 429, type: "RATE_LIMIT_EXCEEDED", code: code,
                                message: "rate limit exceeded for attempts to access this item. please try again later")
        }
        switch code {
        case "ITEM_LOGIN_REQUIRED":
            return PlaidFailure(status: 400, type: "ITEM_ERROR", code: code,
                                message: "the login details of this item have changed (credentials, MFA, or required user action) and a user login is required to update this information. use Link's update mode to restore the item to a good state")
        case "PRODUCT_NOT_READY":
            return PlaidFailure(status: 400, type: "ITEM_ERROR", code: code,
                                message: "the requested product is not yet ready. please provide a webhook or try the request again later")
        case "ITEM_LOCKED":
            return PlaidFailure(status: 400, type: "ITEM_ERROR", code: code,
                                message: "the account is locked. prompt the user to visit the institution's site and unlock their account",
                                displayMessage: "The given account has been locked by the financial institution. Please visit your financial institution's website to unlock your account.")
        case "INVALID_CREDENTIALS":
            return PlaidFailure(status: 400, type: "ITEM_ERROR", code: code, message: "the provided credentials were not correct",
                                displayMessage: "The provided credentials were not correct. Please try again.")
        case "INVALID_MFA":
            return PlaidFailure(status: 400, type: "ITEM_ERROR", code: code, message: "the provided MFA response(s) were not correct",
                                displayMessage: "The provided MFA responses were not correct. Please try again.")
        case "INSUFFICIENT_CREDENTIALS":
            return PlaidFailure(status: 400, type: "ITEM_ERROR", code: code,
                                message: "insufficient authorization was provided to complete the request")
        case "ITEM_NOT_SUPPORTED":
            return PlaidFailure(status: 400, type: "ITEM_ERROR", code: code, message: "this account is currently not supported",
                                displayMessage: "Account not currently supported")
        case "MFA_NOT_SUPPORTED":
            return PlaidFailure(status: 400, type: "ITEM_ERROR", code: code,
                                message: "this account requires a form of MFA that is not currently supported")
        case "NO_ACCOUNTS":
            return PlaidFailure(status: 400, type: "ITEM_ERROR", code: code, message: "no valid accounts were found for this item",
                                displayMessage: "No valid accounts were found at the financial institution. Please visit your financial institution's website to confirm accounts are available.")
        case "USER_SETUP_REQUIRED":
            return PlaidFailure(status: 400, type: "ITEM_ERROR", code: code,
                                message: "the user must log in directly to the financial institution and take some action (agree to updated terms and conditions, change their password, etc.) before Plaid can access their accounts")
        case "PRODUCTS_NOT_SUPPORTED":
            return PlaidFailure(status: 400, type: "ITEM_ERROR", code: code,
                                message: "the requested products are not supported by this item's institution")
        case "USER_PERMISSION_REVOKED":
            return PlaidFailure(status: 400, type: "ITEM_ERROR", code: code, message: "the user has revoked access to this item")
        case "INSTITUTION_DOWN", "INSTITUTION_NOT_RESPONDING":
            return PlaidFailure(status: 400, type: "INSTITUTION_ERROR", code: code,
                                message: "this institution is not currently responding to this request. please try again soon",
                                displayMessage: "This financial institution is not currently responding to requests. We apologize for the inconvenience.")
        case "INSTITUTION_NOT_AVAILABLE":
            return PlaidFailure(status: 400, type: "INSTITUTION_ERROR", code: code,
                                message: "this institution is not currently responding to this request. please try again soon")
        case "INSTITUTION_NO_LONGER_SUPPORTED":
            return PlaidFailure(status: 400, type: "INSTITUTION_ERROR", code: code, message: "this institution is no longer supported")
        case "INVALID_ACCESS_TOKEN":
            return PlaidFailure(status: 400, type: "INVALID_INPUT", code: code, message: "could not find matching access token")
        case "INVALID_PUBLIC_TOKEN":
            return PlaidFailure(status: 400, type: "INVALID_INPUT", code: code, message: "could not find matching public token")
        case "INVALID_API_KEYS":
            return PlaidFailure(status: 400, type: "INVALID_INPUT", code: code, message: "invalid client_id or secret provided")
        case "INVALID_INSTITUTION":
            return PlaidFailure(status: 400, type: "INVALID_INPUT", code: code, message: "invalid institution_id provided")
        case "INVALID_ACCOUNT_ID":
            return PlaidFailure(status: 400, type: "INVALID_INPUT", code: code, message: "one or more of the account IDs is invalid")
        case "INVALID_PRODUCT":
            return PlaidFailure(status: 400, type: "INVALID_INPUT", code: code, message: "one or more of the requested products is invalid")
        case "INVALID_WEBHOOK_VERIFICATION_KEY_ID":
            return PlaidFailure(status: 400, type: "INVALID_INPUT", code: code, message: "invalid key_id provided")
        case "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION":
            return PlaidFailure(status: 400, type: "TRANSACTIONS_ERROR", code: code,
                                message: "Underlying transaction data changed since last page was fetched. Please restart pagination from last update.")
        case "INTERNAL_SERVER_ERROR":
            return PlaidFailure(status: 500, type: "API_ERROR", code: code, message: "an unexpected error occurred")
        case "PLANNED_MAINTENANCE":
            return PlaidFailure(status: 503, type: "API_ERROR", code: code,
                                message: "the Plaid API is temporarily unavailable due to planned maintenance. visit https://status.plaid.com/ for more information")
        case "SANDBOX_PRODUCT_NOT_ENABLED":
            return PlaidFailure(status: 400, type: "SANDBOX_ERROR", code: code, message: "The requested product is not enabled for this Item")
        case "SANDBOX_WEBHOOK_INVALID":
            return PlaidFailure(status: 400, type: "SANDBOX_ERROR", code: code,
                                message: "Webhook for this Item is either not set, or invalid. Please update the Item's webhook and try again.")
        case "INVALID_FIELD", "MISSING_FIELDS", "UNKNOWN_FIELDS", "INVALID_BODY", "INVALID_HEADERS":
            return PlaidFailure(status: 400, type: "INVALID_REQUEST", code: code, message: "the request was not valid")
        case "NOT_FOUND":
            return PlaidFailure(status: 404, type: "INVALID_REQUEST", code: code, message: "the requested endpoint does not exist")
        default:
            return PlaidFailure(status: 400, type: "ITEM_ERROR", code: code, message: "the simulated institution answered \(code)")
        }
    }

    /// The error Plaid answers with an HTTP status: 429 names the endpoint's rate limit, 5xx is Plaid's own failure.
    static func status(_ status: Int, endpoint: String) -> PlaidFailure {
        var failure: PlaidFailure
        switch status {
        case 429: failure = code(rateLimitCode(endpoint))
        case 503: failure = code("PLANNED_MAINTENANCE")
        case 500...: failure = code("INTERNAL_SERVER_ERROR")
        case 401, 403: failure = code("INVALID_API_KEYS")
        case 404: failure = code("NOT_FOUND")
        default: failure = code("INVALID_FIELD")
        }
        failure.status = status
        return failure
    }

    /// The rate-limit error code Plaid uses for an endpoint.
    static func rateLimitCode(_ endpoint: String) -> String {
        switch endpoint {
        case "/transactions/sync": "TRANSACTIONS_SYNC_LIMIT"
        case "/accounts/get": "ACCOUNTS_LIMIT"
        case "/accounts/balance/get": "ACCOUNTS_BALANCE_GET_LIMIT"
        case "/item/get": "ITEM_GET_LIMIT"
        case "/investments/holdings/get": "INVESTMENT_HOLDINGS_GET_LIMIT"
        case "/investments/transactions/get": "INVESTMENT_TRANSACTIONS_LIMIT"
        case "/institutions/get_by_id": "INSTITUTIONS_GET_BY_ID_LIMIT"
        default: "RATE_LIMIT"
        }
    }

    static func fault(_ fault: SimulatorFault, endpoint: String) -> PlaidFailure {
        switch fault {
        case .httpStatus(let status): Self.status(status, endpoint: endpoint)
        case .plaidError(let code): Self.code(code)
        }
    }

    // MARK: Invalid requests

    static func missingFields(_ fields: [String]) -> PlaidFailure {
        PlaidFailure(status: 400, type: "INVALID_REQUEST", code: "MISSING_FIELDS",
                     message: "the following required fields are missing: \(fields.joined(separator: ", "))")
    }

    static func invalidField(_ message: String) -> PlaidFailure {
        PlaidFailure(status: 400, type: "INVALID_REQUEST", code: "INVALID_FIELD", message: message)
    }

    static func invalidBody(_ message: String) -> PlaidFailure {
        PlaidFailure(status: 400, type: "INVALID_REQUEST", code: "INVALID_BODY", message: message)
    }

    static func notFound(_ path: String) -> PlaidFailure {
        PlaidFailure(status: 404, type: "INVALID_REQUEST", code: "NOT_FOUND", message: "there is no endpoint \(path); every Plaid endpoint is a POST")
    }

    static let invalidAccessToken = code("INVALID_ACCESS_TOKEN")
    static let itemLoginRequired = code("ITEM_LOGIN_REQUIRED")
}
