import FinanceAPI
import FinanceCore
import Fluent
import Foundation

extension APIHandler {
    func getPortfolioPerformance(_ input: Operations.GetPortfolioPerformance.Input) async throws -> Operations.GetPortfolioPerformance.Output {
        let id = try PathID.parse(input.path.id)
        var form = FieldValidator()
        let today = app.clock.today
        let to = form.date(input.query.to, field: "to") ?? today
        let requestedFrom = form.date(input.query.from, field: "from")
        let period = input.query.period?.rawValue
        try form.check()
        let result = try await Authentication.withUser(app) { scope, _ in
            let portfolio = try await scope.find(Portfolio.self, id, name: "portfolio")
            let book = try await PortfolioBook.load(portfolio, in: scope)
            let from: LocalDate? = requestedFrom ?? {
                switch period {
                case "1M": to.adding(months: -1).adding(days: 1)
                case "3M": to.adding(months: -3).adding(days: 1)
                case "1Y": to.adding(months: -12).adding(days: 1)
                case "3Y": to.adding(months: -36).adding(days: 1)
                case "ALL": book.transactions.map(\.date).min() ?? to
                default: LocalDate(year: to.year, month: 1, day: 1)!
                }
            }()
            guard let start = from, start <= to else { throw APIError.validation(["to": "is before from"]) }
            guard to.daysSinceEpoch - start.daysSinceEpoch <= 366 * 50 else { throw APIError.validation(["from": "is more than 50 years before to"]) }
            return try PortfolioFigures.performance(book, from: start, to: to)
        }
        return .ok(.init(body: .json(result)))
    }

    func getPortfolioAllocation(_ input: Operations.GetPortfolioAllocation.Input) async throws -> Operations.GetPortfolioAllocation.Output {
        let id = try PathID.parse(input.path.id)
        let by = input.query.by?.rawValue ?? "security"
        let today = app.clock.today
        let result = try await Authentication.withUser(app) { scope, _ in
            let portfolio = try await scope.find(Portfolio.self, id, name: "portfolio")
            let book = try await PortfolioBook.load(portfolio, in: scope)
            return try PortfolioFigures.allocation(book, by: by, on: today)
        }
        return .ok(.init(body: .json(result)))
    }
}

/// A portfolio's figures as the API shows them.
enum PortfolioFigures {
    static func performance(_ book: PortfolioBook, from: LocalDate, to: LocalDate) throws -> Components.Schemas.PortfolioPerformance {
        let currency = book.currency
        let money = { (amount: Amount) in Money(amount, currency).formattedAmount }
        guard let method = Components.Schemas.CostBasisMethod(rawValue: book.method.rawValue) else { throw APIError.internalError }
        let report: PerformanceReport
        if book.transactions.isEmpty {
            // Holdings entered by hand have no history to measure returns from: their value only.
            let (holdings, cash) = try book.valuation(on: to)
            let value = total(holdings, cash: cash)
            let reason = "the holdings were entered by hand, without transactions to measure returns from"
            let cost = holdings.reduce(Amount.zero) { $0.adding($1.cost) ?? $0 }
            report = PerformanceReport(
                from: from, to: to, startValue: .unavailable(reason), endValue: value, cash: cash, holdings: holdings, costBasis: cost,
                unrealizedGain: value.value.map { difference($0, cost) } ?? .unavailable(value.reason ?? reason), realizedGain: .zero,
                realized: [], income: .zero, fees: .zero, netFlows: .unavailable(reason), timeWeightedReturn: .unavailable(reason),
                moneyWeightedReturn: .unavailable(reason), annualized: false, series: [])
        } else {
            report = try book.performance(from: from, to: to)
        }
        let holdings = report.holdings.map { holding -> Components.Schemas.HoldingPerformance in
            let investment = UUID(uuidString: holding.security).flatMap { book.investments[$0] }
            return .init(investmentId: holding.security, symbol: investment?.symbol, name: investment?.name,
                         quantity: holding.quantity.description, costBasis: money(holding.cost), price: holding.price?.description,
                         priceDate: holding.priceDate?.description, marketValue: holding.marketValue.value.map(money),
                         unrealizedGain: holding.unrealizedGain.value.map(money), unavailableReason: holding.marketValue.reason)
        }
        let sales = report.realized.map { sale in
            Components.Schemas.RealizedSale(transactionId: sale.eventID, date: sale.date.description, investmentId: sale.security,
                                            quantity: sale.quantity.description, proceeds: money(sale.proceeds), costBasis: money(sale.cost),
                                            gain: money(sale.gain))
        }
        return .init(
            portfolioId: book.portfolio.id!.uuidString, currency: currency.code, costBasisMethod: method, from: from.description,
            to: to.description, annualized: report.annualized, startValue: amount(report.startValue, currency),
            endValue: amount(report.endValue, currency), cash: money(report.cash), costBasis: money(report.costBasis),
            unrealizedGain: amount(report.unrealizedGain, currency), realizedGain: money(report.realizedGain), income: money(report.income),
            fees: money(report.fees), netFlows: amount(report.netFlows, currency),
            timeWeightedReturn: ratio(report.timeWeightedReturn), moneyWeightedReturn: ratio(report.moneyWeightedReturn),
            holdings: holdings, sales: sales,
            series: report.series.map { .init(date: $0.date.description, value: $0.value.value.map(money)) })
    }

