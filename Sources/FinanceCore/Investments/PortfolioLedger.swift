/// Units of one security bought together, and what they cost in the portfolio's currency.
public struct Lot: Sendable, Equatable {
    public var quantity: Quantity
    public var cost: Amount
    public let date: LocalDate
}

/// What a portfolio holds of one security: its lots (one pooled lot under average cost), the units
/// and their total cost basis.
public struct Holding: Sendable, Equatable {
    public let security: String
    public internal(set) var lots: [Lot]

    public var quantity: Quantity { lots.reduce(Quantity.zero) { $0.adding($1.quantity) ?? $0 } }
    public var cost: Amount { lots.reduce(Amount.zero) { $0.adding($1.cost) ?? $0 } }
}

/// The gain of one sale: proceeds (after fees) less the cost basis of the units sold.
public struct RealizedGain: Sendable, Equatable {
    public let eventID: String
    public let date: LocalDate
    public let security: String
    public let quantity: Quantity
    public let proceeds: Amount
    public let cost: Amount
    public var gain: Amount { proceeds.subtracting(cost) ?? .zero }
}

/// Money or units crossing the portfolio's boundary: what time-weighted and money-weighted returns
/// leave out of (or weigh into) performance. Positive comes in.
public struct ExternalFlow: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Cash, in the portfolio's currency.
        case cash(Amount)
        /// Units, worth `price` each in the security's currency when the event said so, else the day's close.
        case units(security: String, quantity: Quantity, price: Price?, priceCurrency: CurrencyCode)
    }

    public let date: LocalDate
    public let kind: Kind
    public let incoming: Bool
}

/// Replays a portfolio's investment transactions in date order: holdings and their lots, cash,
/// realized gains, income, fees, and the flows in and out.
///
/// Cash is kept in the portfolio's currency; an event in another currency converts at its day's
/// rate. Purchases and fees that need more cash than the day leaves in the portfolio are paid from
/// outside: at the day's end (`settle`) the shortfall counts as money brought in that day, whatever
/// order the day's trades came in. So a portfolio whose owner records only trades measures the same
/// as one that records every deposit. Proceeds, dividends and interest stay in the portfolio as cash
/// until a transfer out takes them.
public struct PortfolioLedger: Sendable {
    public let currency: CurrencyCode
    public let method: CostBasisMethod
    public private(set) var holdings: [String: Holding] = [:]
    public private(set) var cash: Amount = .zero
    public private(set) var realized: [RealizedGain] = []
    /// Dividends and interest, after their fees.
    public private(set) var income: [(date: LocalDate, amount: Amount)] = []
    /// Fees paid: fee events and the fees of trades.
    public private(set) var fees: [(date: LocalDate, amount: Amount)] = []

    public init(currency: CurrencyCode, method: CostBasisMethod) {
        self.currency = currency
        self.method = method
    }

    /// Applies one event (events must come in date order) and answers the flows it made.
    public mutating func apply(_ event: InvestmentEvent, rates: ExchangeRateTable) throws(InvestmentError) -> [ExternalFlow] {
        let id = event.id
        func inPortfolioCurrency(_ amount: Amount) throws(InvestmentError) -> Amount {
            guard let converted = rates.convert(amount, from: event.currency, to: currency, on: event.date) else {
                throw .missingRate(eventID: id, from: event.currency, to: currency, date: event.date)
            }
            return converted
        }
        func sum(_ a: Amount, _ b: Amount) throws(InvestmentError) -> Amount {
            guard let total = a.adding(b) else { throw .outOfRange(eventID: id) }
            return total
        }
        func minus(_ a: Amount, _ b: Amount) throws(InvestmentError) -> Amount {
            guard let total = a.subtracting(b) else { throw .outOfRange(eventID: id) }
            return total
        }
        func gross() throws(InvestmentError) -> Amount {
            if let amount = event.amount { return amount }
            guard let quantity = event.quantity, let price = event.price,
                  let value = quantity.multiplied(by: price, as: Amount.self) else { throw .outOfRange(eventID: id) }
            return value
        }

        var flows: [ExternalFlow] = []
        /// Pays `need` from cash, which may run below zero until the day is settled.
        func pay(_ need: Amount) throws(InvestmentError) {
            cash = try minus(cash, need)
        }

        switch event.activity {
        case .buy:
            guard let security = event.security, let quantity = event.quantity else { return [] }
            let cost = try inPortfolioCurrency(try sum(try gross(), event.fees))
            try pay(cost)
            add(Lot(quantity: quantity, cost: cost, date: event.date), to: security)
            if !event.fees.isZero { fees.append((event.date, try inPortfolioCurrency(event.fees))) }
        case .sell:
            guard let security = event.security, let quantity = event.quantity else { return [] }
            let proceeds = try inPortfolioCurrency(try minus(try gross(), event.fees))
            let cost = try remove(quantity, of: security, eventID: id)
            realized.append(RealizedGain(eventID: id, date: event.date, security: security, quantity: quantity, proceeds: proceeds, cost: cost))
            // Fees beyond the sale's worth are paid like any other charge.
            if proceeds.isNegative { try pay(proceeds.negated) } else { cash = try sum(cash, proceeds) }
            if !event.fees.isZero { fees.append((event.date, try inPortfolioCurrency(event.fees))) }
        case .dividend, .interest:
            let net = try inPortfolioCurrency(try minus(event.amount ?? .zero, event.fees))
            if net.isNegative { try pay(net.negated) } else { cash = try sum(cash, net) }
            income.append((event.date, net))
        case .fee:
            let charge = try inPortfolioCurrency(try sum(event.amount ?? .zero, event.fees))
            try pay(charge)
            fees.append((event.date, charge))
        case .split:
            guard let security = event.security, let ratio = event.quantity, var holding = holdings[security] else { return [] }
            for index in holding.lots.indices {
                guard let split = holding.lots[index].quantity.multiplied(by: ratio, as: Quantity.self) else { throw .outOfRange(eventID: id) }
                holding.lots[index].quantity = split
            }
            holdings[security] = holding
        case .transferIn:
            if let security = event.security, let quantity = event.quantity {
                let basis = try inPortfolioCurrency(try gross())
                add(Lot(quantity: quantity, cost: basis, date: event.date), to: security)
                flows.append(ExternalFlow(date: event.date, kind: .units(security: security, quantity: quantity, price: event.price,
                                                                          priceCurrency: event.currency), incoming: true))
            } else {
                let amount = try inPortfolioCurrency(event.amount ?? .zero)
                cash = try sum(cash, amount)
                flows.append(ExternalFlow(date: event.date, kind: .cash(amount), incoming: true))
            }
        case .transferOut:
            if let security = event.security, let quantity = event.quantity {
                _ = try remove(quantity, of: security, eventID: id)
                flows.append(ExternalFlow(date: event.date, kind: .units(security: security, quantity: quantity, price: event.price,
                                                                          priceCurrency: event.currency), incoming: false))
            } else {
                let amount = try inPortfolioCurrency(event.amount ?? .zero)
                guard amount <= cash else { throw .overdrawn(eventID: id, cash: cash, requested: amount) }
                cash = try minus(cash, amount)
                flows.append(ExternalFlow(date: event.date, kind: .cash(amount), incoming: false))
            }
        }
        return flows
    }

