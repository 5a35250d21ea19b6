import FinanceAPI
import FinanceCore
import Fluent
import Foundation

extension APIHandler {
    func listPortfolios(_ input: Operations.ListPortfolios.Input) async throws -> Operations.ListPortfolios.Output {
        let items = try await Authentication.withUser(app) { scope, _ in
            let portfolios = try await scope.query(Portfolio.self).sort(\.$name).sort(\.$id).all()
            var items: [Components.Schemas.Portfolio] = []
            for portfolio in portfolios { items.append(try await PortfolioRepresentation.make(portfolio, in: scope)) }
            return items
        }
        return .ok(.init(body: .json(.init(items: items))))
    }

    func createPortfolio(_ input: Operations.CreatePortfolio.Input) async throws -> Operations.CreatePortfolio.Output {
        guard case .json(let body) = input.body else { throw APIError.malformedBody("expected JSON") }
        var form = FieldValidator()
        let name = form.name(body.name, field: "name")
        let currency = form.currency(body.currency, field: "currency")
        let accountID = form.uuid(body.accountId, field: "account_id")
        try form.check()
        guard let name, let currency else { throw APIError.validation(form.problems) }
        let method = body.costBasisMethod.map(\.rawValue) ?? CostBasisMethod.fifo.rawValue
        let result = try await Authentication.withUser(app) { scope, _ in
            let portfolio = Portfolio(id: UUID.timeOrdered(), userID: scope.userID, name: name, currency: currency)
            portfolio.costBasisMethod = method
            if let accountID { portfolio.accountID = try await Self.investmentAccount(accountID, for: nil, in: scope) }
            try await scope.create(portfolio, entityType: "portfolio")
            scope.changes.portfolioChanged(try portfolio.requireID())
            return try await PortfolioRepresentation.make(portfolio, in: scope)
        }
        return .created(.init(body: .json(result)))
    }

    func getPortfolio(_ input: Operations.GetPortfolio.Input) async throws -> Operations.GetPortfolio.Output {
        let id = try PathID.parse(input.path.id)
        let result = try await Authentication.withUser(app) { scope, _ in
            try await PortfolioRepresentation.make(try await scope.find(Portfolio.self, id, name: "portfolio"), in: scope)
        }
        return .ok(.init(body: .json(result)))
    }

    func updatePortfolio(_ input: Operations.UpdatePortfolio.Input) async throws -> Operations.UpdatePortfolio.Output {
        let id = try PathID.parse(input.path.id)
        guard case .json(let body) = input.body else { throw APIError.malformedBody("expected JSON") }
        var form = FieldValidator()
        let name = body.name.flatMap { form.name($0, field: "name") }
        let accountID = body.accountId.flatMap { $0.isEmpty ? nil : form.uuid($0, field: "account_id") }
        try form.check()
        let result = try await Authentication.withUser(app) { scope, _ in
            let portfolio = try await scope.find(Portfolio.self, id, name: "portfolio")
            let before = PortfolioRepresentation.auditView(portfolio)
            if let name { portfolio.name = name }
            if let method = body.costBasisMethod?.rawValue, method != portfolio.costBasisMethod {
                portfolio.costBasisMethod = method
                try await portfolio.update(on: scope.db)
                // The holdings' cost basis follows the method.
                if try await PortfolioHoldings.followTransactions(id, in: scope) {
                    try await PortfolioHoldings.rebuild(portfolio, in: scope)
                }
            }
            let untied = portfolio.accountID
            if let text = body.accountId {
                portfolio.accountID = text.isEmpty ? nil : try await Self.investmentAccount(accountID!, for: id, in: scope)
            }
            try await scope.save(portfolio, entityType: "portfolio", before: before, view: PortfolioRepresentation.auditView)
            if let untied, untied != portfolio.accountID {
                // The account it leaves follows its own ledger again.
                scope.changes.historyChanged(of: untied)
            }
            scope.changes.portfolioChanged(try portfolio.requireID())
            return try await PortfolioRepresentation.make(portfolio, in: scope)
        }
        return .ok(.init(body: .json(result)))
    }

    func deletePortfolio(_ input: Operations.DeletePortfolio.Input) async throws -> Operations.DeletePortfolio.Output {
        let id = try PathID.parse(input.path.id)
        try await Authentication.withUser(app) { scope, _ in
            let portfolio = try await scope.find(Portfolio.self, id, name: "portfolio")
            let tied = portfolio.accountID
            try await scope.delete(portfolio, entityType: "portfolio", view: PortfolioRepresentation.auditView)
            if let tied { scope.changes.historyChanged(of: tied) }
        }
        return .noContent(.init())
    }

