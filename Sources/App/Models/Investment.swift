import FinanceCore
import Fluent
import Foundation

/// A security (stock, fund, bond, coin...) as one user knows it.
final class Investment: UserOwnedModel, @unchecked Sendable {
    static let schema = "investments"

    @ID(key: .id) var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @OptionalField(key: "symbol") var symbol: String?
    @Field(key: "name") var name: String
    @Enum(key: "type") var type: InvestmentType
    @Field(key: "currency") var currency: CurrencyCode
    @OptionalField(key: "isin") var isin: String?
    @OptionalField(key: "cusip") var cusip: String?
    @OptionalField(key: "plaid_security_id") var plaidSecurityID: String?
    @OptionalField(key: "latest_price") var latestPrice: Price?
    @OptionalField(key: "latest_price_date") var latestPriceDate: LocalDate?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    init(id: UUID? = nil, userID: UUID, symbol: String?, name: String, type: InvestmentType, currency: CurrencyCode) {
        self.id = id
        self.userID = userID
        self.symbol = symbol
        self.name = name
        self.type = type
        self.currency = currency
    }
}
