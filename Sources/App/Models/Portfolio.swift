import FinanceCore
import Fluent
import Foundation

/// A set of holdings, possibly the mirror of one investment account.
final class Portfolio: UserOwnedModel, @unchecked Sendable {
    static let schema = "portfolios"

    @ID(key: .id) var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "name") var name: String
    @OptionalField(key: "account_id") var accountID: UUID?
    @Field(key: "currency") var currency: CurrencyCode
    @Field(key: "cost_basis_method") var costBasisMethod: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    init(id: UUID? = nil, userID: UUID, name: String, accountID: UUID? = nil, currency: CurrencyCode) {
        self.costBasisMethod = CostBasisMethod.fifo.rawValue
        self.id = id
        self.userID = userID
        self.name = name
        self.accountID = accountID
        self.currency = currency
    }
}

/// A holding: a quantity of one security in one portfolio, and what it cost.
final class PortfolioItem: UserOwnedModel, @unchecked Sendable {
    static let schema = "portfolio_items"

    @ID(key: .id) var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "portfolio_id") var portfolioID: UUID
    @Field(key: "investment_id") var investmentID: UUID
    @Field(key: "quantity") var quantity: Quantity
    @OptionalField(key: "cost_basis") var costBasis: Amount?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    init(id: UUID? = nil, userID: UUID, portfolioID: UUID, investmentID: UUID, quantity: Quantity, costBasis: Amount?) {
        self.id = id
        self.userID = userID
        self.portfolioID = portfolioID
        self.investmentID = investmentID
        self.quantity = quantity
        self.costBasis = costBasis
    }
}
