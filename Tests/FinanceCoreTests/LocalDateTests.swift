import FinanceCore
import Foundation
import Testing

@Suite("Calendar days")
struct LocalDateTests {
    @Test("Parses valid ISO days", arguments: ["2024-02-29", "2000-02-29", "1970-01-01", "9999-12-31", "0001-01-01", "2023-12-31"])
    func valid(text: String) throws {
        let date = try #require(LocalDate(iso8601: text))
        #expect(date.description == text)
    }

    @Test("Refuses impossible or malformed days", arguments: [
        "2024-02-30", "2023-02-29", "1900-02-29", "2024-04-31", "2024-13-01", "2024-00-10", "2024-01-00",
        "2024-1-01", "24-01-01", "2024/01/01", "2024-01-01T00:00:00", "", "abcd-ef-gh", "0000-01-01",
    ])
    func invalid(text: String) {
        #expect(LocalDate(iso8601: text) == nil)
    }

    @Test("Day numbers match the calendar over four centuries")
    func epochRoundTrip() throws {
        #expect(LocalDate(iso8601: "1970-01-01")?.daysSinceEpoch == 0)
        #expect(LocalDate(iso8601: "2000-01-01")?.daysSinceEpoch == 10_957)
        #expect(LocalDate(iso8601: "1969-12-31")?.daysSinceEpoch == -1)
        var previous = try #require(LocalDate(iso8601: "1899-12-31"))
        for day in previous.daysSinceEpoch + 1 ... LocalDate(iso8601: "2300-01-01")!.daysSinceEpoch {
            let date = LocalDate(daysSinceEpoch: day)
            #expect(date.daysSinceEpoch == day)
            #expect(date > previous)
            #expect(LocalDate(year: date.year, month: date.month, day: date.day) == date)
            // Each day follows the previous one in the calendar.
            let next = previous.day < LocalDate.daysIn(month: previous.month, year: previous.year)
                ? LocalDate(year: previous.year, month: previous.month, day: previous.day + 1)
                : previous.month < 12 ? LocalDate(year: previous.year, month: previous.month + 1, day: 1)
                : LocalDate(year: previous.year + 1, month: 1, day: 1)
            #expect(next == date)
            previous = date
        }
    }

    @Test("Adding days crosses months and leap days")
    func adding() throws {
        let date = try #require(LocalDate(iso8601: "2024-02-28"))
        #expect(date.adding(days: 1).description == "2024-02-29")
        #expect(date.adding(days: 2).description == "2024-03-01")
        #expect(date.adding(days: -59).description == "2023-12-31")
    }

    @Test("JSON carries the day as an ISO string")
    func json() throws {
        let decoded = try JSONDecoder().decode([LocalDate].self, from: Data(#"["2024-02-29"]"#.utf8))
        #expect(decoded.first?.description == "2024-02-29")
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([LocalDate].self, from: Data(#"["2024-02-30"]"#.utf8)) }
    }

    @Test("Days from year 1 to 9999 are written as its zero-padded ISO 8601 text, and reads back as itself")
    func everyDayWritesItsText() {
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        let first = LocalDate(year: 1, month: 1, day: 1)!.daysSinceEpoch, last = LocalDate(year: 9999, month: 12, day: 31)!.daysSinceEpoch
        let dense = LocalDate(year: 1850, month: 1, day: 1)!.daysSinceEpoch...LocalDate(year: 2250, month: 12, day: 31)!.daysSinceEpoch
        var wrong = 0
        // Every day of four centuries around now, and every 97th day of the rest.
        for days in Array(dense) + Array(stride(from: first, through: last, by: 97)) + [first, last] {
            let date = LocalDate(daysSinceEpoch: days)
            let text = date.description
            if text != "\(pad(date.year, 4))-\(pad(date.month, 2))-\(pad(date.day, 2))" || LocalDate(iso8601: text) != date { wrong += 1 }
        }
        #expect(wrong == 0)
        #expect(LocalDate(year: 2024, month: 2, day: 29)?.description == "2024-02-29")
        #expect(LocalDate(year: 7, month: 1, day: 5)?.description == "0007-01-05")
    }
}

@Suite("Domain enums")
struct DomainEnumTests {
    @Test("Liabilities are the accounts that hold money owed")
    func liabilities() {
        let liabilities = Set(AccountType.allCases.filter(\.isLiability))
        #expect(liabilities == [.creditCard, .lineOfCredit, .loan, .mortgage])
    }

    @Test("Transaction categories are Plaid's primaries plus UNCATEGORIZED")
    func categories() {
        #expect(TransactionCategory.allCases.count == 19)
        #expect(TransactionCategory(rawValue: "FOOD_AND_DRINK") == .foodAndDrink)
        #expect(TransactionCategory.allCases.filter(\.isTransfer) == [.transferIn, .transferOut])
    }
}
