#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A figure that is either known or, with the reason, not computable. A performance figure that
/// cannot be computed is never reported as 0.
public enum Computed<Value: Sendable & Equatable>: Sendable, Equatable {
    case value(Value)
    case unavailable(String)

    public var value: Value? { if case .value(let value) = self { value } else { nil } }
    public var reason: String? { if case .unavailable(let reason) = self { reason } else { nil } }
}

/// A holding's worth on a day.
public struct HoldingValue: Sendable, Equatable {
    public init(security: String, quantity: Quantity, cost: Amount, price: Price?, priceDate: LocalDate?, marketValue: Computed<Amount>) {
        self.security = security
        self.quantity = quantity
        self.cost = cost
        self.price = price
        self.priceDate = priceDate
        self.marketValue = marketValue
    }

    public let security: String
    public let quantity: Quantity
    /// Cost basis in the portfolio's currency.
    public let cost: Amount
    public let price: Price?
    public let priceDate: LocalDate?
    /// In the portfolio's currency; unavailable without a price or an exchange rate.
    public let marketValue: Computed<Amount>
    public var unrealizedGain: Computed<Amount> {
        guard let value = marketValue.value else { return .unavailable(marketValue.reason ?? "") }
        return value.subtracting(cost).map(Computed.value) ?? .unavailable("out of range")
    }
}

/// A portfolio's performance over a period, in the portfolio's currency.
public struct PerformanceReport: Sendable {
    public let from: LocalDate
    public let to: LocalDate
    /// The value at the close of the day before `from`, and at the close of `to`.
    public let startValue: Computed<Amount>
    public let endValue: Computed<Amount>
    public let cash: Amount
    public let holdings: [HoldingValue]
    public let costBasis: Amount
    public let unrealizedGain: Computed<Amount>
    public let realizedGain: Amount
    public let realized: [RealizedGain]
    public let income: Amount
    public let fees: Amount
    /// Money and units brought in less taken out during the period.
    public let netFlows: Computed<Amount>
    /// Over the period; annualized when the period is longer than a year (`annualized`).
    public let timeWeightedReturn: Computed<Ratio>
    public let moneyWeightedReturn: Computed<Ratio>
    public let annualized: Bool
    /// The value at the close of each day of the period.
    public let series: [(date: LocalDate, value: Computed<Amount>)]

    public init(from: LocalDate, to: LocalDate, startValue: Computed<Amount>, endValue: Computed<Amount>, cash: Amount,
                holdings: [HoldingValue], costBasis: Amount, unrealizedGain: Computed<Amount>, realizedGain: Amount,
                realized: [RealizedGain], income: Amount, fees: Amount, netFlows: Computed<Amount>,
                timeWeightedReturn: Computed<Ratio>, moneyWeightedReturn: Computed<Ratio>, annualized: Bool,
                series: [(date: LocalDate, value: Computed<Amount>)]) {
        self.from = from
        self.to = to
        self.startValue = startValue
        self.endValue = endValue
        self.cash = cash
        self.holdings = holdings
        self.costBasis = costBasis
        self.unrealizedGain = unrealizedGain
        self.realizedGain = realizedGain
        self.realized = realized
        self.income = income
        self.fees = fees
        self.netFlows = netFlows
        self.timeWeightedReturn = timeWeightedReturn
        self.moneyWeightedReturn = moneyWeightedReturn
        self.annualized = annualized
        self.series = series
    }
}

