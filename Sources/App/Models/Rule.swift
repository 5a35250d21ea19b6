import FinanceCore
import Fluent
import Foundation

/// A stored categorization rule (see `CategorizationRule` for what it means).
final class Rule: UserOwnedModel, @unchecked Sendable {
    static let schema = "categorization_rules"

    @ID(key: .id) var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "priority") var priority: Int
    @OptionalField(key: "match_field") var matchField: CategorizationRule.Field?
    @OptionalField(key: "match_kind") var matchKind: CategorizationRule.Match?
    @OptionalField(key: "match_value") var matchValue: String?
    @OptionalField(key: "min_amount") var minAmount: Amount?
    @OptionalField(key: "max_amount") var maxAmount: Amount?
    @OptionalField(key: "account_id") var accountID: UUID?
    @Enum(key: "category") var category: TransactionCategory
    @OptionalField(key: "detailed_category") var detailedCategory: String?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    var domain: CategorizationRule {
        var text: CategorizationRule.TextCondition?
        if let matchField, let matchKind, let matchValue { text = .init(field: matchField, match: matchKind, value: matchValue) }
        return CategorizationRule(
            id: id?.uuidString ?? "", priority: priority, text: text, minAmount: minAmount, maxAmount: maxAmount,
            accountID: accountID?.uuidString, category: category, detailedCategory: detailedCategory
        )
    }
}
