import FinanceCore
import Testing

@Suite("Net worth history and balance replay")
struct NetWorthHistoryTests {
    private func amount(_ text: String) -> Amount { try! Amount(parsing: text) }
    private func day(_ text: String) -> LocalDate { LocalDate(iso8601: text)! }

    @Test("A checking account, a card and a loan: assets minus what is owed, carried over quiet days")
    func signs() throws {
        let changes = [
            BalanceChange(date: day("2024-01-01"), currency: .usd, side: .asset, amount: amount("1000")),
            BalanceChange(date: day("2024-01-01"), currency: .usd, side: .liability, amount: amount("200")),   // card
            BalanceChange(date: day("2024-01-01"), currency: .usd, side: .liability, amount: amount("5000")),  // loan
            BalanceChange(date: day("2024-01-03"), currency: .usd, side: .liability, amount: amount("50.25")), // card spend
            BalanceChange(date: day("2024-01-04"), currency: .usd, side: .asset, amount: amount("-300")),      // loan payment
            BalanceChange(date: day("2024-01-04"), currency: .usd, side: .liability, amount: amount("-300")),
        ]
        let points = SeriesInterval.day.points(from: day("2023-12-31"), to: day("2024-01-05"))
        let series = try NetWorthHistory.series(changes: changes, points: points, base: .usd, rates: ExchangeRateTable([]))
        #expect(series.map(\.netWorth) == [
            amount("0"), amount("-4200"), amount("-4200"), amount("-4250.25"), amount("-4250.25"), amount("-4250.25"),
        ])
        #expect(series[4].assets == amount("700"))
        #expect(series[4].liabilities == amount("4950.25"))
        #expect(series.allSatisfy { $0.unconverted.isEmpty })
    }

    @Test("Each day converts at that day's rate; a day without a rate says so")
    func conversion() throws {
        let rates = ExchangeRateTable([
            ExchangeRateQuote(date: day("2024-01-02"), base: .eur, quote: .usd, rate: try ExchangeRate(parsing: "1.1")),
            ExchangeRateQuote(date: day("2024-01-03"), base: .eur, quote: .usd, rate: try ExchangeRate(parsing: "1.2")),
        ])
        let changes = [
            BalanceChange(date: day("2024-01-01"), currency: .usd, side: .asset, amount: amount("10")),
            BalanceChange(date: day("2024-01-01"), currency: .eur, side: .asset, amount: amount("100")),
        ]
        let points = SeriesInterval.day.points(from: day("2024-01-01"), to: day("2024-01-04"))
        let series = try NetWorthHistory.series(changes: changes, points: points, base: .usd, rates: rates)
        #expect(series[0].netWorth == nil)
        #expect(series[0].unconverted == [.eur])
        #expect(series.dropFirst().map(\.netWorth) == [amount("120"), amount("130"), amount("130")])
    }

    @Test("A zero balance needs no rate")
    func zeroNeedsNoRate() throws {
        let changes = [
            BalanceChange(date: day("2024-01-01"), currency: .eur, side: .asset, amount: amount("5")),
            BalanceChange(date: day("2024-01-02"), currency: .eur, side: .asset, amount: amount("-5")),
        ]
        let series = try NetWorthHistory.series(changes: changes, points: [day("2024-01-02")], base: .usd, rates: ExchangeRateTable([]))
        #expect(series == [NetWorthPoint(date: day("2024-01-02"), assets: .zero, liabilities: .zero, netWorth: .zero, unconverted: [])])
    }

    @Test("Replaying any ledger day by day ends at the balance the whole ledger gives", arguments: 0..<40)
    func replayProperty(seed: Int) throws {
        var random = SplitMix(seed: UInt64(seed))
        let type = AccountType.allCases[seed % AccountType.allCases.count]
        let opening = Amount(units: Int64(random.next() % 10_000_000))!
        let start = day("2020-01-01")
        let entries = (0..<Int(random.next() % 200)).map { _ in
            (date: start.adding(days: Int(random.next() % 1000)), amount: Amount(units: Int64(random.next() % 2_000_000) - 1_000_000)!)
        }
        let series = try #require(AccountBalance.daily(opening: opening, entries: entries, type: type))
        #expect(series.map(\.date) == Set(entries.map(\.date)).sorted())
        for (index, point) in series.enumerated() {
            // The balance at the end of each day is the opening plus everything up to that day.
            let upTo = entries.filter { $0.date <= point.date }.map(\.amount)
            let expected = AccountBalance.current(opening: opening, ledgerSum: Amount.sum(upTo)!, type: type)
            #expect(point.balance == expected, "day \(index) of seed \(seed)")
        }
    }
}

/// A small deterministic generator for property tests.
struct SplitMix {
    private var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
