import FinanceCore
import Fluent
import Foundation
import PlaidKit
import SQLKit

/// Brings Plaid's securities, holdings and investment transactions into portfolios tied to the
/// connection's investment accounts (one portfolio per account, made on first sight).
///
/// The portfolio's holdings follow its transactions, as for any portfolio. Plaid reports two years
/// of transactions but the holdings whole, so the sync adds what reconciles the two: opening
/// positions the day before the first transaction (`OpeningPositions`: the least that covers every
/// sale), then, on the day of the sync, the units and cash still between the replay and what the
/// institution reports. Those rows carry ids of their own kind (`opening:`, `adjust:`) and are worked
/// out afresh at every sync; Plaid's transactions are kept by Plaid's ids, so none is added twice.
/// The tied account is then valued from the portfolio, day by day (`PortfolioAccounts`).
enum InvestmentSync {
    struct Written: Sendable {
        var holdings = 0
        var transactions = 0
        /// The accounts whose balance and history now follow their portfolio.
        var portfolioAccounts: Set<UUID> = []
    }

    static let openingPrefix = "opening:"
    static let adjustmentPrefix = "adjust:"

    static func apply(_ fetched: PlaidFetch.InvestmentFetch, accounts: [String: Account], in scope: UserScope) async throws -> Written {
        let today = scope.today
        var written = Written()
        let securities = try await upsertSecurities(fetched, accounts: accounts, in: scope, today: today)
        for (plaidAccountID, account) in accounts where [.investment, .retirement, .crypto].contains(account.type) {
            let accountID = try account.requireID()
            let holdings = fetched.holdings.filter { $0.accountId == plaidAccountID }
            let transactions = fetched.transactions.filter { $0.accountId == plaidAccountID }
            let portfolio = try await portfolio(for: account, in: scope)
            let portfolioID = try portfolio.requireID()
            written.transactions += try await insertTransactions(transactions, portfolioID: portfolioID, account: account,
                                                                 securities: securities, in: scope)
            try await reconcile(portfolio, with: holdings, account: account, securities: securities, in: scope, today: today)
            try await PortfolioHoldings.rebuild(portfolio, in: scope)
            scope.changes.portfolioChanged(portfolioID)
            written.holdings += holdings.count
            written.portfolioAccounts.insert(accountID)
        }
        return written
    }

    /// The user's security for each of Plaid's security ids, made or brought up to date, with the
    /// closing prices Plaid gives (its close, each holding's institution price, each trade's price).
    private static func upsertSecurities(_ fetched: PlaidFetch.InvestmentFetch, accounts: [String: Account], in scope: UserScope,
                                         today: LocalDate) async throws -> [String: Investment] {
        var bySecurity: [String: PlaidKit.Security] = [:]
        for security in fetched.securities { bySecurity[security.securityId] = security }
        let used = Set(fetched.holdings.map(\.securityId) + fetched.transactions.compactMap(\.securityId))
        let stored = try await scope.query(Investment.self).filter(\.$plaidSecurityID ~~ used).all()
        var investments: [String: Investment] = [:]
        for investment in stored { if let id = investment.plaidSecurityID { investments[id] = investment } }
        let fallbackCurrency = accounts.values.first { $0.type == .investment }?.currency ?? CurrencyCode("USD")!

        var prices: [(String, LocalDate, Price)] = []
        for securityID in used.sorted() {
            let plaid = bySecurity[securityID]
            let ticker = plaid?.tickerSymbol.map { String($0.prefix(32)) }.flatMap { $0.isEmpty ? nil : $0 }
            let name = String((plaid?.name ?? ticker ?? securityID).prefix(200))
            let investment = investments[securityID] ?? Investment(
                id: UUID.timeOrdered(), userID: scope.userID, symbol: ticker, name: name.isEmpty ? securityID : name,
                type: PlaidMapping.investmentType(plaid?.type),
                currency: PlaidMapping.currency(iso: plaid?.isoCurrencyCode, unofficial: plaid?.unofficialCurrencyCode) ?? fallbackCurrency)
            investment.plaidSecurityID = securityID
            investment.symbol = ticker
            if !name.trimmingCharacters(in: .whitespaces).isEmpty { investment.name = name }
            investment.isin = plaid?.isin.flatMap { $0.count == 12 ? $0 : nil }
            investment.cusip = plaid?.cusip.flatMap { $0.count == 9 ? $0 : nil }
            if let close = plaid?.closePrice {
                let price = try PlaidMapping.exact(close, as: Price.self)
                let day = try plaid?.closePriceAsOf.map(PlaidMapping.date) ?? today
                if !price.isNegative { prices.append((securityID, day, price)) }
            }
            if investment.id != nil, investments[securityID] == nil {
                try await scope.create(investment, entityType: "investment")
            } else if investment.hasChanges {
                try await investment.update(on: scope.db)
            }
            investments[securityID] = investment
        }
        for holding in fetched.holdings {
            let price = try PlaidMapping.exact(holding.institutionPrice, as: Price.self)
            let day = try holding.institutionPriceAsOf.map(PlaidMapping.date) ?? today
            if !price.isNegative { prices.append((holding.securityId, day, price)) }
        }
        for trade in fetched.transactions where ["buy", "sell"].contains(trade.type) {
            guard let securityID = trade.securityId else { continue }
            let price = try PlaidMapping.exact(trade.price, as: Price.self)
            if !price.isNegative, !price.isZero { prices.append((securityID, try PlaidMapping.date(trade.date), price)) }
        }
        // One price a day, the first found: Plaid's close, then a holding's price, then a trade's.
        var byDay: [String: (UUID, LocalDate, Price)] = [:]
        for (securityID, day, price) in prices {
            guard let id = investments[securityID]?.id else { continue }
            let key = "\(id)|\(day)"
            if byDay[key] == nil { byDay[key] = (id, day, price) }
        }
        for investment in investments.values {
            let id = try investment.requireID()
            let own = byDay.values.filter { $0.0 == id }.map { (date: $0.1, close: $0.2) }
            if !own.isEmpty { _ = try await SecurityPrices.save(own, of: investment, in: scope) }
        }
        return investments
    }

