import FinanceCore
import Testing

@Suite("Exact decimals")
struct FixedDecimalTests {
    @Test("Parses plain decimals exactly", arguments: [
        ("0", 0), ("-0", 0), ("1", 10_000), ("-1234.56", -12_345_600), ("+7.5", 75_000),
        ("0.0001", 1), ("12345678901234.5678", 123_456_789_012_345_678), ("99999999999999.9999", 999_999_999_999_999_999),
        ("1.50000000", 15_000), ("000042.10", 421_000),
    ] as [(String, Int64)])
    func parsesAmounts(text: String, units: Int64) throws {
        #expect(try Amount(parsing: text).units == units)
    }

    @Test("Refuses anything that is not a plain decimal of the format", arguments: [
        ("", DecimalParseError.empty), ("-", .invalidCharacter), (".5", .invalidCharacter), ("5.", .invalidCharacter),
        ("1e3", .invalidCharacter), ("1,000.00", .invalidCharacter), (" 12", .invalidCharacter), ("12 ", .invalidCharacter),
        ("1.2.3", .invalidCharacter), ("--1", .invalidCharacter), ("NaN", .invalidCharacter), ("0x10", .invalidCharacter),
        ("1.00001", .tooManyFractionDigits(allowed: 4)), ("100000000000000", .outOfRange),
        ("99999999999999999999999999", .outOfRange), ("١٢", .invalidCharacter),
    ] as [(String, DecimalParseError)])
    func refusesMalformed(text: String, error: DecimalParseError) {
        #expect(throws: error) { try Amount(parsing: text) }
    }

    @Test("Quantities keep 8 fraction digits")
    func quantities() throws {
        #expect(try Quantity(parsing: "0.00000001").units == 1)
        #expect(try Quantity(parsing: "0.00000001").description == "0.00000001")
        #expect(throws: DecimalParseError.tooManyFractionDigits(allowed: 8)) { try Quantity(parsing: "0.000000001") }
        #expect(try Quantity(parsing: "9999999999.99999999").units == Quantity.maxUnits)
    }

    @Test("Prints the shortest exact form, or at least the asked fraction digits")
    func formatting() throws {
        #expect(try Amount(parsing: "10").description == "10")
        #expect(try Amount(parsing: "-1234.5600").description == "-1234.56")
        #expect(try Amount(parsing: "-0.05").description == "-0.05")
        #expect(try Amount(parsing: "3").formatted(minimumFractionDigits: 2) == "3.00")
        #expect(try Amount(parsing: "3.1234").formatted(minimumFractionDigits: 2) == "3.1234")
        #expect(try Amount(parsing: "3.1").formatted(minimumFractionDigits: 9) == "3.1000")
    }

    @Test("Every value survives text and back", arguments: [Int64(0), 1, -1, 9_999, 10_000, -123_456_789, 999_999_999_999_999_999, -999_999_999_999_999_999])
    func roundTrip(units: Int64) throws {
        let value = try #require(Amount(units: units))
        #expect(try Amount(parsing: value.description) == value)
    }

    @Test("Range is enforced on construction")
    func range() {
        #expect(Amount(units: Amount.maxUnits) != nil)
        #expect(Amount(units: Amount.maxUnits + 1) == nil)
        #expect(Amount(units: -Amount.maxUnits - 1) == nil)
        #expect(Amount(5)?.units == 50_000)
        #expect(Amount(100_000_000_000_000) == nil)
    }

    @Test("Arithmetic reports overflow instead of trapping")
    func arithmetic() throws {
        let a = try Amount(parsing: "0.1"), b = try Amount(parsing: "0.2")
        #expect(a.adding(b) == (try Amount(parsing: "0.3")))
        #expect(a.subtracting(b) == (try Amount(parsing: "-0.1")))
        #expect(Amount.max.adding(try Amount(parsing: "0.0001")) == nil)
        #expect(Amount.min.subtracting(try Amount(parsing: "0.0001")) == nil)
        #expect(Amount.sum([a, b, a]) == (try Amount(parsing: "0.4")))
        #expect(Amount.sum([Amount.max, Amount.max]) == nil)
        #expect(Amount.sum([Amount.max, Amount.max, Amount.min]) == Amount.max)
        #expect(a.negated == (try Amount(parsing: "-0.1")))
        #expect(a.negated.magnitude == a)
    }

