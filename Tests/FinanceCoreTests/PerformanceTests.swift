@testable import FinanceCore
import Testing

@Suite("Investment performance")
struct PerformanceTests {
    private func day(_ text: String) -> LocalDate { LocalDate(iso8601: text)! }
    private func amount(_ text: String) -> Amount { try! Amount(parsing: text) }
    private func quantity(_ text: String) -> Quantity { try! Quantity(parsing: text) }
    private func price(_ text: String) -> Price { try! Price(parsing: text) }
    private func ratio(_ text: String) -> Ratio { try! Ratio(parsing: text) }

    private func event(_ id: String, _ date: String, _ activity: InvestmentActivity, _ security: String? = "ACME",
                       quantity: String? = nil, price: String? = nil, amount: String? = nil, fees: String = "0",
                       currency: CurrencyCode = .usd) -> InvestmentEvent {
        InvestmentEvent(id: id, date: day(date), activity: activity, security: security, quantity: quantity.map(self.quantity),
                        price: price.map(self.price), amount: amount.map(self.amount), fees: self.amount(fees), currency: currency)
    }

    private func book(_ closes: [(String, String, String)], currencies: [String: CurrencyCode] = ["ACME": .usd]) -> PriceBook {
        PriceBook(currencies: currencies, closes: closes.map { ($0.0, day($0.1), price($0.2)) })
    }

    private func report(_ events: [InvestmentEvent], _ prices: PriceBook, from: String, to: String, method: CostBasisMethod = .fifo,
                        rates: ExchangeRateTable = ExchangeRateTable([])) throws -> PerformanceReport {
        try PortfolioPerformance.report(events: events, method: method, currency: .usd, prices: prices, rates: rates, from: day(from), to: day(to))
    }

    @Test("A buy, a price rise, a purchase with new money mid-period: TWR 21%, and XIRR known by hand")
    func textbook() throws {
        // 1000 in on 1 Jan, worth 1100 by the 2nd; 550 more goes in on the 3rd at 11, and the whole
        // grows another 10% on the 4th: the manager earned 10% twice, whatever the deposits.
        let events = [event("1", "2024-01-01", .buy, quantity: "100", price: "10"),
                      event("2", "2024-01-03", .transferIn, nil, amount: "500"),
                      event("3", "2024-01-03", .buy, quantity: "50", price: "11")]
        let prices = book([("ACME", "2024-01-01", "10"), ("ACME", "2024-01-02", "11"), ("ACME", "2024-01-04", "12.1")])
        let result = try report(events, prices, from: "2024-01-01", to: "2024-01-04")
        #expect(result.timeWeightedReturn == .value(ratio("0.21")))
        #expect(result.endValue == .value(amount("1815")))
        #expect(result.startValue == .value(.zero))
        #expect(result.netFlows == .value(amount("1550")))
        #expect(!result.annualized)
        // Money-weighted: −1000 on the 1st, −550 on the 3rd, +1815 on the 4th, over the 3 days from
        // the 1st to the 4th. Per day g: 1000·g³ + 550·g = 1815.
        let mwr = try #require(result.moneyWeightedReturn.value)
        let g = root { 1000 * $0 * $0 * $0 + 550 * $0 - 1815 }
        #expect(abs(Double(mwr.units) / 1e8 - (g * g * g - 1)) < 2e-8)
        #expect(result.series.map(\.value) == [.value(amount("1000")), .value(amount("1100")), .value(amount("1650")), .value(amount("1815"))])
    }

    struct XIRRCase: Sendable, CustomTestStringConvertible {
        let flows: [(String, String)]
        /// pyxirr 0.10.8's `xirr` of the flows (the same as Excel's XIRR), and that rate compounded
        /// over the days from the first flow to the last on an actual/365 basis.
        let annual: Double
        let period: Double
        var testDescription: String { "\(flows.first!.0) to \(flows.last!.0), \(flows.count) flows" }
    }

