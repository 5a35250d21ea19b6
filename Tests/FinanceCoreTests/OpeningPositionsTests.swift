import FinanceCore
import Testing

@Suite("Opening positions before an institution's history")
struct OpeningPositionsTests {
    private func event(_ id: String, _ date: String, _ activity: InvestmentActivity, _ security: String = "ACME",
                       quantity: String) -> InvestmentEvent {
        InvestmentEvent(id: id, date: LocalDate(iso8601: date)!, activity: activity, security: security,
                        quantity: try! Quantity(parsing: quantity), price: try! Price(parsing: "10"), currency: .usd)
    }

    @Test("A history that never sells more than it bought needs nothing before it")
    func covered() {
        let events = [event("1", "2024-01-01", .buy, quantity: "10"), event("2", "2024-02-01", .sell, quantity: "10")]
        #expect(OpeningPositions.required(by: events).isEmpty)
    }

    @Test("Sales beyond what the window bought: the deepest shortfall, per security, is the opening position")
    func shortfall() {
        let events = [
            event("1", "2024-01-01", .sell, quantity: "5"),            // −5
            event("2", "2024-01-05", .buy, quantity: "2"),             // −3
            event("3", "2024-02-01", .transferOut, quantity: "4.5"),   // −7.5, the deepest
            event("4", "2024-03-01", .buy, quantity: "20"),
            event("5", "2024-01-10", .sell, "BOND", quantity: "1"),
            event("6", "2024-01-11", .buy, "BOND", quantity: "3"),
        ]
        let opening = OpeningPositions.required(by: events)
        #expect(opening == ["ACME": try! Quantity(parsing: "7.5"), "BOND": try! Quantity(parsing: "1")])
    }

    @Test("A sale after a 2-for-1 split counts in the units held before it")
    func afterSplit() {
        let events = [event("1", "2024-01-01", .split, quantity: "2"), event("2", "2024-02-01", .sell, quantity: "10")]
        // 10 units after the split were 5 before it.
        #expect(OpeningPositions.required(by: events) == ["ACME": try! Quantity(parsing: "5")])
    }

    @Test("The same day buys before it sells, whatever the order given")
    func sameDay() {
        let events = [event("2", "2024-01-01", .sell, quantity: "3"), event("1", "2024-01-01", .buy, quantity: "3")]
        #expect(OpeningPositions.required(by: events).isEmpty)
    }
}
