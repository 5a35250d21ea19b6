/// Finds transfers between a user's own accounts: money that leaves one account and arrives in
/// another is neither spending nor income.
///
/// The rule: an outflow and an inflow form a transfer when they are in different accounts of the
/// same user, in the same currency, of exactly opposite amounts, and booked at most `window` days
/// apart (3 by default, for the days a transfer takes to clear). Each transaction belongs to at most
/// one pair. Outflows are matched in date order (then id order); each takes the unmatched inflow
/// nearest in date, the earlier one on a tie, then the lower id: the same ledger always pairs alike.
/// A transaction categorized TRANSFER_IN or TRANSFER_OUT (`TransactionCategory.isTransfer`) is a
/// transfer whatever it pairs with.
public enum TransferMatcher {
    public struct Entry: Sendable, Hashable {
        public let id: String
        public let accountID: String
        public let date: LocalDate
        public let amount: Amount
        public let currency: CurrencyCode

        public init(id: String, accountID: String, date: LocalDate, amount: Amount, currency: CurrencyCode) {
            self.id = id
            self.accountID = accountID
            self.date = date
            self.amount = amount
            self.currency = currency
        }
    }

    public static let window = 3

    /// The ids of every entry that is half of a transfer pair.
    public static func pairedIDs(_ entries: [Entry], window: Int = TransferMatcher.window) -> Set<String> {
        struct Key: Hashable { let currency: CurrencyCode; let units: Int64 }
        // Inflows by (currency, amount), in date then id order.
        var inflows: [Key: [Entry]] = [:]
        for entry in entries where entry.amount > .zero {
            inflows[Key(currency: entry.currency, units: entry.amount.units), default: []].append(entry)
        }
        for key in inflows.keys { inflows[key]!.sort { ($0.date, $0.id) < ($1.date, $1.id) } }

        var paired: Set<String> = []
        let outflows = entries.filter { $0.amount < .zero }.sorted { ($0.date, $0.id) < ($1.date, $1.id) }
        for outflow in outflows {
            guard let candidates = inflows[Key(currency: outflow.currency, units: outflow.amount.magnitude.units)] else { continue }
            var best: Entry?
            var bestDistance = Int.max
            for inflow in candidates where !paired.contains(inflow.id) && inflow.accountID != outflow.accountID {
                let distance = abs(inflow.date.daysSinceEpoch - outflow.date.daysSinceEpoch)
                // Candidates come in date order, so the first at a given distance is the earlier one.
                if distance <= window, distance < bestDistance {
                    best = inflow
                    bestDistance = distance
                }
            }
            if let best {
                paired.insert(best.id)
                paired.insert(outflow.id)
            }
        }
        return paired
    }
}