/// Performance from a portfolio's transactions, prices and exchange rates.
///
/// Conventions:
/// - The period from `from` to `to` lasts `to − from` days. Every day is valued at its close: each
///   holding at its latest price on or before the day, converted at the day's rate, plus cash. The
///   start value is what was held at the close of the day before `from`.
/// - Time-weighted return chain-links daily returns, r = (V − F) ÷ V₋₁ (or V ÷ F on a day when
///   nothing was held before, whose flows came in at its start), which splits the period into
///   sub-periods at every flow; computed in exact decimals to 15 places.
/// - Money-weighted return is the XIRR of the dated external flows (transfers in and out, and
///   purchases or fees paid from outside the portfolio's cash), as Excel, Google Sheets and pyxirr
///   compute it: the start value in at `from`, each flow on its day, the end value out at `to`,
///   solved for an annual rate on an actual/365 basis by bisection to 1e-13 (the money weighed in
///   integers against discount factors fixed to 12 places).
/// - Both are period returns for periods of a year or less (to the first anniversary of `from`),
///   compounded from the annual rate over `to − from` days for the money-weighted one, and annual
///   rates beyond, annualized over `to − from` days (actual/365). Raising to a fractional power
///   (annualizing, discounting) uses binary floating point on these dimensionless ratios, never on
///   money; the results are rounded to 8 decimal places.
public enum PortfolioPerformance {
    public static func report(
        events: [InvestmentEvent], method: CostBasisMethod, currency: CurrencyCode, prices: PriceBook, rates: ExchangeRateTable,
        from: LocalDate, to: LocalDate
    ) throws(InvestmentError) -> PerformanceReport {
        let ordered = InvestmentEvent.ordered(events)
        var ledger = PortfolioLedger(currency: currency, method: method)
        var next = 0
        /// The events of the day at `next`, which it moves past.
        func eventsOn(_ date: LocalDate) -> [InvestmentEvent] {
            var events: [InvestmentEvent] = []
            while next < ordered.count, ordered[next].date == date {
                events.append(ordered[next])
                next += 1
            }
            return events
        }
        while next < ordered.count, ordered[next].date < from {
            _ = try ledger.applyDay(eventsOn(ordered[next].date), rates: rates)
        }
        let eve = from.adding(days: -1)
        let startValue = value(of: ledger, on: eve, prices: prices, rates: rates)
        var previous = startValue
        var series: [(date: LocalDate, value: Computed<Amount>)] = []
        var chain = Chain()
        var cashFlows: [(day: Int, amount: Amount)] = []
        if let start = startValue.value, !start.isZero { cashFlows.append((from.daysSinceEpoch, start.negated)) }
        var netFlows: Computed<Amount> = .value(.zero)

        var day = from
        while day <= to {
            let flows = try ledger.applyDay(eventsOn(day), rates: rates)
            let dayValue = value(of: ledger, on: day, prices: prices, rates: rates)
            let flow = total(of: flows, on: day, prices: prices, rates: rates, currency: currency)
            series.append((day, dayValue))
            chain.link(previous: previous, flow: flow, value: dayValue, day: day)
            if case .value(let net) = netFlows, let amount = flow.value {
                netFlows = net.adding(amount).map(Computed.value) ?? .unavailable("out of range")
            } else if let reason = flow.reason {
                netFlows = .unavailable(reason)
            }
            if let amount = flow.value, !amount.isZero {
                // Into the portfolio is out of the investor's pocket.
                cashFlows.append((day.daysSinceEpoch, amount.negated))
            }
            previous = dayValue
            day = day.adding(days: 1)
        }

        let endValue = previous
        let days = to.daysSinceEpoch - from.daysSinceEpoch
        // Longer than a year: past the first anniversary of `from` (a leap year is still a year).
        let annualized = to > from.adding(months: 12)
        let twr: Computed<Ratio>
        switch chain.result {
        case .value(let growth): twr = ratio(growth, days: days, annualized: annualized)
        case .unavailable(let reason): twr = .unavailable(reason)
        }
        let mwr: Computed<Ratio>
        if let reason = startValue.reason {
            // Without the money that was in at the start, the flows do not add up to the period.
            mwr = .unavailable(reason)
        } else if let end = endValue.value {
            if !end.isZero { cashFlows.append((to.daysSinceEpoch, end)) }
            mwr = moneyWeighted(cashFlows, days: days, annualized: annualized)
        } else {
            mwr = .unavailable(endValue.reason ?? "the end value is not known")
        }

        let holdings = holdingValues(ledger, on: to, prices: prices, rates: rates)
        let cost = holdings.reduce(Amount.zero) { $0.adding($1.cost) ?? $0 }
        var unrealized: Computed<Amount> = .value(.zero)
        for holding in holdings {
            guard case .value(let sum) = unrealized else { break }
            switch holding.unrealizedGain {
            case .value(let gain): unrealized = sum.adding(gain).map(Computed.value) ?? .unavailable("out of range")
            case .unavailable(let reason): unrealized = .unavailable(reason)
            }
        }
        let inPeriod = { (date: LocalDate) in date >= from && date <= to }
        let realized = ledger.realized.filter { inPeriod($0.date) }
        return PerformanceReport(
            from: from, to: to, startValue: startValue, endValue: endValue, cash: ledger.cash, holdings: holdings, costBasis: cost,
            unrealizedGain: unrealized, realizedGain: Amount.sum(realized.map(\.gain)) ?? .zero, realized: realized,
            income: Amount.sum(ledger.income.filter { inPeriod($0.date) }.map(\.amount)) ?? .zero,
            fees: Amount.sum(ledger.fees.filter { inPeriod($0.date) }.map(\.amount)) ?? .zero,
            netFlows: netFlows, timeWeightedReturn: twr, moneyWeightedReturn: mwr, annualized: annualized, series: series)
    }

