/// Closing prices of securities by day, each in its security's currency. A security's price on a
/// day is its latest close on or before that day.
public struct PriceBook: Sendable {
    private var closes: [String: (days: [Int], prices: [Price])] = [:]
    public let currencies: [String: CurrencyCode]

    public init(currencies: [String: CurrencyCode], closes: [(security: String, date: LocalDate, close: Price)]) {
        self.currencies = currencies
        var grouped: [String: [Int: Price]] = [:]
        for close in closes { grouped[close.security, default: [:]][close.date.daysSinceEpoch] = close.close }
        for (security, byDay) in grouped {
            let days = byDay.keys.sorted()
            self.closes[security] = (days, days.map { byDay[$0]! })
        }
    }

    /// The latest close of `security` on or before `date`, and the day it was.
    public func close(of security: String, onOrBefore date: LocalDate) -> (price: Price, date: LocalDate)? {
        guard let series = closes[security] else { return nil }
        let day = date.daysSinceEpoch
        var low = 0, high = series.days.count
        while low < high {
            let middle = (low + high) / 2
            if series.days[middle] <= day { low = middle + 1 } else { high = middle }
        }
        return low == 0 ? nil : (series.prices[low - 1], LocalDate(daysSinceEpoch: series.days[low - 1]))
    }
}

/// Weights that sum to exactly 1 at 4 decimal places: each share of the total is cut to 4 places,
/// and the ten-thousandths left over go one each to the largest remainders (ties to the first key
/// in order), the largest-remainder method. Only positive values take part.
public enum Allocation {
    public static func weights<Key: Comparable>(_ values: [(key: Key, value: Amount)]) -> [(key: Key, weight: Ratio)] {
        let positive = values.filter { $0.value > .zero }.sorted { $0.key < $1.key }
        let total = positive.reduce(Int128(0)) { $0 + Int128($1.value.units) }
        guard total > 0 else { return [] }
        let scale: Int128 = 10_000
        var shares = positive.map { entry -> (key: Key, units: Int128, remainder: Int128) in
            let scaled = Int128(entry.value.units) * scale
            return (entry.key, scaled / total, scaled % total)
        }
        var left = scale - shares.reduce(0) { $0 + $1.units }
        let order = shares.indices.sorted { shares[$0].remainder != shares[$1].remainder ? shares[$0].remainder > shares[$1].remainder : $0 < $1 }
        for index in order where left > 0 {
            shares[index].units += 1
            left -= 1
        }
        // 4 places of a ratio kept at 8: ten-thousandths × 10^4 units.
        return shares.map { ($0.key, Ratio(units: Int64($0.units) * 10_000)!) }
    }
}
