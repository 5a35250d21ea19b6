/// One published rate: on `date`, one unit of `base` buys `rate` units of `quote`.
public struct ExchangeRateQuote: Sendable, Hashable {
    public let date: LocalDate
    public let base: CurrencyCode
    public let quote: CurrencyCode
    public let rate: ExchangeRate

    public init(date: LocalDate, base: CurrencyCode, quote: CurrencyCode, rate: ExchangeRate) {
        self.date = date
        self.base = base
        self.quote = quote
        self.rate = rate
    }
}

/// Converts amounts between currencies at the rate of a given day: the latest rate published on or
/// before it. A rate is used directly (EUR→USD from an EUR/USD quote) or inverted (from a USD/EUR
/// quote), whichever was published later; there is no conversion through a third currency. Where no
/// rate exists on or before the day, the answer is `nil`, never a guess of 1 or 0.
public struct ExchangeRateTable: Sendable {
    private struct Pair: Hashable { let base: CurrencyCode; let quote: CurrencyCode }
    /// Per pair, the days (ascending) and their rates.
    private var series: [Pair: (days: [Int], rates: [ExchangeRate])] = [:]

    public init(_ quotes: some Sequence<ExchangeRateQuote>) {
        var grouped: [Pair: [(Int, ExchangeRate)]] = [:]
        for quote in quotes where quote.base != quote.quote && !quote.rate.isZero && !quote.rate.isNegative {
            grouped[Pair(base: quote.base, quote: quote.quote), default: []].append((quote.date.daysSinceEpoch, quote.rate))
        }
        for (pair, entries) in grouped {
            // One rate a day: the last given wins, as an upsert would keep it.
            var byDay: [Int: ExchangeRate] = [:]
            for (day, rate) in entries { byDay[day] = rate }
            let days = byDay.keys.sorted()
            series[pair] = (days, days.map { byDay[$0]! })
        }
    }

    /// How `from` converts into `to` on `date`.
    public enum Conversion: Sendable, Equatable {
        case identity
        case multiply(ExchangeRate, on: LocalDate)
        case divide(ExchangeRate, on: LocalDate)
    }

    public func conversion(from: CurrencyCode, to: CurrencyCode, on date: LocalDate) -> Conversion? {
        if from == to { return .identity }
        let direct = latest(Pair(base: from, quote: to), onOrBefore: date.daysSinceEpoch)
        let inverse = latest(Pair(base: to, quote: from), onOrBefore: date.daysSinceEpoch)
        switch (direct, inverse) {
        case (nil, nil): return nil
        case (let d?, nil): return .multiply(d.rate, on: LocalDate(daysSinceEpoch: d.day))
        case (nil, let i?): return .divide(i.rate, on: LocalDate(daysSinceEpoch: i.day))
        case (let d?, let i?):
            return i.day > d.day ? .divide(i.rate, on: LocalDate(daysSinceEpoch: i.day)) : .multiply(d.rate, on: LocalDate(daysSinceEpoch: d.day))
        }
    }

    /// `amount` of `from` in `to` on `date`, rounded half-to-even to the amount's 4 decimal places;
    /// `nil` when no rate is known on or before that day (or the result is out of range).
    public func convert(_ amount: Amount, from: CurrencyCode, to: CurrencyCode, on date: LocalDate) -> Amount? {
        guard let conversion = conversion(from: from, to: to, on: date) else { return nil }
        return Self.apply(conversion, to: amount)
    }

    public static func apply(_ conversion: Conversion, to amount: Amount) -> Amount? {
        switch conversion {
        case .identity: amount
        case .multiply(let rate, _): amount.multiplied(by: rate, as: Amount.self)
        case .divide(let rate, _): amount.divided(by: rate, as: Amount.self)
        }
    }

    /// The first day from which `from` converts into `to`, if ever.
    public func firstDay(from: CurrencyCode, to: CurrencyCode) -> LocalDate? {
        if from == to { return nil }
        let days = [series[Pair(base: from, quote: to)]?.days.first, series[Pair(base: to, quote: from)]?.days.first].compactMap { $0 }
        return days.min().map(LocalDate.init(daysSinceEpoch:))
    }

    private func latest(_ pair: Pair, onOrBefore day: Int) -> (day: Int, rate: ExchangeRate)? {
        guard let entry = series[pair] else { return nil }
        // The last index whose day is <= `day`.
        var low = 0, high = entry.days.count
        while low < high {
            let middle = (low + high) / 2
            if entry.days[middle] <= day { low = middle + 1 } else { high = middle }
        }
        return low == 0 ? nil : (entry.days[low - 1], entry.rates[low - 1])
    }
}