    /// An account of the user's that a portfolio may be tied to: an investment-type account that no
    /// other portfolio is tied to.
    private static func investmentAccount(_ id: UUID, for portfolio: UUID?, in scope: UserScope) async throws -> UUID {
        let account = try await scope.find(Account.self, id, name: "account")
        guard [.investment, .retirement, .crypto].contains(account.type) else {
            throw APIError.validation(["account_id": "is a \(account.type.rawValue) account, not an investment account"])
        }
        if let other = try await scope.query(Portfolio.self).filter(\.$accountID == id).first(), other.id != portfolio {
            throw APIError(.conflict, code: "conflict", message: "Another portfolio is tied to that account.", fields: ["account_id": "is taken"])
        }
        return id
    }

    // MARK: Holdings entered by hand

    func listPortfolioItems(_ input: Operations.ListPortfolioItems.Input) async throws -> Operations.ListPortfolioItems.Output {
        let id = try PathID.parse(input.path.id)
        let (currency, items) = try await Authentication.withUser(app) { scope, _ in
            let portfolio = try await scope.find(Portfolio.self, id, name: "portfolio")
            return (portfolio.currency, try await scope.query(PortfolioItem.self).filter(\.$portfolioID == id).sort(\.$id).all())
        }
        return .ok(.init(body: .json(.init(currency: currency.code, items: try items.map { try PortfolioItemRepresentation.make($0, currency) }))))
    }

    func createPortfolioItem(_ input: Operations.CreatePortfolioItem.Input) async throws -> Operations.CreatePortfolioItem.Output {
        let id = try PathID.parse(input.path.id)
        guard case .json(let body) = input.body else { throw APIError.malformedBody("expected JSON") }
        var form = FieldValidator()
        let investmentID = form.uuid(body.investmentId, field: "investment_id")
        let quantity = form.quantity(body.quantity, field: "quantity")
        let cost = form.amount(body.costBasis, field: "cost_basis")
        if cost?.isNegative == true { form.fail("cost_basis", "must not be negative") }
        try form.check()
        guard let investmentID, let quantity else { throw APIError.validation(form.problems) }
        let (item, currency) = try await Authentication.withUser(app) { scope, _ in
            let portfolio = try await Self.handEditable(id, in: scope)
            _ = try await scope.find(Investment.self, investmentID, name: "investment")
            if try await scope.query(PortfolioItem.self).filter(\.$portfolioID == id).filter(\.$investmentID == investmentID).first() != nil {
                throw APIError(.conflict, code: "conflict", message: "The portfolio already holds that security; change its holding instead.",
                               fields: ["investment_id": "is held already"])
            }
            let item = PortfolioItem(id: UUID.timeOrdered(), userID: scope.userID, portfolioID: id, investmentID: investmentID,
                                     quantity: quantity, costBasis: cost)
            try await scope.create(item, entityType: "portfolio_item")
            scope.changes.portfolioChanged(try portfolio.requireID())
            return (item, portfolio.currency)
        }
        return .created(.init(body: .json(try PortfolioItemRepresentation.make(item, currency))))
    }

    func updatePortfolioItem(_ input: Operations.UpdatePortfolioItem.Input) async throws -> Operations.UpdatePortfolioItem.Output {
        let id = try PathID.parse(input.path.id), itemID = try PathID.parse(input.path.itemId)
        guard case .json(let body) = input.body else { throw APIError.malformedBody("expected JSON") }
        var form = FieldValidator()
        let quantity = form.quantity(body.quantity, field: "quantity")
        let cost = form.amount(body.costBasis, field: "cost_basis")
        if cost?.isNegative == true { form.fail("cost_basis", "must not be negative") }
        try form.check()
        let (item, currency) = try await Authentication.withUser(app) { scope, _ in
            let portfolio = try await scope.find(Portfolio.self, id, name: "portfolio")
            let item = try await Self.item(itemID, of: id, in: scope)
            _ = try await Self.handEditable(id, in: scope)
            let before = PortfolioItemRepresentation.auditView(item)
            if let quantity { item.quantity = quantity }
            if let cost { item.costBasis = cost }
            try await scope.save(item, entityType: "portfolio_item", before: before, view: PortfolioItemRepresentation.auditView)
            scope.changes.portfolioChanged(try portfolio.requireID())
            return (item, portfolio.currency)
        }
        return .ok(.init(body: .json(try PortfolioItemRepresentation.make(item, currency))))
    }

    func deletePortfolioItem(_ input: Operations.DeletePortfolioItem.Input) async throws -> Operations.DeletePortfolioItem.Output {
        let id = try PathID.parse(input.path.id), itemID = try PathID.parse(input.path.itemId)
        try await Authentication.withUser(app) { scope, _ in
            _ = try await scope.find(Portfolio.self, id, name: "portfolio")
            let item = try await Self.item(itemID, of: id, in: scope)
            let portfolio = try await Self.handEditable(id, in: scope)
            try await scope.delete(item, entityType: "portfolio_item", view: PortfolioItemRepresentation.auditView)
            scope.changes.portfolioChanged(try portfolio.requireID())
        }
        return .noContent(.init())
    }

    private static func item(_ id: UUID, of portfolio: UUID, in scope: UserScope) async throws -> PortfolioItem {
        guard let item = try await scope.query(PortfolioItem.self).filter(\.$id == id).filter(\.$portfolioID == portfolio).first() else {
            throw APIError.notFound("holding")
        }
        return item
    }

