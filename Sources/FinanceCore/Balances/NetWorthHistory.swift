/// Which side of net worth a balance counts on. A liability's balance is what is owed, positive.
public enum BalanceSide: String, Sendable, Hashable {
    case asset, liability

    public init(_ type: AccountType) { self = type.isLiability ? .liability : .asset }
}

/// How much the summed balance of a group of accounts (one currency, one side) changed on one day.
public struct BalanceChange: Sendable, Hashable {
    public let date: LocalDate
    public let currency: CurrencyCode
    public let side: BalanceSide
    public let amount: Amount

    public init(date: LocalDate, currency: CurrencyCode, side: BalanceSide, amount: Amount) {
        self.date = date
        self.currency = currency
        self.side = side
        self.amount = amount
    }
}

/// Assets, liabilities and net worth on one day, in the base currency. When a currency holding a
/// non-zero balance that day has no exchange rate on or before it, the figures are `nil` and
/// `unconverted` names the currencies: a total is never built on a guessed rate.
public struct NetWorthPoint: Sendable, Equatable {
    public let date: LocalDate
    public let assets: Amount?
    public let liabilities: Amount?
    public let netWorth: Amount?
    public let unconverted: [CurrencyCode]

    public init(date: LocalDate, assets: Amount?, liabilities: Amount?, netWorth: Amount?, unconverted: [CurrencyCode]) {
        self.date = date
        self.assets = assets
        self.liabilities = liabilities
        self.netWorth = netWorth
        self.unconverted = unconverted
    }
}

/// Net worth over time from the days on which balances changed. Between changes a balance carries
/// forward unchanged; each day's totals convert at that day's rates (see `ExchangeRateTable`), per
/// currency and side, then sum: net worth = assets − liabilities.
public enum NetWorthHistory {
    public static func series(
        changes: [BalanceChange], points: [LocalDate], base: CurrencyCode, rates: ExchangeRateTable
    ) throws(MoneyError) -> [NetWorthPoint] {
        let ordered = changes.sorted { $0.date < $1.date }
        var totals: [Group: Amount] = [:]
        var next = 0
        var series: [NetWorthPoint] = []
        series.reserveCapacity(points.count)
        for point in points.sorted() {
            while next < ordered.count, ordered[next].date <= point {
                let change = ordered[next]
                let group = Group(currency: change.currency, side: change.side)
                guard let sum = (totals[group] ?? .zero).adding(change.amount) else { throw .outOfRange }
                totals[group] = sum
                next += 1
            }
            series.append(try value(of: totals, on: point, base: base, rates: rates))
        }
        return series
    }

    /// The balances of each (currency, side) group on `date`, converted and summed.
    public static func point(
        balances: [(currency: CurrencyCode, side: BalanceSide, amount: Amount)], on date: LocalDate,
        base: CurrencyCode, rates: ExchangeRateTable
    ) throws(MoneyError) -> NetWorthPoint {
        var totals: [Group: Amount] = [:]
        for balance in balances {
            let group = Group(currency: balance.currency, side: balance.side)
            guard let sum = (totals[group] ?? .zero).adding(balance.amount) else { throw .outOfRange }
            totals[group] = sum
        }
        return try value(of: totals, on: date, base: base, rates: rates)
    }

    private struct Group: Hashable {
        let currency: CurrencyCode
        let side: BalanceSide
    }

    private static func value(of totals: [Group: Amount], on date: LocalDate, base: CurrencyCode,
                              rates: ExchangeRateTable) throws(MoneyError) -> NetWorthPoint {
        var assets = Amount.zero, liabilities = Amount.zero
        var unconverted: Set<CurrencyCode> = []
        for (group, amount) in totals where !amount.isZero {
            guard let converted = rates.convert(amount, from: group.currency, to: base, on: date) else {
                unconverted.insert(group.currency)
                continue
            }
            switch group.side {
            case .asset:
                guard let sum = assets.adding(converted) else { throw .outOfRange }
                assets = sum
            case .liability:
                guard let sum = liabilities.adding(converted) else { throw .outOfRange }
                liabilities = sum
            }
        }
        guard unconverted.isEmpty else {
            return NetWorthPoint(date: date, assets: nil, liabilities: nil, netWorth: nil,
                                 unconverted: unconverted.sorted { $0.code < $1.code })
        }
        guard let net = assets.subtracting(liabilities) else { throw .outOfRange }
        return NetWorthPoint(date: date, assets: assets, liabilities: liabilities, netWorth: net, unconverted: [])
    }
}
