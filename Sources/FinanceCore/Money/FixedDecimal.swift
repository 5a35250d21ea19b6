/// How many digits a kind of exact decimal keeps: the same precision and scale are used
/// in memory, in PostgreSQL (`numeric(precision, scale)`) and in SQLite (an integer of units).
public protocol DecimalFormat: Sendable {
    /// Digits after the decimal point.
    static var scale: Int { get }
    /// Total significant digits; at most 18 so that every value fits an `Int64` of units.
    static var precision: Int { get }
}

/// An exact decimal number stored as an integer count of `10^-scale` units.
///
/// No binary floating point is involved anywhere: values are parsed from and printed to
/// decimal strings, and arithmetic is integer arithmetic that reports overflow instead of trapping.
public struct FixedDecimal<Format: DecimalFormat>: Sendable, Hashable, Comparable {
    /// The value multiplied by `10^scale`.
    public let units: Int64

    public static var scale: Int { Format.scale }
    public static var precision: Int { Format.precision }
    /// The largest number of units a value may have: `10^precision - 1`.
    public static var maxUnits: Int64 { Pow10.int64(Format.precision) - 1 }
    public static var max: Self { Self(uncheckedUnits: maxUnits) }
    public static var min: Self { Self(uncheckedUnits: -maxUnits) }
    public static var zero: Self { Self(uncheckedUnits: 0) }

    /// Creates a value from its units, or `nil` when it is out of range.
    public init?(units: Int64) {
        guard units >= -Self.maxUnits, units <= Self.maxUnits else { return nil }
        self.units = units
    }

    init(uncheckedUnits units: Int64) {
        self.units = units
    }

    /// Creates a whole number, or `nil` when it is out of range.
    public init?(_ integer: Int) {
        let (product, overflow) = Int64(integer).multipliedReportingOverflow(by: Pow10.int64(Format.scale))
        guard !overflow else { return nil }
        self.init(units: product)
    }

    /// Parses a plain decimal string such as `-1234.56` or `0.00000001`.
    ///
    /// Accepted: an optional leading `-` (or `+`), digits, and optionally a point followed by at most
    /// `scale` digits. Rejected: exponents, grouping separators, spaces, more fraction digits than the
    /// scale keeps (nothing is rounded silently) and values beyond the precision.
    public init(parsing text: some StringProtocol) throws(DecimalParseError) {
        self.units = try DecimalText.parseUnits(text, scale: Format.scale, maxUnits: Self.maxUnits)
    }

    public var isNegative: Bool { units < 0 }
    public var isZero: Bool { units == 0 }
    public var magnitude: Self { Self(uncheckedUnits: units < 0 ? -units : units) }
    public var negated: Self { Self(uncheckedUnits: -units) }

    /// The value with the fewest fraction digits that still states it exactly
    /// (`"10"`, `"0.00000001"`), but at least `minimumFractionDigits`.
    public func formatted(minimumFractionDigits: Int = 0) -> String {
        DecimalText.format(units: units, scale: Format.scale, minimumFractionDigits: minimumFractionDigits)
    }

    /// The sum, or `nil` when it leaves the range.
    public func adding(_ other: Self) -> Self? {
        let (sum, overflow) = units.addingReportingOverflow(other.units)
        return overflow ? nil : Self(units: sum)
    }

    /// The difference, or `nil` when it leaves the range.
    public func subtracting(_ other: Self) -> Self? {
        let (difference, overflow) = units.subtractingReportingOverflow(other.units)
        return overflow ? nil : Self(units: difference)
    }

    /// The exact sum of many values, or `nil` when the total leaves the range.
    public static func sum(_ values: some Sequence<Self>) -> Self? {
        var total: Int128 = 0
        for value in values { total += Int128(value.units) }
        guard let units = Int64(exactly: total) else { return nil }
        return Self(units: units)
    }

