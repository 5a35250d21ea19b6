/// An ISO 4217 currency code such as `USD`, with the number of minor units the currency uses.
public struct CurrencyCode: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let code: String

    /// Accepts an active ISO 4217 code written in capitals; anything else is `nil`.
    public init?(_ code: some StringProtocol) {
        let code = String(code)
        guard Self.isWellFormed(code), Self.minorUnitsByCode[code] != nil else { return nil }
        self.code = code
    }

    /// Accepts any three-capital-letter code, as the database's check does: for reading stored values,
    /// which stay readable even if a code leaves the ISO list.
    public init?(storedCode code: some StringProtocol) {
        let code = String(code)
        guard Self.isWellFormed(code) else { return nil }
        self.code = code
    }

    /// Three capital ASCII letters: the rule the database enforces on every currency column.
    public static func isWellFormed(_ code: String) -> Bool {
        code.utf8.count == 3 && code.utf8.allSatisfy { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }
    }

    /// Digits after the decimal point in everyday amounts (2 for USD, 0 for JPY, 3 for KWD).
    public var minorUnits: Int { Self.minorUnitsByCode[code] ?? 2 }

    public var description: String { code }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.code < rhs.code }

    public static let usd = CurrencyCode(uncheckedCode: "USD")
    public static let eur = CurrencyCode(uncheckedCode: "EUR")

    private init(uncheckedCode: String) { self.code = uncheckedCode }

    public static var allCodes: [String] { minorUnitsByCode.keys.sorted() }

    // Active ISO 4217 codes and their minor units. Precious metals and testing codes are left out.
    private static let minorUnitsByCode: [String: Int] = {
        var table: [String: Int] = [:]
        let zero = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
        let three = "BHD IQD JOD KWD LYD OMR TND"
        let four = "CLF UYW"
        let two = """
        AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD \
        CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS \
        GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL \
        MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK \
        PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS \
        TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG
        """
        for (codes, units) in [(zero, 0), (two, 2), (three, 3), (four, 4)] {
            for code in codes.split(separator: " ") { table[String(code)] = units }
        }
        return table
    }()
}

extension CurrencyCode: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let code = CurrencyCode(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "is not an ISO 4217 currency code")
        }
        self = code
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(code)
    }
}
