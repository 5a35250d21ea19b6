import Foundation

/// A security the simulated brokerage holds or trades, with every key Plaid's Security object has.
struct SecurityRecord: Sendable {
    struct FixedIncome: Sendable {
        let couponPercent: Decimal
        let maturity: Day
        let issue: Day
        let faceValue: Decimal
    }

    let id: String
    let name: String
    let ticker: String?
    let type: String
    let subtype: String
    let isin: String?
    let cusip: String?
    let marketIdentifierCode: String?
    let sector: String?
    let industry: String?
    let isCashEquivalent: Bool
    let closeCents: Int64
    /// Decimal places of a quantity: 0 for shares and bonds, 4 for bitcoin, 2 for dollars.
    let quantityScale: Int
    /// Trade prices are multiples of this, so quantity × price never needs more than cents.
    let priceStepCents: Int64
    /// How much lower the price was a year ago, in thousandths.
    let yearlyGrowthPermille: Int64
    /// Paid each quarter per share held.
    let quarterlyDividendCents: Int64?
    let fixedIncome: FixedIncome?

    var closePrice: Decimal { Decimal(closeCents) / 100 }

    func json(today: Day) -> JSONValue {
        [
            "security_id": .string(id),
            "isin": .text(isin),
            "cusip": .text(cusip),
            "sedol": .null,
            "figi": .null,
            "institution_security_id": .null,
            "institution_id": .null,
            "proxy_security_id": .null,
            "name": .string(name),
            "ticker_symbol": .text(ticker),
            "is_cash_equivalent": .bool(isCashEquivalent),
            "type": .string(type),
            "subtype": .string(subtype),
            "close_price": .decimal(closePrice),
            "close_price_as_of": .string(today.iso),
            "update_datetime": .null,
            "iso_currency_code": "USD",
            "unofficial_currency_code": .null,
            "market_identifier_code": .text(marketIdentifierCode),
            "sector": .text(sector),
            "industry": .text(industry),
            "cfi_code": .null,
            "option_contract": .null,
            "fixed_income": fixedIncome.map { income in
                [
                    "yield_rate": ["percentage": .decimal(income.couponPercent), "type": "coupon"],
                    "maturity_date": .string(income.maturity.iso),
                    "issue_date": .string(income.issue.iso),
                    "face_value": .decimal(income.faceValue),
                ] as JSONValue
            } ?? .null,
        ]
    }

    /// The securities every simulated brokerage account draws from; ids come from the simulator's seed.
    static func catalog(today: Day, rng: inout SeededGenerator) -> [SecurityRecord] {
        let (year, month, day) = today.civil
        return [
            SecurityRecord(id: rng.token(), name: "Apple Inc.", ticker: "AAPL", type: "equity", subtype: "common stock", isin: "US0378331005",
                           cusip: "037833100", marketIdentifierCode: "XNAS", sector: "Electronic Technology", industry: "Telecommunications Equipment",
                           isCashEquivalent: false, closeCents: 227_52, quantityScale: 0, priceStepCents: 1, yearlyGrowthPermille: 180,
                           quarterlyDividendCents: 25, fixedIncome: nil),
            SecurityRecord(id: rng.token(), name: "Vanguard Total Stock Market ETF", ticker: "VTI", type: "etf", subtype: "etf",
                           isin: "US9229087690", cusip: "922908769", marketIdentifierCode: "ARCX", sector: nil, industry: nil,
                           isCashEquivalent: false, closeCents: 279_15, quantityScale: 0, priceStepCents: 1, yearlyGrowthPermille: 120,
                           quarterlyDividendCents: 95, fixedIncome: nil),
            SecurityRecord(id: rng.token(), name: "Vanguard 500 Index Fund Admiral Shares", ticker: "VFIAX", type: "mutual fund",
                           subtype: "mutual fund", isin: "US9229087104", cusip: "922908710", marketIdentifierCode: nil, sector: nil, industry: nil,
                           isCashEquivalent: false, closeCents: 512_34, quantityScale: 0, priceStepCents: 1, yearlyGrowthPermille: 130,
                           quarterlyDividendCents: 170, fixedIncome: nil),
            SecurityRecord(id: rng.token(), name: "United States Treasury Note 4.25% \(year + 3)", ticker: nil, type: "fixed income",
                           subtype: "note", isin: nil, cusip: nil, marketIdentifierCode: nil, sector: "Government", industry: "Government Bonds",
                           isCashEquivalent: false, closeCents: 99_12, quantityScale: 0, priceStepCents: 1, yearlyGrowthPermille: 5,
                           quarterlyDividendCents: nil,
                           fixedIncome: FixedIncome(couponPercent: Decimal(string: "4.25")!,
                                                    maturity: Day(year: year + 3, month: month, day: min(day, 28)),
                                                    issue: Day(year: year - 2, month: month, day: min(day, 28)), faceValue: 100)),
            SecurityRecord(id: rng.token(), name: "Bitcoin", ticker: "CUR:BTC", type: "cryptocurrency", subtype: "cryptocurrency", isin: nil,
                           cusip: nil, marketIdentifierCode: nil, sector: nil, industry: nil, isCashEquivalent: false, closeCents: 61_200_00,
                           quantityScale: 4, priceStepCents: 100_00, yearlyGrowthPermille: 350, quarterlyDividendCents: nil, fixedIncome: nil),
            SecurityRecord(id: rng.token(), name: "U S Dollar", ticker: "CUR:USD", type: "cash", subtype: "cash", isin: nil, cusip: nil,
                           marketIdentifierCode: nil, sector: nil, industry: nil, isCashEquivalent: true, closeCents: 1_00, quantityScale: 2,
                           priceStepCents: 1, yearlyGrowthPermille: 0, quarterlyDividendCents: nil, fixedIncome: nil),
        ]
    }

