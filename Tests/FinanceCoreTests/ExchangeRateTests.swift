import FinanceCore
import Testing

@Suite("Exact division and exchange rates")
struct ExchangeRateTests {
    private func amount(_ text: String) -> Amount { try! Amount(parsing: text) }
    private func rate(_ text: String) -> ExchangeRate { try! ExchangeRate(parsing: text) }
    private func day(_ text: String) -> LocalDate { LocalDate(iso8601: text)! }

    @Test("Division rounds half to even at the result's scale, ties decided exactly", arguments: [
        ("10", "4", "2.5"), ("1", "3", "0.3333"), ("2", "3", "0.6667"), ("-2", "3", "-0.6667"),
        ("0.0001", "2", "0"), ("0.0003", "2", "0.0002"), ("0.0005", "2", "0.0002"), ("-0.0005", "2", "-0.0002"),
        ("100", "1.1", "90.9091"), ("1", "-8", "-0.125"),
    ])
    func division(dividend: String, divisor: String, expected: String) throws {
        let result = amount(dividend).divided(by: amount(divisor), as: Amount.self)
        #expect(result == amount(expected))
    }

    @Test("A quotient just above a tie rounds away from it")
    func stickyRemainder() throws {
        // 0.00050001 / 2 would be a tie at 4 places only if the remainder were ignored.
        let dividend = try Quantity(parsing: "0.00050001")
        #expect(dividend.divided(by: Amount(2)!, as: Amount.self) == amount("0.0003"))
        #expect(dividend.negated.divided(by: Amount(2)!, as: Amount.self) == amount("-0.0003"))
    }

    @Test("Division by zero and out-of-range quotients are nil")
    func divisionFailures() {
        #expect(amount("1").divided(by: Amount.zero, as: Amount.self) == nil)
        #expect(Amount.max.divided(by: amount("0.0001"), as: Amount.self) == nil)
    }

    @Test("A conversion uses the latest rate on or before the day, direct or inverted")
    func latestRate() {
        let table = ExchangeRateTable([
            ExchangeRateQuote(date: day("2024-01-01"), base: .eur, quote: .usd, rate: rate("1.10")),
            ExchangeRateQuote(date: day("2024-01-10"), base: .eur, quote: .usd, rate: rate("1.20")),
            ExchangeRateQuote(date: day("2024-01-20"), base: .usd, quote: .eur, rate: rate("0.8")),
        ])
        #expect(table.convert(amount("100"), from: .eur, to: .usd, on: day("2023-12-31")) == nil)
        #expect(table.convert(amount("100"), from: .eur, to: .usd, on: day("2024-01-01")) == amount("110"))
        #expect(table.convert(amount("100"), from: .eur, to: .usd, on: day("2024-01-09")) == amount("110"))
        #expect(table.convert(amount("100"), from: .eur, to: .usd, on: day("2024-01-10")) == amount("120"))
        // The USD/EUR quote of the 20th is newer than the EUR/USD one of the 10th: divide by it.
        #expect(table.convert(amount("100"), from: .eur, to: .usd, on: day("2024-02-01")) == amount("125"))
        #expect(table.convert(amount("120"), from: .usd, to: .eur, on: day("2024-01-15")) == amount("100"))
        #expect(table.convert(amount("7"), from: CurrencyCode("GBP")!, to: CurrencyCode("GBP")!, on: day("1999-01-01")) == amount("7"))
        #expect(table.convert(amount("7"), from: CurrencyCode("GBP")!, to: .usd, on: day("2024-06-01")) == nil)
        #expect(table.firstDay(from: .usd, to: .eur) == day("2024-01-01"))
    }

    @Test("The last rate given for a day wins; zero and negative rates are ignored")
    func duplicates() {
        let table = ExchangeRateTable([
            ExchangeRateQuote(date: day("2024-03-01"), base: .eur, quote: .usd, rate: rate("1.05")),
            ExchangeRateQuote(date: day("2024-03-01"), base: .eur, quote: .usd, rate: rate("1.07")),
            ExchangeRateQuote(date: day("2024-03-02"), base: .eur, quote: .usd, rate: .zero),
        ])
        #expect(table.convert(amount("10"), from: .eur, to: .usd, on: day("2024-03-05")) == amount("10.7"))
    }

    @Test("Weekly and monthly series end each period, and end at `to`")
    func seriesPoints() {
        #expect(SeriesInterval.day.points(from: day("2024-02-27"), to: day("2024-03-01")).map(\.description)
                == ["2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01"])
        // 2024-03-06 is a Wednesday; that week ends on Sunday the 10th.
        #expect(SeriesInterval.week.points(from: day("2024-03-06"), to: day("2024-03-20")).map(\.description)
                == ["2024-03-10", "2024-03-17", "2024-03-20"])
        #expect(SeriesInterval.month.points(from: day("2024-01-15"), to: day("2024-04-10")).map(\.description)
                == ["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-10"])
        #expect(SeriesInterval.month.points(from: day("2024-05-01"), to: day("2024-04-01")).isEmpty)
        #expect(day("1970-01-01").isoWeekday == 4)
        #expect(day("2024-03-10").isoWeekday == 7)
        #expect(day("2024-01-31").adding(months: 1) == day("2024-02-29"))
        #expect(day("2024-01-31").adding(months: -2) == day("2023-11-30"))
    }
}

@Suite("Exchange rates from CSV")
struct ExchangeRateCSVTests {
    @Test("Reads the named columns in any order, with a BOM and semicolons")
    func reads() throws {
        let text = "\u{FEFF}Rate;Date;Quote;Base;Source\n1.0842;2024-01-02;USD;EUR;ECB\n0.79;2024-01-03;GBP;USD;ECB\n"
        let quotes = try ExchangeRateCSV.parse(Array(text.utf8))
        #expect(quotes == [
            ExchangeRateQuote(date: LocalDate(iso8601: "2024-01-02")!, base: .eur, quote: .usd, rate: try ExchangeRate(parsing: "1.0842")),
            ExchangeRateQuote(date: LocalDate(iso8601: "2024-01-03")!, base: .usd, quote: CurrencyCode("GBP")!, rate: try ExchangeRate(parsing: "0.79")),
        ])
    }

    @Test("Every bad line is named, and a bad file gives nothing")
    func problems() {
        let text = "date,base,quote,rate\n2024-02-30,EUR,USD,1.1\n2024-03-01,EUR,EUR,1\n2024-03-02,EUR,XYZ,0\n2024-03-03,EUR,USD,1,5\n"
        #expect {
            try ExchangeRateCSV.parse(Array(text.utf8))
        } throws: { error in
            let problems = (error as? ImportFailure)?.problems ?? []
            return problems.map(\.line) == [2, 3, 4, 4] && problems.map(\.field) == ["date", "quote", "quote", "rate"]
        }
        #expect(throws: ImportFailure.self) { try ExchangeRateCSV.parse(Array("date,base,rate\n".utf8)) }
        #expect(throws: ImportFailure.self) { try ExchangeRateCSV.parse([]) }
    }
}
