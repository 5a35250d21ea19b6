import FinanceCore
import Fluent
import Foundation

/// One buy, sell, dividend, interest, fee, split or transfer of a portfolio.
final class InvestmentTransaction: UserOwnedModel, @unchecked Sendable {
    static let schema = "investment_transactions"

    @ID(key: .id) var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "portfolio_id") var portfolioID: UUID
    @OptionalField(key: "investment_id") var investmentID: UUID?
    @Field(key: "date") var date: LocalDate
    @Field(key: "activity") var activity: String
    @OptionalField(key: "quantity") var quantity: Quantity?
    @OptionalField(key: "price") var price: Price?
    @OptionalField(key: "amount") var amount: Amount?
    @Field(key: "fees") var fees: Amount
    @Field(key: "currency") var currency: CurrencyCode
    @OptionalField(key: "notes") var notes: String?
    @OptionalField(key: "plaid_investment_transaction_id") var plaidInvestmentTransactionID: String?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    /// As the domain's replay reads it.
    var event: InvestmentEvent? {
        guard let id, let activity = InvestmentActivity(rawValue: activity) else { return nil }
        return InvestmentEvent(id: id.uuidString, date: date, activity: activity, security: investmentID?.uuidString, quantity: quantity,
                               price: price, amount: amount, fees: fees, currency: currency)
    }
}
