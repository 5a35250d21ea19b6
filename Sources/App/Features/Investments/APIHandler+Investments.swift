import FinanceAPI
import FinanceCore
import Fluent
import Foundation
import OpenAPIRuntime
import SQLKit

extension APIHandler {
    func listInvestments(_ input: Operations.ListInvestments.Input) async throws -> Operations.ListInvestments.Output {
        let investments = try await Authentication.withUser(app) { scope, _ in
            try await scope.query(Investment.self).sort(\.$symbol).sort(\.$name).sort(\.$id).all()
        }
        return .ok(.init(body: .json(.init(items: try investments.map(InvestmentRepresentation.make)))))
    }

    func createInvestment(_ input: Operations.CreateInvestment.Input) async throws -> Operations.CreateInvestment.Output {
        guard case .json(let body) = input.body else { throw APIError.malformedBody("expected JSON") }
        var form = FieldValidator()
        let name = form.name(body.name, field: "name")
        let currency = form.currency(body.currency, field: "currency")
        let details = InvestmentDetails(symbol: body.symbol, isin: body.isin, cusip: body.cusip, form: &form)
        try form.check()
        guard let name, let currency, let type = InvestmentType(rawValue: body._type.rawValue) else {
            throw APIError.validation(["type": "is not an investment type"])
        }
        let investment = try await Authentication.withUser(app) { scope, _ in
            let investment = Investment(id: UUID.timeOrdered(), userID: scope.userID, symbol: nil, name: name, type: type, currency: currency)
            details.apply(to: investment)
            try await scope.create(investment, entityType: "investment")
            return investment
        }
        return .created(.init(body: .json(try InvestmentRepresentation.make(investment))))
    }

    func getInvestment(_ input: Operations.GetInvestment.Input) async throws -> Operations.GetInvestment.Output {
        let id = try PathID.parse(input.path.id)
        let investment = try await Authentication.withUser(app) { scope, _ in try await scope.find(Investment.self, id, name: "investment") }
        return .ok(.init(body: .json(try InvestmentRepresentation.make(investment))))
    }

    func updateInvestment(_ input: Operations.UpdateInvestment.Input) async throws -> Operations.UpdateInvestment.Output {
        let id = try PathID.parse(input.path.id)
        guard case .json(let body) = input.body else { throw APIError.malformedBody("expected JSON") }
        var form = FieldValidator()
        let name = body.name.flatMap { form.name($0, field: "name") }
        let details = InvestmentDetails(symbol: body.symbol, isin: body.isin, cusip: body.cusip, form: &form)
        try form.check()
        let type = body._type.flatMap { InvestmentType(rawValue: $0.rawValue) }
        let investment = try await Authentication.withUser(app) { scope, _ in
            let investment = try await scope.find(Investment.self, id, name: "investment")
            let before = InvestmentRepresentation.auditView(investment)
            if let name { investment.name = name }
            if let type { investment.type = type }
            details.apply(to: investment)
            try await scope.save(investment, entityType: "investment", before: before, view: InvestmentRepresentation.auditView)
            return investment
        }
        return .ok(.init(body: .json(try InvestmentRepresentation.make(investment))))
    }

    func listPrices(_ input: Operations.ListPrices.Input) async throws -> Operations.ListPrices.Output {
        let id = try PathID.parse(input.path.id)
        var form = FieldValidator()
        let from = form.date(input.query.from, field: "from"), to = form.date(input.query.to, field: "to")
        try form.check()
        let (currency, prices) = try await Authentication.withUser(app) { scope, _ in
            let investment = try await scope.find(Investment.self, id, name: "investment")
            var sql: SQLQueryString = "SELECT date, close FROM security_prices WHERE investment_id = \(bind: id)"
            if let from { sql += " AND date >= \(bind: from)" }
            if let to { sql += " AND date <= \(bind: to)" }
            sql += " ORDER BY date LIMIT 10000"
            let rows = try await scope.db.sql.raw(sql).all()
            return (investment.currency, try rows.map { (try $0.decode(column: "date", as: LocalDate.self), try $0.decode(column: "close", as: Price.self)) })
        }
        return .ok(.init(body: .json(.init(currency: currency.code, items: prices.map { .init(date: $0.0.description, close: $0.1.description) }))))
    }

    func savePrices(_ input: Operations.SavePrices.Input) async throws -> Operations.SavePrices.Output {
        let id = try PathID.parse(input.path.id)
        guard case .json(let body) = input.body else { throw APIError.malformedBody("expected JSON") }
        var form = FieldValidator()
        if body.prices.isEmpty || body.prices.count > 10_000 { form.fail("prices", "must hold 1 to 10,000 prices") }
        var prices: [(date: LocalDate, close: Price)] = []
        for (index, price) in body.prices.enumerated() {
            let date = form.date(price.date, field: "prices[\(index)].date")
            let close = form.price(price.close, field: "prices[\(index)].close")
            if let date, let close { prices.append((date, close)) }
        }
        try form.check()
        return .ok(.init(body: .json(.init(saved: try await savePrices(prices, of: id)))))
    }

