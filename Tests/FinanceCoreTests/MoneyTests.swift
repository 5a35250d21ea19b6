import FinanceCore
import Foundation
import Testing

@Suite("Money and currencies")
struct MoneyTests {
    @Test("Currency codes are active ISO 4217 codes in capitals")
    func currencyCodes() {
        #expect(CurrencyCode("USD")?.minorUnits == 2)
        #expect(CurrencyCode("JPY")?.minorUnits == 0)
        #expect(CurrencyCode("KWD")?.minorUnits == 3)
        #expect(CurrencyCode("usd") == nil)
        #expect(CurrencyCode("US") == nil)
        #expect(CurrencyCode("USDX") == nil)
        #expect(CurrencyCode("ABC") == nil)
        #expect(CurrencyCode(storedCode: "ABC")?.code == "ABC")
        #expect(CurrencyCode(storedCode: "abc") == nil)
        #expect(CurrencyCode.allCodes.count > 150)
        #expect(CurrencyCode.allCodes.allSatisfy(CurrencyCode.isWellFormed))
    }

    @Test("Amounts print with their currency's minor units")
    func formatting() throws {
        #expect(try Money(parsing: "-1234.5", currency: .usd).formattedAmount == "-1234.50")
        #expect(try Money(parsing: "1500", currency: #require(CurrencyCode("JPY"))).formattedAmount == "1500")
        #expect(try Money(parsing: "1.5", currency: #require(CurrencyCode("KWD"))).formattedAmount == "1.500")
        #expect(try Money(parsing: "0.125", currency: .usd).formattedAmount == "0.125")
        #expect(try Money(parsing: "-3", currency: .eur).description == "-3.00 EUR")
    }

    @Test("Money of different currencies never mixes")
    func currencyMismatch() throws {
        let dollars = try Money(parsing: "10", currency: .usd)
        let euros = try Money(parsing: "10", currency: .eur)
        #expect(throws: MoneyError.currencyMismatch(.usd, .eur)) { try dollars.adding(euros) }
        #expect(throws: MoneyError.currencyMismatch(.usd, .eur)) { try dollars.subtracting(euros) }
        #expect(try dollars.adding(dollars) == Money(parsing: "20", currency: .usd))
        #expect(try dollars.subtracting(dollars).amount.isZero)
        #expect(throws: MoneyError.outOfRange) { try Money(.max, .usd).adding(dollars) }
        #expect(dollars.negated.amount.isNegative)
    }

    @Test("Currency codes decode strictly from JSON")
    func currencyJSON() throws {
        #expect(try JSONDecoder().decode([CurrencyCode].self, from: Data(#"["EUR"]"#.utf8)) == [.eur])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([CurrencyCode].self, from: Data(#"["eur"]"#.utf8)) }
    }
}