    static let apple = 0, totalMarket = 1, index500 = 2, treasury = 3, bitcoin = 4, dollar = 5
}

struct InvestmentRecord: Sendable {
    let id: String
    let date: Day
    let security: Int?
    let name: String
    /// In units of 10^-scale of the security (shares, satoshi-like ten-thousandths); 0 for cash movements.
    let quantityUnits: Int64
    let quantityScale: Int
    /// Plaid's sign: positive is cash debited (a purchase, a fee), negative is cash credited.
    let amountCents: Int64
    let priceCents: Int64
    let type: String
    let subtype: String

    var quantity: Decimal { Decimal(quantityUnits) / pow(10, quantityScale) }

    func json(accountID: String, securities: [SecurityRecord]) -> JSONValue {
        [
            "investment_transaction_id": .string(id),
            "account_id": .string(accountID),
            "security_id": .text(security.map { securities[$0].id }),
            "date": .string(date.iso),
            "transaction_datetime": .null,
            "name": .string(name),
            "quantity": .decimal(quantity),
            "amount": .cents(amountCents),
            "price": .cents(priceCents),
            "fees": 0,
            "type": .string(type),
            "subtype": .string(subtype),
            "iso_currency_code": "USD",
            "unofficial_currency_code": .null,
            "cancel_transaction_id": .null,
        ]
    }
}

struct HoldingRecord: Sendable {
    let security: Int
    let quantityUnits: Int64
    let costBasisCents: Int64

    func json(accountID: String, securities: [SecurityRecord], today: Day) -> JSONValue {
        let record = securities[security]
        let quantity = Decimal(quantityUnits) / pow(10, record.quantityScale)
        return [
            "account_id": .string(accountID),
            "security_id": .string(record.id),
            "institution_price": .decimal(record.closePrice),
            "institution_price_as_of": .string(today.iso),
            "institution_price_datetime": .null,
            "institution_value": .decimal(quantity * record.closePrice),
            "cost_basis": .cents(costBasisCents),
            "quantity": .decimal(quantity),
            "iso_currency_code": "USD",
            "unofficial_currency_code": .null,
            "vested_quantity": .null,
            "vested_value": .null,
        ]
    }
}

/// A brokerage account's two years: an opening deposit and monthly contributions, purchases, a few sales,
/// dividends, bond interest and account fees. Replaying the transactions from nothing gives the holdings
/// exactly: each security's quantity is the sum of its transactions' quantities, and the cash (the
/// "U S Dollar" holding) is minus the sum of every amount.
struct Portfolio: Sendable {
    var transactions: [InvestmentRecord] = []
    var holdings: [HoldingRecord] = []
    var cashCents: Int64 = 0
    var valueCents: Int64 = 0