    /// The portfolio tied to `account`, made on first sight.
    private static func portfolio(for account: Account, in scope: UserScope) async throws -> Portfolio {
        let accountID = try account.requireID()
        if let portfolio = try await scope.query(Portfolio.self).filter(\.$accountID == accountID).first() { return portfolio }
        let portfolio = Portfolio(id: UUID.timeOrdered(), userID: scope.userID, name: account.name, accountID: accountID, currency: account.currency)
        try await scope.create(portfolio, entityType: "portfolio")
        return portfolio
    }

    /// Adds the transactions not yet stored; answers how many.
    private static func insertTransactions(_ transactions: [PlaidKit.InvestmentTransaction], portfolioID: UUID, account: Account,
                                           securities: [String: Investment], in scope: UserScope) async throws -> Int {
        let ids = transactions.map(\.investmentTransactionId)
        var known: Set<String> = []
        for chunk in ids.chunked(into: 5_000) {
            let rows = try await scope.query(InvestmentTransaction.self).filter(\.$plaidInvestmentTransactionID ~~ Array(chunk)).all()
            known.formUnion(rows.compactMap(\.plaidInvestmentTransactionID))
        }
        var added = 0
        for plaid in transactions where !known.contains(plaid.investmentTransactionId) {
            guard let row = try row(for: plaid, portfolioID: portfolioID, account: account, securities: securities, userID: scope.userID) else { continue }
            try await row.create(on: scope.db)
            known.insert(plaid.investmentTransactionId)
            added += 1
        }
        return added
    }

    /// Plaid's transaction in our terms (Plaid: positive amount = cash out, positive quantity = bought),
    /// or nil for what moves nothing (a cancellation, a zero).
    static func row(for plaid: PlaidKit.InvestmentTransaction, portfolioID: UUID, account: Account, securities: [String: Investment],
                    userID: UUID) throws -> InvestmentTransaction? {
        let amount = try PlaidMapping.exact(plaid.amount, as: Amount.self)
        let quantity = try PlaidMapping.exact(plaid.quantity, as: Quantity.self)
        let price = try PlaidMapping.exact(plaid.price, as: Price.self)
        let fees = try plaid.fees.map { try PlaidMapping.exact($0, as: Amount.self) }?.magnitude ?? .zero
        let security = plaid.securityId.flatMap { securities[$0]?.id }
        let subtype = plaid.subtype.lowercased()
        let cashIn: InvestmentActivity? = amount.isNegative ? .transferIn : (amount.isZero ? nil : .transferOut)

        let activity: InvestmentActivity?
        var units: Quantity? = nil
        var unitPrice: Price? = nil
        var cash: Amount? = amount.magnitude
        var investment = security
        switch plaid.type.lowercased() {
        case "buy" where security != nil && !quantity.isZero:
            (activity, units, unitPrice, cash) = (.buy, quantity.magnitude, price, nil)
        case "sell" where security != nil && !quantity.isZero:
            (activity, units, unitPrice, cash) = (.sell, quantity.magnitude, price, nil)
        case "cash":
            if subtype.contains("dividend") || subtype.contains("capital gain") || subtype == "distribution" {
                activity = amount.isZero ? nil : .dividend
            } else if subtype.contains("interest") {
                activity = amount.isZero ? nil : .interest
                investment = nil
            } else {
                activity = cashIn
                investment = nil
            }
        case "fee":
            activity = amount.isNegative ? .transferIn : (amount.isZero ? nil : .fee)
            investment = nil
        case "transfer" where security != nil && !quantity.isZero:
            activity = quantity.isNegative ? .transferOut : .transferIn
            units = quantity.magnitude
            unitPrice = price
            cash = quantity.isNegative || amount.isZero ? nil : amount.magnitude
        case "cancel":
            activity = nil
        default:
            activity = cashIn
            investment = nil
            units = nil
        }
        guard let activity, let currency = PlaidMapping.currency(iso: plaid.isoCurrencyCode, unofficial: plaid.unofficialCurrencyCode) ?? Optional(account.currency) else { return nil }
        let row = InvestmentTransaction()
        row.id = UUID.timeOrdered()
        row.userID = userID
        row.portfolioID = portfolioID
        row.investmentID = [.buy, .sell, .dividend, .transferIn, .transferOut].contains(activity) ? investment : nil
        row.date = try PlaidMapping.date(plaid.date)
        row.activity = activity.rawValue
        row.quantity = row.investmentID == nil ? nil : units
        row.price = row.investmentID == nil ? nil : unitPrice
        row.amount = row.quantity == nil || activity == .transferIn ? cash : nil
        row.fees = fees
        row.currency = currency
        row.notes = String(plaid.name.prefix(2000))
        row.plaidInvestmentTransactionID = plaid.investmentTransactionId
        guard let event = row.event, event.problems.isEmpty else { return nil }
        return row
    }

