import FinanceCore
import Fluent
import Foundation

/// A bank, card, loan or investment account: linked through Plaid or kept by hand.
final class Account: UserOwnedModel, @unchecked Sendable {
    static let schema = "accounts"

    @ID(key: .id) var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @OptionalField(key: "plaid_connection_id") var plaidConnectionID: UUID?
    @Field(key: "name") var name: String
    @Enum(key: "type") var type: AccountType
    @OptionalField(key: "subtype") var subtype: String?
    @Field(key: "currency") var currency: CurrencyCode
    @Field(key: "current_balance") var currentBalance: Amount
    @OptionalField(key: "available_balance") var availableBalance: Amount?
    @OptionalField(key: "credit_limit") var creditLimit: Amount?
    @Field(key: "opening_balance") var openingBalance: Amount
    @OptionalField(key: "institution_name") var institutionName: String?
    @OptionalField(key: "mask") var mask: String?
    @OptionalField(key: "plaid_account_id") var plaidAccountID: String?
    @Field(key: "is_hidden") var isHidden: Bool
    @Field(key: "is_closed") var isClosed: Bool
    @OptionalField(key: "balance_updated_at") var balanceUpdatedAt: Date?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    init(id: UUID? = nil, userID: UUID, name: String, type: AccountType, currency: CurrencyCode,
         currentBalance: Amount = .zero, openingBalance: Amount = .zero) {
        self.id = id
        self.userID = userID
        self.name = name
        self.type = type
        self.currency = currency
        self.currentBalance = currentBalance
        self.openingBalance = openingBalance
        self.isHidden = false
        self.isClosed = false
    }

    var balance: Money { Money(currentBalance, currency) }

    /// Kept by hand: its balance follows its transactions.
    var isManual: Bool { plaidConnectionID == nil }
}