    /// The portfolio's holdings and cash at the close of `date`.
    public static func value(of ledger: PortfolioLedger, on date: LocalDate, prices: PriceBook, rates: ExchangeRateTable) -> Computed<Amount> {
        var total = ledger.cash
        for holding in holdingValues(ledger, on: date, prices: prices, rates: rates) {
            guard let value = holding.marketValue.value else { return holding.marketValue }
            guard let sum = total.adding(value) else { return .unavailable("out of range") }
            total = sum
        }
        return .value(total)
    }

    static func holdingValues(_ ledger: PortfolioLedger, on date: LocalDate, prices: PriceBook, rates: ExchangeRateTable) -> [HoldingValue] {
        ledger.holdings.values.sorted { $0.security < $1.security }.map { holding in
            let close = prices.close(of: holding.security, onOrBefore: date)
            return HoldingValue(security: holding.security, quantity: holding.quantity, cost: holding.cost, price: close?.price,
                                priceDate: close?.date,
                                marketValue: worth(holding.quantity, of: holding.security, at: close?.price, on: date, prices: prices,
                                                   rates: rates, currency: ledger.currency))
        }
    }

    /// `quantity` units at `price` (in the security's currency) in the portfolio's currency on `date`.
    public static func worth(_ quantity: Quantity, of security: String, at price: Price?, priceCurrency: CurrencyCode? = nil, on date: LocalDate,
                      prices: PriceBook, rates: ExchangeRateTable, currency: CurrencyCode) -> Computed<Amount> {
        guard let price else { return .unavailable("no price for \(security) on or before \(date)") }
        let from = priceCurrency ?? prices.currencies[security] ?? currency
        guard let local = quantity.multiplied(by: price, as: Amount.self) else { return .unavailable("out of range") }
        guard let converted = rates.convert(local, from: from, to: currency, on: date) else {
            return .unavailable("no \(from)/\(currency) rate on or before \(date)")
        }
        return .value(converted)
    }

    /// The net of a day's flows, in: positive.
    static func total(of flows: [ExternalFlow], on date: LocalDate, prices: PriceBook, rates: ExchangeRateTable,
                      currency: CurrencyCode) -> Computed<Amount> {
        var total = Amount.zero
        for flow in flows {
            let amount: Computed<Amount>
            switch flow.kind {
            case .cash(let cash): amount = .value(cash)
            case .units(let security, let quantity, let price, let priceCurrency):
                if let price {
                    amount = worth(quantity, of: security, at: price, priceCurrency: priceCurrency, on: date, prices: prices, rates: rates, currency: currency)
                } else {
                    amount = worth(quantity, of: security, at: prices.close(of: security, onOrBefore: date)?.price, on: date, prices: prices,
                                   rates: rates, currency: currency)
                }
            }
            guard let value = amount.value else { return amount }
            guard let sum = flow.incoming ? total.adding(value) : total.subtracting(value) else { return .unavailable("out of range") }
            total = sum
        }
        return .value(total)
    }

    /// The chain of daily growth factors, in exact decimals of 15 places.
    struct Chain {
        static let scale: Int128 = 1_000_000_000_000_000
        private(set) var growth: Int128 = Chain.scale
        private(set) var invested = false
        private(set) var failure: String?

        mutating func link(previous: Computed<Amount>, flow: Computed<Amount>, value: Computed<Amount>, day: LocalDate) {
            guard failure == nil else { return }
            guard let before = previous.value, let flowAmount = flow.value, let after = value.value else {
                failure = previous.reason ?? flow.reason ?? value.reason
                return
            }
            let numerator: Int128, denominator: Int128
            if before.isZero {
                // Nothing was held: the day's flows came in at its start.
                (numerator, denominator) = (Int128(after.units), Int128(flowAmount.units))
                if denominator == 0 {
                    if numerator != 0 { failure = "the value on \(day) came from a zero starting value" }
                    return
                }
            } else {
                (numerator, denominator) = (Int128(after.units) - Int128(flowAmount.units), Int128(before.units))
            }
            guard denominator > 0 else {
                failure = "the value before \(day) was zero or negative"
                return
            }
            let (scaled, overflow) = numerator.multipliedReportingOverflow(by: Chain.scale)
            let factor = overflow ? nil : Chain.divide(scaled, by: denominator)
            guard let factor, factor >= 0 else {
                failure = factor == nil ? "a daily return was out of range" : "the value on \(day) fell below zero"
                return
            }
            let (product, productOverflow) = growth.multipliedReportingOverflow(by: factor)
            guard !productOverflow else { failure = "the return was out of range"; return }
            growth = Chain.divide(product, by: Chain.scale)
            invested = true
        }

