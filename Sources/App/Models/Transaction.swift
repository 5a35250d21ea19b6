import FinanceCore
import Fluent
import Foundation

/// One movement of money in an account. Negative amounts leave the account.
final class Transaction: UserOwnedModel, @unchecked Sendable {
    static let schema = "transactions"

    @ID(key: .id) var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "account_id") var accountID: UUID
    @Field(key: "date") var date: LocalDate
    @OptionalField(key: "authorized_date") var authorizedDate: LocalDate?
    @Field(key: "amount") var amount: Amount
    @Field(key: "currency") var currency: CurrencyCode
    @Field(key: "description") var description: String
    @OptionalField(key: "merchant_name") var merchantName: String?
    @Enum(key: "category") var category: TransactionCategory
    @OptionalField(key: "detailed_category") var detailedCategory: String?
    @Field(key: "pending") var pending: Bool
    @OptionalField(key: "plaid_transaction_id") var plaidTransactionID: String?
    @OptionalField(key: "pending_transaction_id") var pendingTransactionID: String?
    @OptionalField(key: "notes") var notes: String?
    @Field(key: "category_source") var categorySource: CategorySource
    @OptionalField(key: "import_key") var importKey: String?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    init(id: UUID? = nil, userID: UUID, accountID: UUID, date: LocalDate, amount: Money, description: String,
         category: TransactionCategory = .uncategorized, pending: Bool = false) {
        self.id = id
        self.userID = userID
        self.accountID = accountID
        self.date = date
        self.amount = amount.amount
        self.currency = amount.currency
        self.description = description
        self.category = category
        self.categorySource = .default
        self.pending = pending
    }

    var money: Money { Money(amount, currency) }
}