    @Test("Price × quantity rounds to the amount's scale by the chosen rule")
    func multiplication() throws {
        let price = try Price(parsing: "10.12345678")
        let quantity = try Quantity(parsing: "3")
        let value: Amount? = price.multiplied(by: quantity)
        #expect(value == (try Amount(parsing: "30.3704"))) // 30.37037034

        let half = try Price(parsing: "0.00005")
        let one = try Quantity(parsing: "1")
        let three = try Quantity(parsing: "3")
        #expect(half.multiplied(by: one, rounding: .toNearestOrEven, as: Amount.self) == (try Amount(parsing: "0")))
        #expect(half.multiplied(by: three, rounding: .toNearestOrEven, as: Amount.self) == (try Amount(parsing: "0.0002"))) // 0.00015
        #expect(half.multiplied(by: one, rounding: .toNearestOrAwayFromZero, as: Amount.self) == (try Amount(parsing: "0.0001")))
        #expect(half.multiplied(by: one, rounding: .towardZero, as: Amount.self) == (try Amount(parsing: "0")))
        let negative = try Quantity(parsing: "-1")
        #expect(half.multiplied(by: negative, rounding: .toNearestOrAwayFromZero, as: Amount.self) == (try Amount(parsing: "-0.0001")))
        #expect(Price.max.multiplied(by: Quantity.max, as: Amount.self) == nil)
    }

    @Test("Converting between formats is exact or rounded, never silently wrong")
    func conversion() throws {
        let amount = try Amount(parsing: "-12.3456")
        #expect(amount.converted(to: Quantity.self)?.description == "-12.3456")
        let quantity = try Quantity(parsing: "1.23456789")
        #expect(quantity.converted(to: Amount.self)?.description == "1.2346")
        #expect(quantity.converted(to: Amount.self, rounding: .towardZero)?.description == "1.2345")
    }

    @Test("JSON carries the value as a string")
    func json() throws {
        let encoded = try JSONEncoder().encode(["amount": try Amount(parsing: "-1234.56")])
        #expect(String(decoding: encoded, as: UTF8.self) == #"{"amount":"-1234.56"}"#)
        let decoded = try JSONDecoder().decode([String: Amount].self, from: Data(#"{"a":"12345678901234.5678"}"#.utf8))
        #expect(decoded["a"]?.units == 123_456_789_012_345_678)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([String: Amount].self, from: Data(#"{"a":12.5}"#.utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([String: Amount].self, from: Data(#"{"a":"1e5"}"#.utf8)) }
    }

    /// The text as it was first written: strings built step by step. Kept here as the reference
    /// the in-place writer must match.
    static func referenceText(units: Int64, scale: Int, minimumFractionDigits: Int) -> String {
        var power: UInt64 = 1
        for _ in 0..<scale { power *= 10 }
        let magnitude = units.magnitude
        let whole = magnitude / power
        var fraction = String(magnitude % power)
        fraction = String(repeating: "0", count: scale - fraction.count) + fraction
        let keep = max(min(minimumFractionDigits, scale), fraction.count - fraction.reversed().prefix { $0 == "0" }.count)
        fraction = String(fraction.prefix(keep))
        let sign = units < 0 ? "-" : ""
        return fraction.isEmpty ? "\(sign)\(whole)" : "\(sign)\(whole).\(fraction)"
    }

    @Test("Text is written the same way for every scale, sign, size and minimum of fraction digits")
    func textMatchesTheReference() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var values: [Int64] = [0, 1, -1, 10, -10, 100, 9, 99, 1_000, 10_000, 12_345_600, -12_345_600,
                               999_999_999_999_999_999, -999_999_999_999_999_999]
        for _ in 0..<20_000 {
            // Every magnitude, and values with runs of zeros at the end.
            var power: Int64 = 1
            for _ in 0..<Int(next() % 19) { power *= 10 }
            let value = Int64(bitPattern: next()) % power
            values += [value, value / 100 * 100, value / 10_000 * 10_000]
        }
        for units in values {
            for minimum in [0, 2, 4, 9] {
                let amount = Amount(units: units), quantity = Quantity(units: units)
                #expect(amount != nil && quantity != nil, "\(units)")
                #expect(amount?.formatted(minimumFractionDigits: minimum)
                        == Self.referenceText(units: units, scale: Amount.scale, minimumFractionDigits: minimum), "\(units) \(minimum)")
                #expect(quantity?.formatted(minimumFractionDigits: minimum)
                        == Self.referenceText(units: units, scale: Quantity.scale, minimumFractionDigits: minimum), "\(units) \(minimum)")
            }
        }
    }
}

import Foundation