        var result: Computed<Int128> {
            if let failure { return .unavailable(failure) }
            return invested ? .value(growth) : .unavailable("nothing was invested in the period")
        }

        /// Half-to-even division of integers.
        static func divide(_ value: Int128, by divisor: Int128) -> Int128 {
            let (quotient, remainder) = value.quotientAndRemainder(dividingBy: divisor)
            let twice = remainder.magnitude * 2, whole = divisor.magnitude
            guard twice > whole || (twice == whole && quotient % 2 != 0) else { return quotient }
            return (value < 0) != (divisor < 0) ? quotient - 1 : quotient + 1
        }
    }

    /// Growth (scale 15) as a period return, or an annual rate beyond a year.
    static func ratio(_ growth: Int128, days: Int, annualized: Bool) -> Computed<Ratio> {
        if !annualized {
            // From 15 places to 8, half to even.
            let units = Chain.divide(growth - Chain.scale, by: 10_000_000)
            return Int64(exactly: units).flatMap(Ratio.init(units:)).map(Computed.value) ?? .unavailable("out of range")
        }
        let factor = Double(growth) / Double(Chain.scale)
        return rounded(Double.pow(factor, 365.0 / Double(days)) - 1)
    }

    /// A rate as an exact ratio of 8 places.
    static func rounded(_ rate: Double) -> Computed<Ratio> {
        guard rate.isFinite, abs(rate) < 9e9 else { return .unavailable("out of range") }
        return Ratio(units: Int64((rate * 1e8).rounded(.toNearestOrEven))).map(Computed.value) ?? .unavailable("out of range")
    }

    /// The XIRR of dated flows (days since the epoch): an annual rate, or the period return it
    /// compounds to over `days`.
    static func moneyWeighted(_ flows: [(day: Int, amount: Amount)], days: Int, annualized: Bool) -> Computed<Ratio> {
        guard flows.contains(where: { $0.amount < .zero }), flows.contains(where: { $0.amount > .zero }) else {
            return .unavailable("the cash flows never change sign")
        }
        guard days > 0 else { return .unavailable("the period has no length") }
        // The same root either way: an annual rate r, or the period's growth (1 + r)^(days/365) − 1
        // solved for directly, which stays in range for a short period of large returns.
        let basis = annualized ? 365.0 : Double(days)
        let first = flows.map(\.day).min()!
        let points = flows.map { flow in
            let years = Double(flow.day - first) / basis
            return (years: years, units: Int128(flow.amount.units))
        }
        /// The sign of Σ flow × (1 + rate)^−periods. Only the discount factors, which are plain numbers,
        /// are binary floating point; each is fixed to 12 places and the money multiplied in integers.
        func sign(_ rate: Double) -> Int {
            var total: Int128 = 0
            for point in points {
                let factor = min(Double.pow(1 + rate, -point.years), 1e6)
                let (product, overflow) = point.units.multipliedReportingOverflow(by: Int128((factor * 1e12).rounded()))
                let (sum, sumOverflow) = total.addingReportingOverflow(product)
                if overflow || sumOverflow { return point.units < 0 ? -1 : 1 }
                total = sum
            }
            return total == 0 ? 0 : (total < 0 ? -1 : 1)
        }
        var low = -0.999_999_999, high = 1.0
        while sign(high) * sign(low) > 0, high < 1e9 { high *= 10 }
        guard sign(high) * sign(low) <= 0 else { return .unavailable("no rate makes the cash flows balance") }
        for _ in 0..<300 {
            let middle = (low + high) / 2
            if sign(low) == sign(middle) { low = middle } else { high = middle }
            if high - low < 1e-13 { break }
        }
        return rounded((low + high) / 2)
    }
}

extension Double {
    /// `base` raised to `exponent`, for positive bases (the C library's `pow`).
    static func pow(_ base: Double, _ exponent: Double) -> Double {
        guard base > 0 else { return base == 0 ? 0 : .nan }
        #if canImport(Glibc) || canImport(Darwin)
        return exp(exponent * log(base))
        #endif
    }
}
