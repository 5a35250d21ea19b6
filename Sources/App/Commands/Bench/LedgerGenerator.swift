import FinanceCore
import Foundation

/// The size of a generated ledger.
struct LedgerShape: Sendable {
    let transactions: Int
    let accounts: Int
    let years: Int
}

/// A deterministic, realistic-looking ledger in date order: the same seed gives the same rows on
/// every machine, so figures from two runs describe the same data.
struct LedgerGenerator {
    private var random: SplitMix64
    let shape: LedgerShape
    let firstDay: LocalDate
    private let days: Int
    private var produced = 0

    private static let merchants: [(String, TransactionCategory, ClosedRange<Int64>)] = [
        ("Corner Coffee", .foodAndDrink, 300...900), ("Green Grocer", .foodAndDrink, 1_500...18_000),
        ("Pasta Place", .foodAndDrink, 1_800...9_000), ("City Transit", .transportation, 250...1_000),
        ("Fuel Stop", .transportation, 2_500...9_000), ("Streamflix", .entertainment, 1_599...1_599),
        ("Cinema 8", .entertainment, 1_200...4_000), ("Hardware Hub", .homeImprovement, 500...40_000),
        ("Pharmacy Plus", .medical, 400...6_000), ("Dr. Smile Dental", .medical, 8_000...30_000),
        ("Power & Light", .rentAndUtilities, 6_000...22_000), ("Landlord LLC", .rentAndUtilities, 150_000...150_000),
        ("Mega Mart", .generalMerchandise, 1_000...25_000), ("Book Nook", .generalMerchandise, 800...6_000),
        ("Air Lines", .travel, 15_000...90_000), ("Hotel Stay", .travel, 9_000...60_000),
        ("Barber Shop", .personalCare, 2_000...5_000), ("Bank Fee", .bankFees, 300...3_500),
        ("Phone Co", .generalServices, 4_500...8_000), ("City Taxes", .governmentAndNonProfit, 10_000...90_000),
    ]

    init(shape: LedgerShape, seed: UInt64 = 42) {
        self.random = SplitMix64(seed: seed)
        self.shape = shape
        let last = LocalDate(year: 2024, month: 12, day: 31)!
        self.firstDay = LocalDate(year: 2025 - shape.years, month: 1, day: 1)!
        self.days = last.daysSinceEpoch - firstDay.daysSinceEpoch + 1
    }

    /// The next `count` rows for the given accounts.
    mutating func next(_ count: Int, userID: UUID, accounts: [UUID]) -> [NewTransactionRow] {
        (0..<count).map { _ in
            let account = accounts[Int(random.next() % UInt64(accounts.count))]
            // In date order, as a bank's export of the history comes.
            let date = firstDay.adding(days: produced * days / shape.transactions)
            produced += 1
            let isIncome = random.next() % 20 == 0
            let (merchant, category, cents): (String, TransactionCategory, Int64)
            if isIncome {
                (merchant, category, cents) = ("Acme Payroll", .income, 100_000 + Int64(random.next() % 400_000))
            } else {
                let pick = Self.merchants[Int(random.next() % UInt64(Self.merchants.count))]
                let span = UInt64(pick.2.upperBound - pick.2.lowerBound + 1)
                (merchant, category, cents) = (pick.0, pick.1, -(pick.2.lowerBound + Int64(random.next() % span)))
            }
            return NewTransactionRow(
                userID: userID, accountID: account, date: date,
                amount: Amount(units: cents * 100)!, currency: .usd,
                description: merchant.uppercased() + " #" + String(random.next() % 10_000),
                merchantName: merchant, category: category, pending: false
            )
        }
    }
}

/// A small, fast, well-distributed pseudo-random generator (Steele, Lea and Flood's SplitMix64).
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