    /// Worked out with pyxirr (Rust, independent of this code) on these dated flows.
    static let xirrCases = [
        XIRRCase(flows: [("2025-01-02", "-1000"), ("2025-02-01", "-1100"), ("2025-03-03", "2420")],
                 annual: 2.188680476862, period: 0.209999999997),
        XIRRCase(flows: [("2024-09-23", "-4573.77"), ("2024-09-25", "-1924.73"), ("2024-10-13", "4870.32")],
                 annual: -0.995598928505, period: -0.257186285250),
        XIRRCase(flows: [("2024-05-02", "-2385.02"), ("2024-07-01", "-1399.17"), ("2025-05-03", "3984.93")],
                 annual: 0.056395477640, period: 0.056554274845),
        XIRRCase(flows: [("2024-04-15", "-1597.63"), ("2024-06-12", "269.80"), ("2024-07-05", "-1107.90"), ("2024-11-01", "2970.21")],
                 annual: 0.528925121003, period: 0.261924997041),
        XIRRCase(flows: [("2024-02-10", "-2891.12"), ("2025-02-13", "1185.98"), ("2025-05-05", "-94.93"), ("2025-05-28", "-1177.05"), ("2026-04-20", "4397.85")],
                 annual: 0.207703394818, period: 0.512303597977),
        XIRRCase(flows: [("2024-01-10", "-787.56"), ("2026-03-20", "673.34")],
                 annual: -0.068993879158, period: -0.145030219920),
        XIRRCase(flows: [("2024-09-28", "-843.28"), ("2025-09-28", "1239.62")],
                 annual: 0.469998102647, period: 0.469998102647),
        XIRRCase(flows: [("2024-01-25", "-2396.44"), ("2025-02-28", "3490.26")],
                 annual: 0.409299306896, period: 0.456435379146),
        XIRRCase(flows: [("2024-07-24", "-1833.63"), ("2024-10-24", "-1941.33"), ("2024-11-20", "-1599.45"), ("2025-04-07", "712.20"), ("2025-04-08", "-1567.80"), ("2025-07-24", "9434.27")],
                 annual: 0.734617687894, period: 0.734617687894),
        XIRRCase(flows: [("2024-02-07", "-796.53"), ("2024-11-12", "43.76"), ("2025-06-07", "-1245.96"), ("2026-04-17", "1426.81")],
                 annual: -0.224572204062, period: -0.427337319968),
        XIRRCase(flows: [("2024-05-27", "-4480.31"), ("2024-05-30", "1250.25"), ("2024-06-01", "-2287.31"), ("2024-07-11", "6344.61")],
                 annual: 2.219038097152, period: 0.155038260815),
        XIRRCase(flows: [("2024-01-23", "-2890.95"), ("2024-03-27", "-919.70"), ("2024-04-16", "499.87"), ("2025-05-23", "-329.97"), ("2026-04-02", "4817.38")],
                 annual: 0.145038663020, period: 0.345615184633),
        XIRRCase(flows: [("2024-01-05", "-4192.91"), ("2024-01-09", "-1048.69"), ("2024-01-27", "-2748.16"), ("2024-02-19", "12316.78")],
                 annual: 66.624856046090, period: 0.681239366179),
        XIRRCase(flows: [("2024-06-08", "-4478.14"), ("2024-07-10", "1016.61"), ("2025-08-24", "-2932.33"), ("2026-08-17", "8326.39")],
                 annual: 0.170241573213, period: 0.411383320886),
    ]

    @Test("The money-weighted return is the XIRR of the dated flows, within 1e-8 of pyxirr and Excel", arguments: xirrCases)
    func xirrTable(_ known: XIRRCase) throws {
        let flows = known.flows.map { (day: day($0.0).daysSinceEpoch, amount: amount($0.1)) }
        let days = flows.last!.day - flows.first!.day
        let annual = try #require(PortfolioPerformance.moneyWeighted(flows, days: days, annualized: true).value)
        let period = try #require(PortfolioPerformance.moneyWeighted(flows, days: days, annualized: false).value)
        #expect(abs(Double(annual.description)! - known.annual) < 1e-8, "\(annual) against \(known.annual)")
        #expect(abs(Double(period.description)! - known.period) < 1e-8, "\(period) against \(known.period)")
    }

    @Test("Ten units at 100, ten more at 110 thirty days later, worth 121 each thirty days after: both returns are 21% over the 60 days")
    func sixtyDays() throws {
        let events = [event("1", "2025-01-02", .buy, quantity: "10", price: "100"),
                      event("2", "2025-02-01", .buy, quantity: "10", price: "110")]
        let prices = book([("ACME", "2025-01-02", "100"), ("ACME", "2025-02-01", "110"), ("ACME", "2025-03-03", "121")])
        let result = try report(events, prices, from: "2025-01-02", to: "2025-03-03")
        #expect(!result.annualized)
        #expect(result.timeWeightedReturn == .value(ratio("0.21")))
        #expect(result.moneyWeightedReturn == .value(ratio("0.21")))
        // The same period, a year and more later, is annualized over to − from days.
        let later = try report(events, book([("ACME", "2025-01-02", "100"), ("ACME", "2025-02-01", "110"), ("ACME", "2026-03-03", "121")]),
                               from: "2025-01-02", to: "2026-03-03")
        #expect(later.annualized)
        let twr = try #require(later.timeWeightedReturn.value), mwr = try #require(later.moneyWeightedReturn.value)
        // 1.21 over 425 days is 1.21^(365/425) − 1 a year.
        #expect(abs(Double(twr.description)! - (Double.pow(1.21, 365.0 / 425) - 1)) < 1e-8)
        // pyxirr on -1000 (2025-01-02), -1100 (2025-02-01), +2420 (2026-03-03).
        #expect(abs(Double(mwr.description)! - 0.1348174508761073) < 1e-8)
    }

