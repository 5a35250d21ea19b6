/// An institution reports its investment transactions over a window (Plaid: 24 months) but its
/// holdings whole, so units bought before the window are sold or held within it. The units that
/// must have been held when the window opened are the least that keep every sale and transfer out
/// covered: the deepest the running quantity of each security falls below zero.
public enum OpeningPositions {
    /// For each security that needs one, the units held before the first event. Splits scale what
    /// is held at their day, so the units before a split count at the split's ratio.
    public static func required(by events: [InvestmentEvent]) -> [String: Quantity] {
        var held: [String: Int128] = [:]
        var deepest: [String: Int128] = [:]
        // How many of today's units one unit held at the start became, per security.
        var growth: [String: (numerator: Int128, denominator: Int128)] = [:]
        for event in InvestmentEvent.ordered(events) {
            guard let security = event.security, let quantity = event.quantity else { continue }
            let units = Int128(quantity.units)
            switch event.activity {
            case .buy, .transferIn:
                held[security, default: 0] += units
            case .sell, .transferOut:
                held[security, default: 0] -= units
                // In units of the start: divide back through the splits since.
                let ratio = growth[security] ?? (1, 1)
                let atStart = (held[security]! * ratio.denominator) / ratio.numerator
                deepest[security] = min(deepest[security] ?? 0, atStart)
            case .split:
                held[security, default: 0] = held[security, default: 0] * units / Int128(Pow10.int64(QuantityFormat.scale))
                let ratio = growth[security] ?? (1, 1)
                growth[security] = (ratio.numerator * units, ratio.denominator * Int128(Pow10.int64(QuantityFormat.scale)))
            case .dividend, .interest, .fee:
                continue
            }
        }
        var opening: [String: Quantity] = [:]
        for (security, low) in deepest where low < 0 {
            if let units = Int64(exactly: -low), let quantity = Quantity(units: units) { opening[security] = quantity }
        }
        return opening
    }
}