    static func allocation(_ book: PortfolioBook, by: String, on date: LocalDate) throws -> Components.Schemas.Allocation {
        let currency = book.currency
        guard let payloadBy = Components.Schemas.Allocation.ByPayload(rawValue: by) else { throw APIError.validation(["by": "is not type, security or currency"]) }
        let (holdings, cash) = try book.valuation(on: date)
        if let missing = holdings.first(where: { $0.marketValue.value == nil }) {
            return .init(currency: currency.code, by: payloadBy, asOf: date.description, total: Money(.zero, currency).formattedAmount,
                         slices: [], unavailableReason: missing.marketValue.reason)
        }
        var values: [String: Amount] = [:]
        var labels: [String: String] = [:]
        for holding in holdings {
            let investment = UUID(uuidString: holding.security).flatMap { book.investments[$0] }
            let key: String = switch by {
            case "type": investment?.type.rawValue ?? InvestmentType.other.rawValue
            case "currency": investment?.currency.code ?? currency.code
            default: holding.security
            }
            if by == "security" { labels[key] = investment?.symbol ?? investment?.name }
            values[key] = (values[key] ?? .zero).adding(holding.marketValue.value ?? .zero)
        }
        if cash > .zero {
            let key = by == "currency" ? currency.code : "cash"
            values[key] = (values[key] ?? .zero).adding(cash)
        }
        let weights = Allocation.weights(values.map { ($0.key, $0.value) })
        let total = Amount.sum(values.values) ?? .zero
        return .init(currency: currency.code, by: payloadBy, asOf: date.description, total: Money(total, currency).formattedAmount,
                     slices: weights.map { .init(key: $0.key, label: labels[$0.key], value: Money(values[$0.key]!, currency).formattedAmount,
                                                 weight: $0.weight.formatted(minimumFractionDigits: 4)) })
    }

    static func total(_ holdings: [HoldingValue], cash: Amount) -> Computed<Amount> {
        var sum: Computed<Amount> = .value(cash)
        for holding in holdings { sum = self.sum(sum, holding.marketValue) }
        return sum
    }

    static func sum(_ a: Computed<Amount>, _ b: Computed<Amount>) -> Computed<Amount> {
        guard let x = a.value else { return a }
        guard let y = b.value else { return b }
        return x.adding(y).map(Computed.value) ?? .unavailable("out of range")
    }

    static func difference(_ a: Amount?, _ b: Amount) -> Computed<Amount> {
        a.flatMap { $0.subtracting(b) }.map(Computed.value) ?? .unavailable("out of range")
    }

    static func amount(_ value: Computed<Amount>, _ currency: CurrencyCode) -> Components.Schemas.ComputedAmount {
        .init(value: value.value.map { Money($0, currency).formattedAmount }, reason: value.reason)
    }

    static func ratio(_ value: Computed<Ratio>) -> Components.Schemas.ComputedRatio {
        .init(value: value.value?.description, reason: value.reason)
    }
}

enum PortfolioRepresentation {
    static func make(_ portfolio: Portfolio, in scope: UserScope) async throws -> Components.Schemas.Portfolio {
        guard let id = portfolio.id, let method = Components.Schemas.CostBasisMethod(rawValue: portfolio.costBasisMethod) else {
            throw APIError.internalError
        }
        let hasTransactions = try await PortfolioHoldings.followTransactions(id, in: scope)
        return .init(id: id.uuidString, name: portfolio.name, accountId: portfolio.accountID?.uuidString, currency: portfolio.currency.code,
                     costBasisMethod: method, hasTransactions: hasTransactions, createdAt: portfolio.createdAt ?? Date(),
                     updatedAt: portfolio.updatedAt ?? Date())
    }

    struct AuditView: Encodable {
        let name: String
        let accountID: String?
        let currency: String
        let costBasisMethod: String
    }

    static func auditView(_ portfolio: Portfolio) -> AuditView {
        AuditView(name: portfolio.name, accountID: portfolio.accountID?.uuidString, currency: portfolio.currency.code,
                  costBasisMethod: portfolio.costBasisMethod)
    }
}

enum PortfolioItemRepresentation {
    static func make(_ item: PortfolioItem, _ currency: CurrencyCode) throws -> Components.Schemas.PortfolioItem {
        guard let id = item.id else { throw APIError.internalError }
        return .init(id: id.uuidString, investmentId: item.investmentID.uuidString, quantity: item.quantity.description,
                     costBasis: item.costBasis.map { Money($0, currency).formattedAmount })
    }

    struct AuditView: Encodable {
        let investmentID: String
        let quantity: String
        let costBasis: String?
    }

    static func auditView(_ item: PortfolioItem) -> AuditView {
        AuditView(investmentID: item.investmentID.uuidString, quantity: item.quantity.description, costBasis: item.costBasis?.description)
    }
}

enum InvestmentTransactionRepresentation {
    static func make(_ transaction: InvestmentTransaction) throws -> Components.Schemas.InvestmentTransaction {
        guard let id = transaction.id, let activity = Components.Schemas.InvestmentActivity(rawValue: transaction.activity) else {
            throw APIError.internalError
        }
        let currency = transaction.currency
        return .init(id: id.uuidString, date: transaction.date.description, activity: activity,
                     investmentId: transaction.investmentID?.uuidString, quantity: transaction.quantity?.description,
                     price: transaction.price?.description, amount: transaction.amount.map { Money($0, currency).formattedAmount },
                     fees: Money(transaction.fees, currency).formattedAmount, currency: currency.code, notes: transaction.notes,
                     createdAt: transaction.createdAt ?? Date())
    }

    struct AuditView: Encodable {
        let date: String
        let activity: String
        let investmentID: String?
        let quantity: String?
        let price: String?
        let amount: String?
        let fees: String
        let currency: String
    }

    static func auditView(_ transaction: InvestmentTransaction) -> AuditView {
        AuditView(date: transaction.date.description, activity: transaction.activity, investmentID: transaction.investmentID?.uuidString,
                  quantity: transaction.quantity?.description, price: transaction.price?.description,
                  amount: transaction.amount?.description, fees: transaction.fees.description, currency: transaction.currency.code)
    }
}