    /// Rewrites the portfolio's reconciling rows so that its replay ends at the reported holdings
    /// and cash (the account's reported value less its holdings' value).
    private static func reconcile(_ portfolio: Portfolio, with holdings: [PlaidKit.Holding], account: Account,
                                  securities: [String: Investment], in scope: UserScope, today: LocalDate) async throws {
        let portfolioID = try portfolio.requireID()
        let previous = try await scope.query(InvestmentTransaction.self).filter(\.$portfolioID == portfolioID).all()
            .filter { $0.plaidInvestmentTransactionID.map(isReconciling) ?? false }
        for row in previous { try await row.delete(on: scope.db) }

        var reportedUnits: [UUID: Quantity] = [:]
        var reportedPrice: [UUID: Price] = [:]
        var reportedValue = Amount.zero
        for holding in holdings {
            guard let id = securities[holding.securityId]?.id else { continue }
            reportedUnits[id] = (reportedUnits[id] ?? .zero).adding(try PlaidMapping.exact(holding.quantity, as: Quantity.self))
            reportedPrice[id] = try PlaidMapping.exact(holding.institutionPrice, as: Price.self)
            reportedValue = reportedValue.adding(try PlaidMapping.exact(holding.institutionValue, as: Amount.self)) ?? reportedValue
        }

        let stored = try await scope.query(InvestmentTransaction.self).filter(\.$portfolioID == portfolioID).all()
        let start = (stored.map(\.date).min() ?? today).adding(days: -1)
        var rows: [InvestmentTransaction] = []
        for (security, units) in OpeningPositions.required(by: stored.compactMap(\.event)) {
            guard let id = UUID(uuidString: security) else { continue }
            let price = stored.filter { $0.investmentID == id }.sorted { $0.date < $1.date }.compactMap(\.price).first ?? reportedPrice[id] ?? .zero
            rows.append(reconciling(.transferIn, id: "\(openingPrefix)\(portfolioID):\(security)", security: id, units: units, price: price,
                                    cash: nil, on: start, portfolio: portfolio, note: "Units held before the institution's history begins"))
        }
        for row in rows { try await row.create(on: scope.db) }

        let ledger = try await PortfolioBook.load(portfolio, in: scope).ledger()
        var adjustments: [InvestmentTransaction] = []
        for id in Set(reportedUnits.keys).union(ledger.holdings.keys.compactMap(UUID.init(uuidString:))) {
            let held = ledger.holdings[id.uuidString]?.quantity ?? .zero
            let reported = reportedUnits[id] ?? .zero
            guard let difference = reported.subtracting(held), !difference.isZero else { continue }
            adjustments.append(reconciling(difference.isNegative ? .transferOut : .transferIn, id: "\(adjustmentPrefix)\(portfolioID):\(id)", security: id,
                                           units: difference.magnitude, price: reportedPrice[id] ?? .zero, cash: nil, on: today,
                                           portfolio: portfolio, note: "Units as the institution reports them"))
        }
        if let reportedCash = account.currentBalance.subtracting(reportedValue), let difference = reportedCash.subtracting(ledger.cash), !difference.isZero {
            adjustments.append(reconciling(difference.isNegative ? .transferOut : .transferIn, id: "\(adjustmentPrefix)\(portfolioID):cash", security: nil,
                                           units: nil, price: nil, cash: difference.magnitude, on: today,
                                           portfolio: portfolio, note: "Cash as the institution reports it"))
        }
        for row in adjustments { try await row.create(on: scope.db) }
    }

    private static func isReconciling(_ id: String) -> Bool {
        id.hasPrefix(openingPrefix) || id.hasPrefix(adjustmentPrefix)
    }

    private static func reconciling(_ activity: InvestmentActivity, id: String, security: UUID?, units: Quantity?, price: Price?, cash: Amount?,
                                    on date: LocalDate, portfolio: Portfolio, note: String) -> InvestmentTransaction {
        let row = InvestmentTransaction()
        row.id = UUID.timeOrdered()
        row.userID = portfolio.userID
        row.portfolioID = portfolio.id!
        row.investmentID = security
        row.date = date
        row.activity = activity.rawValue
        row.quantity = units
        row.price = price
        row.amount = cash
        row.fees = .zero
        row.currency = portfolio.currency
        row.notes = note
        row.plaidInvestmentTransactionID = id
        return row
    }
}