    /// Ends a day: cash below zero was paid from outside, and comes in as money brought in.
    public mutating func settle(on date: LocalDate) -> ExternalFlow? {
        guard cash.isNegative else { return nil }
        let shortfall = cash.negated
        cash = .zero
        return ExternalFlow(date: date, kind: .cash(shortfall), incoming: true)
    }

    /// Applies one day's events in replay order (see `InvestmentEvent.ordered`) and settles the day.
    public mutating func applyDay(_ events: [InvestmentEvent], rates: ExchangeRateTable) throws(InvestmentError) -> [ExternalFlow] {
        var flows: [ExternalFlow] = []
        for event in InvestmentEvent.ordered(events) { flows += try apply(event, rates: rates) }
        if let date = events.first?.date, let shortfall = settle(on: date) { flows.append(shortfall) }
        return flows
    }

    private mutating func add(_ lot: Lot, to security: String) {
        var holding = holdings[security] ?? Holding(security: security, lots: [])
        switch method {
        case .fifo:
            holding.lots.append(lot)
        case .average:
            // One pooled lot: its cost per unit is the average of everything bought.
            let pooled = holding.lots.first
            holding.lots = [Lot(quantity: (pooled?.quantity ?? .zero).adding(lot.quantity) ?? lot.quantity,
                                cost: (pooled?.cost ?? .zero).adding(lot.cost) ?? lot.cost, date: pooled?.date ?? lot.date)]
        }
        holdings[security] = holding
    }

    /// Takes `quantity` units out (oldest lots first) and answers the cost basis that leaves with them.
    private mutating func remove(_ quantity: Quantity, of security: String, eventID: String) throws(InvestmentError) -> Amount {
        guard var holding = holdings[security], holding.quantity >= quantity else {
            throw .oversold(eventID: eventID, security: security, held: holdings[security]?.quantity ?? .zero, requested: quantity)
        }
        var left = quantity
        var cost = Amount.zero
        while left > .zero, !holding.lots.isEmpty {
            let lot = holding.lots[0]
            if lot.quantity <= left {
                // The whole lot goes, with all of its cost: nothing is lost to rounding.
                cost = cost.adding(lot.cost) ?? cost
                left = left.subtracting(lot.quantity) ?? .zero
                holding.lots.removeFirst()
            } else {
                // Part of it: its share of the lot's cost, cost × part ÷ whole, rounded once, half to even
                // (in 128-bit integers, so a large lot cannot overflow on the way).
                let product = Int128(lot.cost.units) * Int128(left.units), whole = Int128(lot.quantity.units)
                let (quotient, remainder) = product.quotientAndRemainder(dividingBy: whole)
                let twice = remainder.magnitude * 2
                let units = twice > whole.magnitude || (twice == whole.magnitude && quotient % 2 != 0) ? quotient + 1 : quotient
                guard let share = Int64(exactly: units).flatMap(Amount.init(units:)),
                      let remaining = lot.quantity.subtracting(left), let remainingCost = lot.cost.subtracting(share) else {
                    throw .outOfRange(eventID: eventID)
                }
                cost = cost.adding(share) ?? cost
                holding.lots[0] = Lot(quantity: remaining, cost: remainingCost, date: lot.date)
                left = .zero
            }
        }
        holdings[security] = holding.lots.isEmpty ? nil : holding
        return cost
    }
}
