/// Finds charges that recur: the same merchant, a similar amount, at a regular interval. These are
/// the subscriptions and bills a person may have forgotten about.
///
/// The rule, per merchant and currency, over its most recent (up to 12) charges:
/// - at least 3 charges;
/// - the median gap between them names the cadence: weekly (6–8 days), every two weeks (13–15),
///   monthly (27–33), quarterly (88–94) or yearly (358–372), and at least three quarters of the
///   gaps fall in that cadence's range;
/// - every amount lies within 20% of the median amount;
/// - the series is still alive: the last charge is no more than two cadences before `asOf`.
/// The next expected date is the last charge plus one cadence (calendar months for monthly,
/// quarterly and yearly, so a charge on the 31st stays at month ends).
public enum RecurringCharges {
    public struct Charge: Sendable, Hashable {
        public let merchant: String
        public let date: LocalDate
        /// Positive: the size of the charge.
        public let amount: Amount
        public let currency: CurrencyCode

        public init(merchant: String, date: LocalDate, amount: Amount, currency: CurrencyCode) {
            self.merchant = merchant
            self.date = date
            self.amount = amount
            self.currency = currency
        }
    }

    public enum Cadence: String, Sendable, CaseIterable {
        case weekly, biweekly, monthly, quarterly, yearly

        var gapRange: ClosedRange<Int> {
            switch self {
            case .weekly: 6...8
            case .biweekly: 13...15
            case .monthly: 27...33
            case .quarterly: 88...94
            case .yearly: 358...372
            }
        }

        /// Typical length in days, to judge whether a series is still alive.
        var days: Int {
            switch self {
            case .weekly: 7
            case .biweekly: 14
            case .monthly: 30
            case .quarterly: 91
            case .yearly: 365
            }
        }

        public func next(after date: LocalDate) -> LocalDate {
            switch self {
            case .weekly: date.adding(days: 7)
            case .biweekly: date.adding(days: 14)
            case .monthly: date.adding(months: 1)
            case .quarterly: date.adding(months: 3)
            case .yearly: date.adding(months: 12)
            }
        }
    }

    public struct Series: Sendable, Equatable {
        public let merchant: String
        public let currency: CurrencyCode
        public let cadence: Cadence
        /// The median charge.
        public let typicalAmount: Amount
        public let lastAmount: Amount
        public let lastDate: LocalDate
        public let nextExpectedDate: LocalDate
        public let occurrences: Int
    }

    public static let maximumHistory = 12

    public static func find(in charges: [Charge], asOf: LocalDate) -> [Series] {
        struct Key: Hashable { let merchant: String; let currency: CurrencyCode }
        var groups: [Key: [Charge]] = [:]
        for charge in charges where charge.amount > .zero {
            groups[Key(merchant: charge.merchant.lowercased(), currency: charge.currency), default: []].append(charge)
        }
        var found: [Series] = []
        for (_, group) in groups {
            let recent = Array(group.sorted { $0.date < $1.date }.suffix(maximumHistory))
            guard recent.count >= 3 else { continue }
            let gaps = zip(recent.dropFirst(), recent).map { $0.date.daysSinceEpoch - $1.date.daysSinceEpoch }
            let medianGap = gaps.sorted()[gaps.count / 2]
            guard let cadence = Cadence.allCases.first(where: { $0.gapRange.contains(medianGap) }) else { continue }
            let regular = gaps.filter { cadence.gapRange.contains($0) }.count
            guard regular * 4 >= gaps.count * 3 else { continue }
            let amounts = recent.map(\.amount).sorted()
            let median = amounts[amounts.count / 2]
            // Within 20% of the median: |amount − median| · 5 ≤ median, in integer units.
            let similar = amounts.allSatisfy { amount in
                let difference = Int128(amount.units) - Int128(median.units)
                return (difference < 0 ? -difference : difference) * 5 <= Int128(median.units)
            }
            guard similar, let last = recent.last else { continue }
            guard asOf.daysSinceEpoch - last.date.daysSinceEpoch <= 2 * cadence.days else { continue }
            found.append(Series(
                merchant: last.merchant, currency: last.currency, cadence: cadence, typicalAmount: median,
                lastAmount: last.amount, lastDate: last.date, nextExpectedDate: cadence.next(after: last.date),
                occurrences: recent.count
            ))
        }
        return found.sorted { ($0.nextExpectedDate, $0.merchant) < ($1.nextExpectedDate, $1.merchant) }
    }
}