    @Test("Over two years at 10% a year, both returns are 10% a year, annualized")
    func annualized() throws {
        let events = [event("1", "2022-01-01", .buy, quantity: "10", price: "100"),
                      event("2", "2023-01-01", .buy, quantity: "10", price: "110")]
        let prices = book([("ACME", "2022-01-01", "100"), ("ACME", "2023-01-01", "110"), ("ACME", "2024-01-01", "121")])
        // From 1 Jan 2022 (1000 in) to 1 Jan 2024 (worth 2420): 730 days, two years of 365.
        let result = try report(events, prices, from: "2022-01-01", to: "2024-01-01")
        #expect(result.annualized)
        #expect(result.startValue == .value(.zero))
        #expect(result.timeWeightedReturn == .value(ratio("0.1")))
        #expect(result.moneyWeightedReturn == .value(ratio("0.1")))
        #expect(result.unrealizedGain == .value(amount("320")))
    }

    @Test("Partial sales: FIFO takes the oldest lots, average cost the mean")
    func costBasis() throws {
        let events = [event("1", "2024-01-10", .buy, quantity: "10", price: "100"),
                      event("2", "2024-02-10", .buy, quantity: "10", price: "200", fees: "5"),
                      event("3", "2024-03-10", .sell, quantity: "15", price: "300", fees: "10")]
        let prices = book([("ACME", "2024-01-10", "100"), ("ACME", "2024-03-10", "300")])
        let fifo = try report(events, prices, from: "2024-01-01", to: "2024-03-31")
        // FIFO: 10 at 100 and 5 of the lot that cost 2005 → 1000 + 1002.50; proceeds 4500 − 10.
        #expect(fifo.realized.map(\.cost) == [amount("2002.5")])
        #expect(fifo.realizedGain == amount("2487.5"))
        #expect(fifo.costBasis == amount("1002.5"))
        #expect(fifo.holdings.map(\.quantity) == [quantity("5")])
        #expect(fifo.fees == amount("15"))
        let average = try report(events, prices, from: "2024-01-01", to: "2024-03-31", method: .average)
        // Average: 3005 for 20 units, 15 of them take 2253.75.
        #expect(average.realized.map(\.cost) == [amount("2253.75")])
        #expect(average.realizedGain == amount("2236.25"))
        #expect(average.costBasis == amount("751.25"))
        #expect(fifo.endValue == average.endValue)
    }

    @Test("A 2-for-1 split doubles the units and keeps the cost; the value does not jump")
    func split() throws {
        let events = [event("1", "2024-01-02", .buy, quantity: "10", price: "100"),
                      event("2", "2024-02-01", .split, quantity: "2"),
                      event("3", "2024-02-02", .sell, quantity: "5", price: "60")]
        let prices = book([("ACME", "2024-01-02", "100"), ("ACME", "2024-02-01", "50"), ("ACME", "2024-02-02", "60")])
        let result = try report(events, prices, from: "2024-01-01", to: "2024-02-02")
        #expect(result.realized.map(\.cost) == [amount("250")])
        #expect(result.realizedGain == amount("50"))
        #expect(result.holdings.map(\.quantity) == [quantity("15")])
        #expect(result.costBasis == amount("750"))
        // 1000 → 1000 across the split → 1200: 20%.
        #expect(result.timeWeightedReturn == .value(ratio("0.2")))
    }

    @Test("A reinvested dividend is income and return, not new money")
    func reinvestedDividend() throws {
        let events = [event("1", "2024-01-02", .buy, quantity: "10", price: "100"),
                      event("2", "2024-06-28", .dividend, amount: "50"),
                      event("3", "2024-06-28", .buy, quantity: "0.5", price: "100")]
        let prices = book([("ACME", "2024-01-02", "100")])
        let result = try report(events, prices, from: "2024-01-01", to: "2024-12-31")
        #expect(result.income == amount("50"))
        #expect(result.netFlows == .value(amount("1000")))
        #expect(result.holdings.map(\.quantity) == [quantity("10.5")])
        #expect(result.timeWeightedReturn == .value(ratio("0.05")))
        // 1000 in on 2 January, 1050 out on 31 December: 5% over 364 days, compounded over the 365 of the period.
        let mwr = try #require(result.moneyWeightedReturn.value)
        #expect(abs(Double(mwr.description)! - (Double.pow(1.05, 365.0 / 364) - 1)) < 1e-8)
    }