    static func generate(today: Day, securities: [SecurityRecord], rng: inout SeededGenerator) -> Portfolio {
        var portfolio = Portfolio()
        var units = [Int64](repeating: 0, count: securities.count)
        var cost = [Int64](repeating: 0, count: securities.count)
        var cash: Int64 = 0
        let start = today.adding(-(TransactionHistory.days - 1))

        func price(_ index: Int, on day: Day) -> Int64 {
            let record = securities[index]
            let daysAgo = Int64(today.number - day.number)
            let permille = 1000 - record.yearlyGrowthPermille * daysAgo / 365 + Int64(rng.int(in: -25...25))
            let raw = record.closeCents * max(permille, 100) / 1000
            return max(record.priceStepCents, raw / record.priceStepCents * record.priceStepCents)
        }
        func scale(_ index: Int) -> Int64 {
            var value: Int64 = 1
            for _ in 0..<securities[index].quantityScale { value *= 10 }
            return value
        }
        func record(_ day: Day, _ security: Int?, _ name: String, units quantity: Int64, amount: Int64, price: Int64, _ type: String, _ subtype: String) {
            portfolio.transactions.append(InvestmentRecord(id: rng.token(), date: day, security: security, name: name, quantityUnits: quantity,
                                                           quantityScale: security.map { securities[$0].quantityScale } ?? 0,
                                                           amountCents: amount, priceCents: price, type: type, subtype: subtype))
        }
        func deposit(_ day: Day, _ cents: Int64) {
            cash += cents
            record(day, nil, "Deposit", units: 0, amount: -cents, price: 0, "cash", "deposit")
        }
        func buy(_ day: Day, _ index: Int, units quantity: Int64, at knownPrice: Int64? = nil) {
            let unitPrice = knownPrice ?? price(index, on: day)
            let amount = quantity * unitPrice / scale(index)
            guard quantity > 0, amount > 0, amount <= cash else { return }
            cash -= amount
            units[index] += quantity
            cost[index] += amount
            record(day, index, "BUY \(securities[index].name)", units: quantity, amount: amount, price: unitPrice, "buy", "buy")
        }
        func sell(_ day: Day, _ index: Int, units quantity: Int64) {
            guard quantity > 0, quantity <= units[index] else { return }
            let unitPrice = price(index, on: day)
            let proceeds = quantity * unitPrice / scale(index)
            // Average cost: the sold part of the cost basis, rounded half up to the cent.
            let costSold = (cost[index] * quantity * 2 + units[index]) / (units[index] * 2)
            cost[index] -= costSold
            units[index] -= quantity
            cash += proceeds
            record(day, index, "SELL \(securities[index].name)", units: -quantity, amount: -proceeds, price: unitPrice, "sell", "sell")
        }
        func income(_ day: Day, _ index: Int, _ cents: Int64, _ label: String, _ subtype: String) {
            guard cents > 0 else { return }
            cash += cents
            record(day, index, "\(label) \(securities[index].name)", units: 0, amount: -cents, price: 0, "cash", subtype)
        }

        deposit(start, Int64(rng.int(in: 20_000...30_000)) * 100)
        let firstTrade = start.adding(2)
        // At most about 17,000 of the opening deposit of 20,000 or more, so every purchase goes through.
        buy(firstTrade, SecurityRecord.apple, units: Int64(rng.int(in: 10...20)))
        buy(firstTrade, SecurityRecord.totalMarket, units: Int64(rng.int(in: 10...20)))
        buy(firstTrade, SecurityRecord.index500, units: Int64(rng.int(in: 4...8)))
        buy(firstTrade, SecurityRecord.treasury, units: Int64(rng.int(in: 15...30)))
        buy(firstTrade, SecurityRecord.bitcoin, units: Int64(rng.int(in: 100...400)))

        // Each month after the first purchases, in day order: a contribution, a purchase, quarterly
        // dividends, half-yearly bond interest, a half-yearly sale of a few shares, and a quarterly fee.
        var month = firstTrade.firstOfMonth(adding: 1)
        while month <= today {
            let (_, monthNumber, _) = month.civil
            deposit(month, Int64(rng.int(in: 3...8)) * 100_00)
            let buyDay = month.inMonth(day: 3)
            guard buyDay <= today else { break }
            let index = rng.pick([SecurityRecord.apple, SecurityRecord.totalMarket, SecurityRecord.index500, SecurityRecord.bitcoin])
            let unitPrice = price(index, on: buyDay)
            // Most of the cash on hand, in whole shares (or ten-thousandths of a bitcoin).
            let affordable = cash * 9 / 10 * scale(index) / unitPrice
            buy(buyDay, index, units: min(affordable, index == SecurityRecord.bitcoin ? 400 : 40), at: unitPrice)

            let midMonth = month.inMonth(day: 15)
            guard midMonth <= today else { break }
            if monthNumber % 3 == 0 {
                for index in [SecurityRecord.apple, SecurityRecord.totalMarket, SecurityRecord.index500] {
                    income(midMonth, index, units[index] * (securities[index].quarterlyDividendCents ?? 0), "DIVIDEND", "dividend")
                }
            }
            if monthNumber % 6 == 5 {
                // Half a year's 4.25% coupon on a face value of 100 per note, rounded half up.
                income(midMonth, SecurityRecord.treasury, (units[SecurityRecord.treasury] * 425 + 1) / 2, "INTEREST", "interest")
            }
            let saleDay = month.inMonth(day: 20)
            guard saleDay <= today else { break }
            if monthNumber % 6 == 0 {
                sell(saleDay, SecurityRecord.apple, units: min(units[SecurityRecord.apple] / 4, Int64(rng.int(in: 1...5))))
            }
            let feeDay = month.inMonth(day: 28)
            guard feeDay <= today else { break }
            if monthNumber % 3 == 1, cash >= 7_50 {
                cash -= 7_50
                record(feeDay, nil, "Account Maintenance Fee", units: 0, amount: 7_50, price: 0, "fee", "account fee")
            }
            month = month.firstOfMonth(adding: 1)
        }

        for index in securities.indices where index != SecurityRecord.dollar && units[index] > 0 {
            portfolio.holdings.append(HoldingRecord(security: index, quantityUnits: units[index], costBasisCents: cost[index]))
            portfolio.valueCents += units[index] * securities[index].closeCents / scale(index)
        }
        portfolio.holdings.append(HoldingRecord(security: SecurityRecord.dollar, quantityUnits: cash, costBasisCents: cash))
        portfolio.cashCents = cash
        portfolio.valueCents += cash
        return portfolio
    }
}