    func importPrices(_ input: Operations.ImportPrices.Input) async throws -> Operations.ImportPrices.Output {
        let id = try PathID.parse(input.path.id)
        guard case .csv(let body) = input.body else { throw APIError.malformedBody("expected a CSV file as the body") }
        let bytes = try await [UInt8](collecting: body, upTo: app.settings.maxBodySize)
        let prices: [(date: LocalDate, close: Price)]
        do { prices = try PriceCSV.parse(bytes) } catch { throw APIError.importFailed(error) }
        guard !prices.isEmpty else { throw APIError.validation(["file": "holds no prices"]) }
        return .ok(.init(body: .json(.init(saved: try await savePrices(prices, of: id)))))
    }

    private func savePrices(_ prices: [(date: LocalDate, close: Price)], of id: UUID) async throws -> Int {
        try await Authentication.withUser(app) { scope, _ in
            let investment = try await scope.find(Investment.self, id, name: "investment")
            let saved = try await SecurityPrices.save(prices, of: investment, in: scope)
            try await scope.audit.record(.create, entityType: "security_prices", entityID: id,
                                         changes: ["saved": FieldChange(old: nil, new: String(saved))], on: scope.db)
            return saved
        }
    }

    func getInvestmentSummary(_ input: Operations.GetInvestmentSummary.Input) async throws -> Operations.GetInvestmentSummary.Output {
        let today = app.clock.today
        let summary = try await Authentication.withUser(app) { scope, _ in
            let base = try await BalanceReports(userID: scope.userID, db: scope.db).baseCurrency()
            let portfolios = try await scope.query(Portfolio.self).sort(\.$name).sort(\.$id).all()
            let rates = try await BalanceReports(userID: scope.userID, db: scope.db).rates(for: portfolios.map(\.currency), base: base)
            var rows: [Components.Schemas.PortfolioValue] = []
            var total: Computed<Amount> = .value(.zero)
            for portfolio in portfolios {
                let book = try await PortfolioBook.load(portfolio, in: scope)
                let (holdings, cash) = try book.valuation(on: today)
                let value = PortfolioFigures.total(holdings, cash: cash)
                let cost = holdings.reduce(Amount.zero) { $0.adding($1.cost) ?? $0 }
                let gain: Computed<Amount> = value.value.map { PortfolioFigures.difference($0.subtracting(cash), cost) } ?? .unavailable(value.reason ?? "")
                let inBase: Computed<Amount> = value.value.map { amount in
                    rates.convert(amount, from: portfolio.currency, to: base, on: today).map(Computed.value)
                        ?? .unavailable("no \(portfolio.currency)/\(base) rate on or before \(today)")
                } ?? .unavailable(value.reason ?? "")
                total = PortfolioFigures.sum(total, inBase)
                rows.append(.init(portfolioId: portfolio.id!.uuidString, name: portfolio.name, currency: portfolio.currency.code,
                                  value: PortfolioFigures.amount(value, portfolio.currency), costBasis: Money(cost, portfolio.currency).formattedAmount,
                                  unrealizedGain: PortfolioFigures.amount(gain, portfolio.currency), valueInBase: PortfolioFigures.amount(inBase, base)))
            }
            return Components.Schemas.InvestmentSummary(baseCurrency: base.code, asOf: today.description, portfolios: rows,
                                                        total: PortfolioFigures.amount(total, base))
        }
        return .ok(.init(body: .json(summary)))
    }
}

/// The optional fields that creating and changing a security share.
struct InvestmentDetails: Sendable {
    let symbol, isin, cusip: String?

    init(symbol: String?, isin: String?, cusip: String?, form: inout FieldValidator) {
        self.symbol = form.text(symbol, field: "symbol", max: 32).map { $0.uppercased() }
        self.isin = form.text(isin, field: "isin", max: 12).map { $0.uppercased() }
        self.cusip = form.text(cusip, field: "cusip", max: 9).map { $0.uppercased() }
        if let isin = self.isin, !isin.isEmpty, isin.count != 12 { form.fail("isin", "must be 12 characters") }
        if let cusip = self.cusip, !cusip.isEmpty, cusip.count != 9 { form.fail("cusip", "must be 9 characters") }
    }

    func apply(to investment: Investment) {
        if let symbol { investment.symbol = symbol.isEmpty ? nil : symbol }
        if let isin { investment.isin = isin.isEmpty ? nil : isin }
        if let cusip { investment.cusip = cusip.isEmpty ? nil : cusip }
    }
}

struct InvestmentAuditView: Encodable {
    let symbol: String?
    let name: String
    let type: String
    let currency: String
    let isin: String?
    let cusip: String?
}

enum InvestmentRepresentation {
    static func make(_ investment: Investment) throws -> Components.Schemas.Investment {
        guard let id = investment.id, let type = Components.Schemas.InvestmentType(rawValue: investment.type.rawValue) else {
            throw APIError.internalError
        }
        return .init(id: id.uuidString, symbol: investment.symbol, name: investment.name, _type: type, currency: investment.currency.code,
                     isin: investment.isin, cusip: investment.cusip, latestPrice: investment.latestPrice?.description,
                     latestPriceDate: investment.latestPriceDate?.description, createdAt: investment.createdAt ?? Date(),
                     updatedAt: investment.updatedAt ?? Date())
    }

    static func auditView(_ investment: Investment) -> InvestmentAuditView {
        InvestmentAuditView(symbol: investment.symbol, name: investment.name, type: investment.type.rawValue,
                            currency: investment.currency.code, isin: investment.isin, cusip: investment.cusip)
    }
}