    @Test("A fee-only period loses the fee")
    func feeOnly() throws {
        let events = [event("1", "2023-12-01", .buy, quantity: "10", price: "100"),
                      event("2", "2024-03-01", .fee, nil, amount: "10")]
        let prices = book([("ACME", "2023-12-01", "100")])
        let result = try report(events, prices, from: "2024-01-01", to: "2024-06-30")
        #expect(result.timeWeightedReturn == .value(ratio("-0.01")))
        #expect(result.fees == amount("10"))
        #expect(result.income == .zero)
        #expect(result.realizedGain == .zero)
    }

    @Test("A EUR holding in a USD portfolio is valued at each day's rate")
    func multiCurrency() throws {
        let events = [event("1", "2024-01-02", .buy, "SAP", quantity: "10", price: "100", currency: .eur)]
        let prices = book([("SAP", "2024-01-02", "100"), ("SAP", "2024-01-04", "110")], currencies: ["SAP": .eur])
        let rates = ExchangeRateTable([
            ExchangeRateQuote(date: day("2024-01-02"), base: .eur, quote: .usd, rate: try ExchangeRate(parsing: "1.1")),
            ExchangeRateQuote(date: day("2024-01-03"), base: .eur, quote: .usd, rate: try ExchangeRate(parsing: "1.2")),
        ])
        let result = try report(events, prices, from: "2024-01-02", to: "2024-01-04", rates: rates)
        #expect(result.series.map(\.value) == [.value(amount("1100")), .value(amount("1200")), .value(amount("1320"))])
        #expect(result.costBasis == amount("1100"))
        #expect(result.unrealizedGain == .value(amount("220")))
        #expect(result.timeWeightedReturn == .value(ratio("0.2")))
    }

    @Test("What cannot be computed says why, and is never 0")
    func notComputable() throws {
        // A held security with no price on a needed day.
        let unpriced = try report([event("1", "2024-01-02", .buy, "NEW", quantity: "1", price: "10")],
                                  book([], currencies: ["NEW": .usd]), from: "2024-01-01", to: "2024-01-31")
        #expect(unpriced.endValue.reason == "no price for NEW on or before 2024-01-31")
        #expect(unpriced.timeWeightedReturn.reason == "no price for NEW on or before 2024-01-02")
        #expect(unpriced.timeWeightedReturn.value == nil)
        #expect(unpriced.moneyWeightedReturn.value == nil)
        // Nothing held, nothing moved.
        let empty = try report([], book([]), from: "2024-01-01", to: "2024-01-31")
        #expect(empty.timeWeightedReturn == .unavailable("nothing was invested in the period"))
        #expect(empty.moneyWeightedReturn == .unavailable("the cash flows never change sign"))
        // Value out of nothing: a dividend on nothing held.
        let fromNothing = try report([event("1", "2024-01-05", .dividend, nil, amount: "5")], book([]), from: "2024-01-01", to: "2024-01-31")
        #expect(fromNothing.timeWeightedReturn.reason == "the value on 2024-01-05 came from a zero starting value")
        // Everything lost: money went in and nothing came back.
        let lost = try report([event("1", "2024-01-02", .buy, quantity: "1", price: "10")],
                              book([("ACME", "2024-01-02", "10"), ("ACME", "2024-01-03", "0")]), from: "2024-01-01", to: "2024-01-31")
        #expect(lost.moneyWeightedReturn == .unavailable("the cash flows never change sign"))
        #expect(lost.timeWeightedReturn == .value(ratio("-1")))
    }

