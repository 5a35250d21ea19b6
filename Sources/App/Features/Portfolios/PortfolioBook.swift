import FinanceCore
import Fluent
import Foundation
import SQLKit

/// Everything a portfolio's figures are computed from: its transactions (or, without any, the
/// holdings entered by hand), its securities with their closing prices, and the exchange rates.
struct PortfolioBook: Sendable {
    let portfolio: Portfolio
    let transactions: [InvestmentTransaction]
    let items: [PortfolioItem]
    let investments: [UUID: Investment]
    let prices: PriceBook
    let rates: ExchangeRateTable

    var currency: CurrencyCode { portfolio.currency }
    var method: CostBasisMethod { CostBasisMethod(rawValue: portfolio.costBasisMethod) ?? .fifo }
    var events: [InvestmentEvent] { transactions.compactMap(\.event) }

    static func load(_ portfolio: Portfolio, in scope: UserScope) async throws -> PortfolioBook {
        let id = try portfolio.requireID()
        let transactions = try await scope.query(InvestmentTransaction.self).filter(\.$portfolioID == id)
            .sort(\.$date).sort(\.$id).all()
        let items = try await scope.query(PortfolioItem.self).filter(\.$portfolioID == id).all()
        let securityIDs = Set(transactions.compactMap(\.investmentID) + items.map(\.investmentID))
        let investments = securityIDs.isEmpty ? [] : try await scope.query(Investment.self).filter(\.$id ~~ securityIDs).all()
        var closes: [(security: String, date: LocalDate, close: Price)] = []
        if !securityIDs.isEmpty {
            let rows = try await scope.db.sql.raw("""
                SELECT investment_id, date, close FROM security_prices
                WHERE user_id = \(bind: scope.userID) AND investment_id IN (\(binds: Array(securityIDs)))
                """).all()
            closes = try rows.map { row in
                (try row.decode(column: "investment_id", as: UUID.self).uuidString, try row.decode(column: "date", as: LocalDate.self),
                 try row.decode(column: "close", as: Price.self))
            }
        }
        let currencies = Dictionary(uniqueKeysWithValues: investments.map { ($0.id!.uuidString, $0.currency) })
        let needed = Set(currencies.values).union(transactions.map(\.currency))
        let rates = needed.contains(where: { $0 != portfolio.currency })
            ? try await ExchangeRateStore(userID: scope.userID, db: scope.db).table() : ExchangeRateTable([])
        return PortfolioBook(portfolio: portfolio, transactions: transactions, items: items,
                             investments: Dictionary(uniqueKeysWithValues: investments.map { ($0.id!, $0) }),
                             prices: PriceBook(currencies: currencies, closes: closes), rates: rates)
    }

    /// The ledger replayed from every transaction; a replay that fails is a 422 naming the transaction.
    func ledger() throws -> PortfolioLedger {
        var ledger = PortfolioLedger(currency: currency, method: method)
        for (_, day) in Dictionary(grouping: events, by: \.date).sorted(by: { $0.key < $1.key }) {
            do {
                _ = try ledger.applyDay(day, rates: rates)
            } catch {
                throw Self.apiError(error)
            }
        }
        return ledger
    }

    func performance(from: LocalDate, to: LocalDate) throws -> PerformanceReport {
        do {
            return try PortfolioPerformance.report(events: events, method: method, currency: currency, prices: prices, rates: rates, from: from, to: to)
        } catch {
            throw Self.apiError(error)
        }
    }

    /// Holdings and cash on `date`: replayed from the transactions, or the hand-entered holdings.
    func valuation(on date: LocalDate) throws -> (holdings: [HoldingValue], cash: Amount) {
        if !transactions.isEmpty {
            let report = try performance(from: date, to: date)
            return (report.holdings, report.cash)
        }
        let holdings = items.sorted { $0.investmentID.uuidString < $1.investmentID.uuidString }.map { item in
            let security = item.investmentID.uuidString
            let close = prices.close(of: security, onOrBefore: date)
            return HoldingValue(security: security, quantity: item.quantity, cost: item.costBasis ?? .zero, price: close?.price,
                                priceDate: close?.date,
                                marketValue: PortfolioPerformance.worth(item.quantity, of: security, at: close?.price, on: date,
                                                                        prices: prices, rates: rates, currency: currency))
        }
        return (holdings, .zero)
    }

    static func apiError(_ error: InvestmentError) -> APIError {
        APIError(.unprocessableEntity, code: "investment_rejected", message: "The transaction \(error.description); nothing changed.",
                 fields: ["transaction \(error.eventID)": error.description])
    }
}

/// Keeps `portfolio_items` equal to what a portfolio's transactions add up to.
enum PortfolioHoldings {
    /// Whether the portfolio's holdings follow transactions (rather than being entered by hand).
    static func followTransactions(_ portfolioID: UUID, in scope: UserScope) async throws -> Bool {
        try await scope.query(InvestmentTransaction.self).filter(\.$portfolioID == portfolioID).first() != nil
    }

    static func rebuild(_ portfolio: Portfolio, in scope: UserScope) async throws {
        let book = try await PortfolioBook.load(portfolio, in: scope)
        let ledger = try book.ledger()
        let id = try portfolio.requireID()
        try await scope.query(PortfolioItem.self).filter(\.$portfolioID == id).delete()
        for holding in ledger.holdings.values.sorted(by: { $0.security < $1.security }) {
            guard let security = UUID(uuidString: holding.security) else { continue }
            let item = PortfolioItem(id: UUID.timeOrdered(), userID: scope.userID, portfolioID: id, investmentID: security,
                                     quantity: holding.quantity, costBasis: holding.cost)
            try await item.create(on: scope.db)
        }
    }
}
