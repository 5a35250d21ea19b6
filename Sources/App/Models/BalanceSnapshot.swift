import FinanceCore
import Fluent
import Foundation

/// An account's balance at the end of one day.
final class BalanceSnapshot: Model, @unchecked Sendable {
    static let schema = "balance_snapshots"

    @ID(key: .id) var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "account_id") var accountID: UUID
    @Field(key: "date") var date: LocalDate
    @Field(key: "current_balance") var currentBalance: Amount
    @OptionalField(key: "available_balance") var availableBalance: Amount?
    /// The day's change: the sum of every row's change up to a day is the balance that day.
    @Field(key: "change") var change: Amount
    @Field(key: "currency") var currency: CurrencyCode
    /// Whether the account is a liability (its type, which never changes).
    @Field(key: "liability") var liability: Bool
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}
}
