import FinanceCore
import Fluent
import Foundation

/// One import of a bank file into an account.
final class StatementImport: UserOwnedModel, @unchecked Sendable {
    static let schema = "statement_imports"

    @ID(key: .id) var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "account_id") var accountID: UUID
    @Field(key: "format") var format: String
    @Field(key: "added_count") var addedCount: Int
    @Field(key: "skipped_count") var skippedCount: Int
    @OptionalField(key: "ledger_balance") var ledgerBalance: Amount?
    @OptionalField(key: "ledger_balance_date") var ledgerBalanceDate: LocalDate?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}
}