    /// This value multiplied by another exact decimal, rounded to the scale of `Result`.
    /// `nil` when the product leaves the range of `Result`.
    public func multiplied<Other: DecimalFormat, Result: DecimalFormat>(
        by other: FixedDecimal<Other>,
        rounding: RoundingRule = .toNearestOrEven,
        as _: FixedDecimal<Result>.Type = FixedDecimal<Result>.self
    ) -> FixedDecimal<Result>? {
        let product = Int128(units) * Int128(other.units)
        let productScale = Format.scale + Other.scale
        guard let rescaled = Rescale.units(product, from: productScale, to: Result.scale, rounding: rounding),
              let units = Int64(exactly: rescaled) else { return nil }
        return FixedDecimal<Result>(units: units)
    }

    /// This value divided by another exact decimal, rounded to the scale of `Result`.
    /// `nil` when `other` is zero or the quotient leaves the range of `Result`.
    public func divided<Other: DecimalFormat, Result: DecimalFormat>(
        by other: FixedDecimal<Other>,
        rounding: RoundingRule = .toNearestOrEven,
        as _: FixedDecimal<Result>.Type = FixedDecimal<Result>.self
    ) -> FixedDecimal<Result>? {
        guard other.units != 0 else { return nil }
        // units / 10^s  ÷  o / 10^t  =  (units · 10^(t + r + 1 - s) / o) / 10^(r + 1): one extra digit
        // to round from, and the remainder decides the ties that digit cannot.
        let shift = Other.scale + Result.scale + 1 - Format.scale
        guard shift >= 0 else { return nil }
        let (numerator, overflow) = Int128(units).multipliedReportingOverflow(by: Pow10.int128(shift))
        guard !overflow else { return nil }
        let (quotient, remainder) = numerator.quotientAndRemainder(dividingBy: Int128(other.units))
        // A non-zero remainder means the true value lies beyond the extra digit: nudge it off a tie.
        let sticky: Int128 = remainder == 0 ? 0 : ((numerator < 0) != (other.units < 0) ? -1 : 1)
        guard let rescaled = Rescale.units(quotient * 10 + sticky, from: Result.scale + 2, to: Result.scale, rounding: rounding),
              let result = Int64(exactly: rescaled) else { return nil }
        return FixedDecimal<Result>(units: result)
    }

    /// This value held in another format, rounded when that format keeps fewer fraction digits.
    public func converted<Other: DecimalFormat>(
        to _: FixedDecimal<Other>.Type,
        rounding: RoundingRule = .toNearestOrEven
    ) -> FixedDecimal<Other>? {
        guard let rescaled = Rescale.units(Int128(units), from: Format.scale, to: Other.scale, rounding: rounding),
              let units = Int64(exactly: rescaled) else { return nil }
        return FixedDecimal<Other>(units: units)
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.units < rhs.units }
}

extension FixedDecimal: CustomStringConvertible, LosslessStringConvertible {
    public var description: String { formatted() }

    public init?(_ description: String) {
        guard let value = try? Self(parsing: description) else { return nil }
        self = value
    }
}

/// Encoded as a JSON string so that no JSON library turns it into a binary float on the way.
extension FixedDecimal: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try Self(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// How a value that has more fraction digits than its destination keeps is rounded.
public enum RoundingRule: Sendable {
    /// Half to even ("banker's rounding"): no upward bias over many roundings.
    case toNearestOrEven
    /// Half away from zero, as most receipts do.
    case toNearestOrAwayFromZero
    /// Drops the extra digits.
    case towardZero
}

enum Rescale {
    static func units(_ value: Int128, from: Int, to: Int, rounding: RoundingRule) -> Int128? {
        if from == to { return value }
        if to > from {
            let (result, overflow) = value.multipliedReportingOverflow(by: Pow10.int128(to - from))
            return overflow ? nil : result
        }
        let divisor = Pow10.int128(from - to)
        let (quotient, remainder) = value.quotientAndRemainder(dividingBy: divisor)
        if remainder == 0 { return quotient }
        let twiceRemainder = remainder.magnitude * 2
        let away: Bool
        switch rounding {
        case .towardZero: away = false
        case .toNearestOrAwayFromZero: away = twiceRemainder >= divisor.magnitude
        case .toNearestOrEven:
            away = twiceRemainder > divisor.magnitude
                || (twiceRemainder == divisor.magnitude && quotient % 2 != 0)
        }
        guard away else { return quotient }
        return value < 0 ? quotient - 1 : quotient + 1
    }
}

enum Pow10 {
    static func int64(_ exponent: Int) -> Int64 {
        var result: Int64 = 1
        for _ in 0..<exponent { result *= 10 }
        return result
    }

    static func int128(_ exponent: Int) -> Int128 {
        var result: Int128 = 1
        for _ in 0..<exponent { result *= 10 }
        return result
    }
}

/// Why a string is not an exact decimal of the expected format.
public enum DecimalParseError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case invalidCharacter
    case tooManyFractionDigits(allowed: Int)
    case outOfRange

    public var description: String {
        switch self {
        case .empty: "is empty"
        case .invalidCharacter: "is not a plain decimal number such as -1234.56"
        case .tooManyFractionDigits(let allowed): "has more than \(allowed) digits after the decimal point"
        case .outOfRange: "is too large"
        }
    }
}