    /// The portfolio, if its holdings are entered by hand (it has no transactions).
    private static func handEditable(_ id: UUID, in scope: UserScope) async throws -> Portfolio {
        let portfolio = try await scope.find(Portfolio.self, id, name: "portfolio")
        if try await PortfolioHoldings.followTransactions(id, in: scope) {
            throw APIError(.conflict, code: "holdings_follow_transactions",
                           message: "This portfolio's holdings follow its transactions; record a transaction instead.")
        }
        return portfolio
    }

    // MARK: Investment transactions

    func listInvestmentTransactions(_ input: Operations.ListInvestmentTransactions.Input) async throws -> Operations.ListInvestmentTransactions.Output {
        let id = try PathID.parse(input.path.id)
        let transactions = try await Authentication.withUser(app) { scope, _ in
            _ = try await scope.find(Portfolio.self, id, name: "portfolio")
            return try await scope.query(InvestmentTransaction.self).filter(\.$portfolioID == id).sort(\.$date).sort(\.$id).all()
        }
        return .ok(.init(body: .json(.init(items: try transactions.map(InvestmentTransactionRepresentation.make)))))
    }

    func createInvestmentTransaction(_ input: Operations.CreateInvestmentTransaction.Input) async throws -> Operations.CreateInvestmentTransaction.Output {
        let id = try PathID.parse(input.path.id)
        guard case .json(let body) = input.body else { throw APIError.malformedBody("expected JSON") }
        var form = FieldValidator()
        let date = form.date(body.date, field: "date")
        let investmentID = form.uuid(body.investmentId, field: "investment_id")
        let quantity = form.quantity(body.quantity, field: "quantity")
        let price = form.price(body.price, field: "price")
        let amount = form.amount(body.amount, field: "amount")
        let fees = form.amount(body.fees, field: "fees") ?? .zero
        let currency = body.currency.flatMap { form.currency($0, field: "currency") }
        let notes = form.text(body.notes, field: "notes", max: 2000)
        try form.check()
        guard let date, let activity = InvestmentActivity(rawValue: body.activity.rawValue) else { throw APIError.validation(form.problems) }
        let problems = InvestmentEvent(id: "new", date: date, activity: activity, security: investmentID?.uuidString, quantity: quantity,
                                       price: price, amount: amount, fees: fees, currency: currency ?? .usd).problems
        guard problems.isEmpty else { throw APIError.validation(problems) }

        let transaction = try await Authentication.withUser(app) { scope, _ in
            let portfolio = try await scope.find(Portfolio.self, id, name: "portfolio")
            var security: Investment?
            if let investmentID { security = try await scope.find(Investment.self, investmentID, name: "investment") }
            if try await !PortfolioHoldings.followTransactions(id, in: scope),
               try await scope.query(PortfolioItem.self).filter(\.$portfolioID == id).first() != nil {
                throw APIError(.conflict, code: "holdings_entered_by_hand",
                               message: "This portfolio's holdings were entered by hand; remove them before recording transactions.")
            }
            let transaction = InvestmentTransaction()
            transaction.id = UUID.timeOrdered()
            transaction.portfolioID = id
            transaction.investmentID = investmentID
            transaction.date = date
            transaction.activity = activity.rawValue
            transaction.quantity = quantity
            transaction.price = price
            transaction.amount = amount
            transaction.fees = fees
            transaction.currency = currency ?? security?.currency ?? portfolio.currency
            transaction.notes = notes.flatMap { $0.isEmpty ? nil : $0 }
            try await scope.create(transaction, entityType: "investment_transaction")
            // Replaying every transaction refuses an oversell, and the request's database transaction
            // then takes the new row back with it.
            try await PortfolioHoldings.rebuild(portfolio, in: scope)
            scope.changes.portfolioChanged(try portfolio.requireID())
            return transaction
        }
        return .created(.init(body: .json(try InvestmentTransactionRepresentation.make(transaction))))
    }

    func deleteInvestmentTransaction(_ input: Operations.DeleteInvestmentTransaction.Input) async throws -> Operations.DeleteInvestmentTransaction.Output {
        let id = try PathID.parse(input.path.id), transactionID = try PathID.parse(input.path.transactionId)
        try await Authentication.withUser(app) { scope, _ in
            let portfolio = try await scope.find(Portfolio.self, id, name: "portfolio")
            guard let transaction = try await scope.query(InvestmentTransaction.self).filter(\.$id == transactionID)
                .filter(\.$portfolioID == id).first() else { throw APIError.notFound("investment transaction") }
            try await scope.delete(transaction, entityType: "investment_transaction", view: InvestmentTransactionRepresentation.auditView)
            try await PortfolioHoldings.rebuild(portfolio, in: scope)
            scope.changes.portfolioChanged(try portfolio.requireID())
        }
        return .noContent(.init())
    }
}
