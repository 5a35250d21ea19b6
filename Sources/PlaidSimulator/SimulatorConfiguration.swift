import Foundation

/// How a simulator behaves: the credentials it accepts, how much history it invents, the day it calls
/// today, and the seed that makes every id and amount repeatable.
public struct SimulatorConfiguration: Sendable {
    public var clientID: String
    public var secret: String
    /// Posted transactions per item over the two years up to `today`, spread over its depository and credit accounts.
    public var transactionsPerItem: Int
    /// `YYYY-MM-DD`; nil is today in UTC. Every generated date is relative to it.
    public var today: String?
    /// The same seed and the same calls give the same ids, amounts and dates.
    public var seed: UInt64

    public init(clientID: String = "sim-client-id", secret: String = "sim-secret", transactionsPerItem: Int = 1_500,
                today: String? = nil, seed: UInt64 = 1) {
        self.clientID = clientID
        self.secret = secret
        self.transactionsPerItem = transactionsPerItem
        self.today = today
        self.seed = seed
    }
}

/// A failure the simulator answers instead of doing an endpoint's work.
public enum SimulatorFault: Sendable, Equatable {
    /// 500: API_ERROR/INTERNAL_SERVER_ERROR; 429: RATE_LIMIT_EXCEEDED with the endpoint's limit code
    /// (`TRANSACTIONS_SYNC_LIMIT`); any other status: the Plaid error body that goes with it.
    case httpStatus(Int)
    /// A Plaid error code (`ITEM_LOGIN_REQUIRED`, `PRODUCT_NOT_READY`, …) with its error type, HTTP status and message.
    case plaidError(code: String)
}

/// What one `advance` did to an item's transactions, as `/transactions/sync` will report it.
public struct SimulatorActivity: Sendable, Equatable {
    public var added: Int
    public var modified: Int
    public var removed: Int

    public init(added: Int = 0, modified: Int = 0, removed: Int = 0) {
        self.added = added
        self.modified = modified
        self.removed = removed
    }
}

/// Why a simulator cannot start: a configuration it cannot work with.
struct SimulatorConfigurationError: Error, CustomStringConvertible {
    let description: String
}
