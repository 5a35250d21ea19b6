/// A sum of money in its currency: 14 whole digits and 4 fraction digits, enough for the
/// three-decimal currencies and for sub-cent amounts that banks report.
public enum AmountFormat: DecimalFormat {
    public static let scale = 4
    public static let precision = 18
}

/// A number of shares or coins: fractional shares and crypto to 8 places.
public enum QuantityFormat: DecimalFormat {
    public static let scale = 8
    public static let precision = 18
}

/// The price of one unit of a security, to 8 places (for coins worth fractions of a cent).
public enum PriceFormat: DecimalFormat {
    public static let scale = 8
    public static let precision = 18
}

/// An exchange rate: units of the quote currency for one unit of the base currency.
public enum RateFormat: DecimalFormat {
    public static let scale = 10
    public static let precision = 18
}

public typealias Amount = FixedDecimal<AmountFormat>
public typealias Quantity = FixedDecimal<QuantityFormat>
public typealias Price = FixedDecimal<PriceFormat>
public typealias ExchangeRate = FixedDecimal<RateFormat>

/// A ratio such as a savings rate, a return or a weight: 0.1234 is 12.34%, to 8 places.
public enum RatioFormat: DecimalFormat {
    public static let scale = 8
    public static let precision = 18
}

public typealias Ratio = FixedDecimal<RatioFormat>
