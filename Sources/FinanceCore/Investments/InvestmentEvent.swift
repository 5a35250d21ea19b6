/// What an investment transaction does.
public enum InvestmentActivity: String, Sendable, CaseIterable, Codable {
    /// `quantity` units of `security` at `price`; costs quantity × price + fees.
    case buy
    /// `quantity` units of `security` at `price`; brings quantity × price − fees.
    case sell
    /// Cash paid by `security` (or by the account when there is none): income.
    case dividend
    /// Cash interest: income.
    case interest
    /// A charge in cash that buys nothing: `amount`.
    case fee
    /// Each unit of `security` becomes `quantity` units (2 for a 2-for-1 split, 0.1 for a 1-for-10
    /// reverse split); the cost basis stays whole.
    case split
    /// Money or units arriving from outside: cash `amount`, or `quantity` units of `security` with
    /// `amount` as their cost basis (or quantity × `price` when no amount is given).
    case transferIn = "transfer_in"
    /// Money or units leaving: cash `amount`, or `quantity` units of `security`.
    case transferOut = "transfer_out"

    /// Whether the activity names a security and a quantity of it.
    public var movesUnits: Bool { self == .buy || self == .sell || self == .split }

    /// The order of a day's events, whatever order they were entered in: what arrives before what
    /// leaves, a purchase before a sale of the same day (a day trade), cash taken out last. Cash a
    /// day's purchases borrow from its later sales is settled at the day's end (`PortfolioLedger.settle`).
    var sameDayRank: Int {
        switch self {
        case .transferIn: 0
        case .split: 1
        case .buy: 2
        case .sell: 3
        case .dividend: 4
        case .interest: 5
        case .fee: 6
        case .transferOut: 7
        }
    }
}

/// How the cost of units sold is found.
public enum CostBasisMethod: String, Sendable, CaseIterable, Codable {
    /// The earliest units bought are the first sold, each lot at what it cost.
    case fifo
    /// Every unit held costs the average of what they cost; a sale takes its share of the total.
    case average
}

/// One investment transaction, in the currency it was made in (`currency`: that of `price`,
/// `amount` and `fees`).
public struct InvestmentEvent: Sendable, Hashable {
    public let id: String
    public let date: LocalDate
    public let activity: InvestmentActivity
    public let security: String?
    public let quantity: Quantity?
    public let price: Price?
    public let amount: Amount?
    public let fees: Amount
    public let currency: CurrencyCode

    public init(id: String, date: LocalDate, activity: InvestmentActivity, security: String? = nil, quantity: Quantity? = nil,
                price: Price? = nil, amount: Amount? = nil, fees: Amount = .zero, currency: CurrencyCode) {
        self.id = id
        self.date = date
        self.activity = activity
        self.security = security
        self.quantity = quantity
        self.price = price
        self.amount = amount
        self.fees = fees
        self.currency = currency
    }

    /// Events in the order they are replayed: by day; within a day, money and units in before they
    /// go out (`InvestmentActivity.sameDayRank`); then by id.
    public static func ordered(_ events: [InvestmentEvent]) -> [InvestmentEvent] {
        events.sorted { ($0.date, $0.activity.sameDayRank, $0.id) < ($1.date, $1.activity.sameDayRank, $1.id) }
    }

    /// What is wrong with the event on its own, field by field; empty when it is well formed.
    public var problems: [String: String] {
        var problems: [String: String] = [:]
        if fees.isNegative { problems["fees"] = "must not be negative" }
        if let amount, amount.isNegative { problems["amount"] = "must not be negative; the activity says which way money moves" }
        if let price, price.isNegative { problems["price"] = "must not be negative" }
        if let quantity, quantity.isNegative || quantity.isZero { problems["quantity"] = "must be positive" }
        switch activity {
        case .buy, .sell:
            if security == nil { problems["investment_id"] = "is required for a \(activity.rawValue)" }
            if quantity == nil { problems["quantity"] = "is required for a \(activity.rawValue)" }
            if price == nil && amount == nil { problems["price"] = "or amount is required for a \(activity.rawValue)" }
        case .split:
            if security == nil { problems["investment_id"] = "is required for a split" }
            if quantity == nil { problems["quantity"] = "is required for a split: the new units for each old one" }
        case .dividend, .interest, .fee:
            if amount == nil { problems["amount"] = "is required for a \(activity.rawValue)" }
        case .transferIn, .transferOut:
            if security == nil {
                if amount == nil { problems["amount"] = "is required for a cash transfer" }
            } else if quantity == nil {
                problems["quantity"] = "is required for a transfer of units"
            } else if activity == .transferIn, price == nil, amount == nil {
                problems["price"] = "or amount (the units' cost basis) is required for a transfer in of units"
            }
        }
        return problems
    }
}

/// Why a portfolio's transactions cannot be replayed.
public enum InvestmentError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A sale or transfer of more units than were held that day.
    case oversold(eventID: String, security: String, held: Quantity, requested: Quantity)
    /// More cash leaving than the portfolio held.
    case overdrawn(eventID: String, cash: Amount, requested: Amount)
    /// An event in a currency with no rate into the portfolio's currency on its day.
    case missingRate(eventID: String, from: CurrencyCode, to: CurrencyCode, date: LocalDate)
    case outOfRange(eventID: String)

    public var description: String {
        switch self {
        case .oversold(_, let security, let held, let requested):
            "sells or moves \(requested) units of \(security) when \(held) are held"
        case .overdrawn(_, let cash, let requested):
            "takes out \(requested) when the portfolio holds \(cash) in cash"
        case .missingRate(_, let from, let to, let date):
            "is in \(from) and there is no \(from)/\(to) rate on or before \(date)"
        case .outOfRange:
            "makes a figure too large to record"
        }
    }

    public var eventID: String {
        switch self {
        case .oversold(let id, _, _, _), .overdrawn(let id, _, _), .missingRate(let id, _, _, _), .outOfRange(let id): id
        }
    }
}