    @Test("Selling more than is held is refused, naming the event")
    func oversell() {
        let events = [event("1", "2024-01-02", .buy, quantity: "1", price: "10"), event("2", "2024-01-03", .sell, quantity: "1.5", price: "10")]
        #expect(throws: InvestmentError.oversold(eventID: "2", security: "ACME", held: quantity("1"), requested: quantity("1.5"))) {
            try report(events, book([("ACME", "2024-01-02", "10")]), from: "2024-01-01", to: "2024-01-31")
        }
        #expect(throws: InvestmentError.overdrawn(eventID: "1", cash: .zero, requested: amount("5"))) {
            try report([event("1", "2024-01-02", .transferOut, nil, amount: "5")], book([]), from: "2024-01-01", to: "2024-01-31")
        }
    }

    @Test("Weights sum to exactly 1 at four places, the leftovers to the largest remainders")
    func allocation() {
        let thirds = Allocation.weights([("a", amount("1")), ("b", amount("1")), ("c", amount("1"))])
        #expect(thirds.map(\.weight) == [ratio("0.3334"), ratio("0.3333"), ratio("0.3333")])
        let mixed = Allocation.weights([("x", amount("2")), ("y", amount("1")), ("z", .zero)])
        #expect(mixed.map(\.key) == ["x", "y"])
        #expect(mixed.map(\.weight) == [ratio("0.6667"), ratio("0.3333")])
        #expect(Allocation.weights([("x", Amount.zero)]).isEmpty)
        for count in 1...13 {
            let weights = Allocation.weights((0..<count).map { (String($0), Amount(units: Int64($0 * 7 + 3))!) })
            #expect(weights.reduce(Int64(0)) { $0 + $1.weight.units } == 100_000_000)
        }
    }

    /// The root in (0.5, 2) of an increasing function, by bisection.
    private func root(_ f: (Double) -> Double) -> Double {
        var low = 0.5, high = 2.0
        for _ in 0..<200 {
            let middle = (low + high) / 2
            if f(middle) < 0 { low = middle } else { high = middle }
        }
        return (low + high) / 2
    }
}

@Suite("Same-day order and settlement of investment transactions")
struct SameDayTests {
    private func day(_ text: String) -> LocalDate { LocalDate(iso8601: text)! }
    private func amount(_ text: String) -> Amount { try! Amount(parsing: text) }

    private func event(_ id: String, _ activity: InvestmentActivity, _ security: String, quantity: String, price: String) -> InvestmentEvent {
        InvestmentEvent(id: id, date: day("2024-05-02"), activity: activity, security: security, quantity: try! Quantity(parsing: quantity),
                        price: try! Price(parsing: price), currency: .usd)
    }

    @Test("A day's sale funds its purchase whatever order they were entered in; a day trade is not an oversell")
    func settlement() throws {
        let start = InvestmentEvent(id: "0", date: day("2024-05-01"), activity: .buy, security: "A", quantity: try Quantity(parsing: "10"),
                                    price: try Price(parsing: "100"), currency: .usd)
        // The purchase of B was entered before the sale of A that pays for it.
        var ledger = PortfolioLedger(currency: .usd, method: .fifo)
        _ = try ledger.applyDay([start], rates: ExchangeRateTable([]))
        let flows = try ledger.applyDay([event("2", .buy, "B", quantity: "5", price: "100"), event("3", .sell, "A", quantity: "10", price: "110")],
                                        rates: ExchangeRateTable([]))
        #expect(flows.isEmpty)
        #expect(ledger.cash == amount("600"))
        // A purchase and sale of the same security on one day, the sale entered first.
        var trader = PortfolioLedger(currency: .usd, method: .fifo)
        let trade = try trader.applyDay([event("9", .sell, "C", quantity: "1", price: "12"), event("8", .buy, "C", quantity: "1", price: "10")],
                                        rates: ExchangeRateTable([]))
        #expect(trade.isEmpty)
        #expect(trader.cash == amount("2"))
        #expect(trader.realized.map(\.gain) == [amount("2")])
    }

    @Test("Fees beyond a sale's worth are paid like a charge, and a lot too large to multiply still sells in part")
    func largeAndNegative() throws {
        var ledger = PortfolioLedger(currency: .usd, method: .fifo)
        let buy = InvestmentEvent(id: "1", date: day("2024-01-02"), activity: .buy, security: "T", quantity: try Quantity(parsing: "5000000000"),
                                  amount: amount("50000"), currency: .usd)
        _ = try ledger.applyDay([buy], rates: ExchangeRateTable([]))
        let sell = InvestmentEvent(id: "2", date: day("2024-01-03"), activity: .sell, security: "T", quantity: try Quantity(parsing: "2500000000"),
                                   amount: amount("1"), fees: amount("5"), currency: .usd)
        let flows = try ledger.applyDay([sell], rates: ExchangeRateTable([]))
        #expect(ledger.realized.map(\.cost) == [amount("25000")])
        #expect(ledger.cash == .zero)
        #expect(flows.map(\.kind) == [.cash(amount("4"))])
        #expect(flows.map(\.incoming) == [true])
    }
}
