/// An amount of money with its currency. Amounts of different currencies never mix:
/// arithmetic across currencies is refused rather than guessed.
public struct Money: Sendable, Hashable, CustomStringConvertible {
    public let amount: Amount
    public let currency: CurrencyCode

    public init(_ amount: Amount, _ currency: CurrencyCode) {
        self.amount = amount
        self.currency = currency
    }

    /// Parses `amount` as an exact decimal in `currency`.
    public init(parsing amount: some StringProtocol, currency: CurrencyCode) throws(DecimalParseError) {
        self.init(try Amount(parsing: amount), currency)
    }

    public static func zero(_ currency: CurrencyCode) -> Money { Money(.zero, currency) }

    /// The amount as API clients see it: at least the currency's minor units (`"-1234.50"` in USD),
    /// more only when the value has them.
    public var formattedAmount: String {
        amount.formatted(minimumFractionDigits: currency.minorUnits)
    }

    public var description: String { "\(formattedAmount) \(currency)" }

    public func adding(_ other: Money) throws(MoneyError) -> Money {
        guard currency == other.currency else { throw .currencyMismatch(currency, other.currency) }
        guard let sum = amount.adding(other.amount) else { throw .outOfRange }
        return Money(sum, currency)
    }

    public func subtracting(_ other: Money) throws(MoneyError) -> Money {
        guard currency == other.currency else { throw .currencyMismatch(currency, other.currency) }
        guard let difference = amount.subtracting(other.amount) else { throw .outOfRange }
        return Money(difference, currency)
    }

    public var negated: Money { Money(amount.negated, currency) }
}

public enum MoneyError: Error, Equatable, Sendable {
    case currencyMismatch(CurrencyCode, CurrencyCode)
    case outOfRange
}