enum DecimalText {
    static func parseUnits(_ text: some StringProtocol, scale: Int, maxUnits: Int64) throws(DecimalParseError) -> Int64 {
        var bytes = Substring(text).utf8[...]
        guard !bytes.isEmpty else { throw .empty }
        var negative = false
        if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            bytes = bytes.dropFirst()
        }
        var units: Int64 = 0
        var sawDigit = false
        var fractionDigits = 0
        var inFraction = false
        for byte in bytes {
            if byte == UInt8(ascii: ".") {
                guard !inFraction, sawDigit else { throw .invalidCharacter }
                inFraction = true
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { throw .invalidCharacter }
            sawDigit = true
            if inFraction {
                fractionDigits += 1
                // Trailing zeros beyond the scale are harmless; any other digit would be lost.
                if fractionDigits > scale {
                    guard byte == UInt8(ascii: "0") else { throw .tooManyFractionDigits(allowed: scale) }
                    continue
                }
            }
            let (shifted, o1) = units.multipliedReportingOverflow(by: 10)
            let (added, o2) = shifted.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            guard !o1, !o2, added <= maxUnits else { throw .outOfRange }
            units = added
        }
        guard sawDigit, bytes.last != UInt8(ascii: ".") else { throw .invalidCharacter }
        for _ in Swift.min(fractionDigits, scale)..<scale {
            let (shifted, overflow) = units.multipliedReportingOverflow(by: 10)
            guard !overflow, shifted <= maxUnits else { throw .outOfRange }
            units = shifted
        }
        return negative ? -units : units
    }

    static func format(units: Int64, scale: Int, minimumFractionDigits: Int) -> String {
        let magnitude = units.magnitude
        let divisor = UInt64(Pow10.int64(scale))
        let whole = magnitude / divisor, fraction = magnitude % divisor
        // Fraction digits shown: its significant ones, and at least `minimumFractionDigits`.
        var trailingZeros = scale
        if fraction != 0 {
            trailingZeros = 0
            var rest = fraction
            while rest % 10 == 0 { rest /= 10; trailingZeros += 1 }
        }
        let keep = Swift.max(Swift.min(minimumFractionDigits, scale), scale - trailingZeros)
        let shown = fraction / UInt64(Pow10.int64(scale - keep))
        var wholeDigits = 1
        var rest = whole
        while rest >= 10 { rest /= 10; wholeDigits += 1 }
        // One string written in place: a sign, at most 20 whole digits, a point and at most 18 fraction digits.
        return String(unsafeUninitializedCapacity: 48) { buffer in
            var length = 0
            if units < 0 { buffer[0] = UInt8(ascii: "-"); length = 1 }
            var value = whole
            for position in stride(from: length + wholeDigits - 1, through: length, by: -1) {
                buffer[position] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
            }
            length += wholeDigits
            guard keep > 0 else { return length }
            buffer[length] = UInt8(ascii: ".")
            length += 1
            value = shown
            for position in stride(from: length + keep - 1, through: length, by: -1) {
                buffer[position] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
            }
            return length + keep
        }
    }
}
