import FinanceCore
import Testing

@Suite("Transfers and recurring charges")
struct AnalyticsTests {
    private func amount(_ text: String) -> Amount { try! Amount(parsing: text) }
    private func day(_ text: String) -> LocalDate { LocalDate(iso8601: text)! }

    private func entry(_ id: String, _ account: String, _ date: String, _ value: String, _ currency: CurrencyCode = .usd) -> TransferMatcher.Entry {
        TransferMatcher.Entry(id: id, accountID: account, date: day(date), amount: amount(value), currency: currency)
    }

    @Test("Opposite amounts in two accounts within three days pair; the nearest inflow wins")
    func pairs() {
        let entries = [
            entry("out1", "checking", "2024-03-01", "-500"),
            entry("in-far", "savings", "2024-03-04", "500"),
            entry("in-near", "card", "2024-03-02", "500"),
            entry("same-account", "checking", "2024-03-01", "500"),
            entry("too-late", "savings", "2024-03-09", "-75"),
            entry("late-in", "checking", "2024-03-01", "75"),
            entry("other-currency", "eur", "2024-03-01", "500", .eur),
        ]
        #expect(TransferMatcher.pairedIDs(entries) == ["out1", "in-near"])
    }

    @Test("Each transaction pairs once; equal distances take the earlier inflow, then the lower id")
    func onePairEach() {
        let entries = [
            entry("a-out", "checking", "2024-03-05", "-20"),
            entry("b-out", "checking", "2024-03-05", "-20"),
            entry("in-before", "savings", "2024-03-04", "20"),
            entry("in-after", "savings", "2024-03-06", "20"),
            entry("in-third", "savings", "2024-03-06", "20"),
        ]
        let paired = TransferMatcher.pairedIDs(entries)
        #expect(paired == ["a-out", "b-out", "in-before", "in-after"])
        #expect(TransferMatcher.pairedIDs(entries.reversed()) == paired)
    }

    private func charges(_ merchant: String, _ dates: [String], _ values: [String]) -> [RecurringCharges.Charge] {
        zip(dates, values).map { RecurringCharges.Charge(merchant: merchant, date: day($0), amount: amount($1), currency: .usd) }
    }

    @Test("A monthly subscription is found, with its next date at the month's end")
    func monthly() throws {
        let found = RecurringCharges.find(in: charges("Streamflix", ["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30"],
                                                       ["15.99", "15.99", "17.99", "17.99"]),
                                          asOf: day("2024-05-10"))
        let series = try #require(found.first)
        #expect(found.count == 1)
        #expect(series.cadence == .monthly)
        #expect(series.nextExpectedDate == day("2024-05-30"))
        #expect(series.typicalAmount == amount("17.99"))
        #expect(series.occurrences == 4)
    }

    @Test("Weekly and yearly cadences; irregular gaps, wild amounts, stale and short series are not")
    func cadences() {
        let all = charges("Gym", ["2024-05-13", "2024-05-20", "2024-05-27", "2024-06-03"], ["10", "10", "10", "10"])
            + charges("Domain", ["2021-06-01", "2022-06-01", "2023-06-02", "2024-06-01"], ["12", "12", "12", "13"])
            + charges("Grocer", ["2024-04-01", "2024-04-03", "2024-04-11", "2024-04-30"], ["50", "50", "50", "50"])
            + charges("Mart", ["2024-01-05", "2024-02-05", "2024-03-05", "2024-04-05"], ["10", "100", "35", "60"])
            + charges("Old", ["2023-01-05", "2023-02-05", "2023-03-05"], ["9", "9", "9"])
            + charges("Twice", ["2024-03-05", "2024-04-05"], ["9", "9"])
        let found = RecurringCharges.find(in: all, asOf: day("2024-06-10"))
        // In order of the next expected charge.
        #expect(found.map(\.merchant) == ["Gym", "Domain"])
        #expect(found.map(\.cadence) == [.weekly, .yearly])
        #expect(found.map(\.nextExpectedDate) == [day("2024-06-10"), day("2025-06-01")])
    }
}
