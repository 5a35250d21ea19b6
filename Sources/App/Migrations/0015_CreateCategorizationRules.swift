import FinanceCore

/// Users' rules that categorize transactions (see `CategorizationRule`).
struct CreateCategorizationRules: TableMigration {
    static let isUserOwned = true

    static let table = TableSchema("categorization_rules") { t in
        t.id()
        t.owner(indexed: false)
        t.column("priority", .integer, default: "100")
        t.column("match_field", .text, nullable: true)
        t.column("match_kind", .text, nullable: true)
        t.column("match_value", .text, nullable: true)
        t.column("min_amount", .amount, nullable: true)
        t.column("max_amount", .amount, nullable: true)
        t.column("account_id", .uuid, nullable: true)
        t.column("category", .enumeration(.transactionCategory))
        t.column("detailed_category", .text, nullable: true)
        t.timestamps()
        // A rule for one account goes with it.
        t.foreignKey(["account_id", "user_id"], references: "accounts", ["id", "user_id"], onDelete: "CASCADE")
        let fields = CategorizationRule.Field.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        let kinds = CategorizationRule.Match.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        t.check("match_field", "match_field IS NULL OR match_field IN (\(fields))")
        t.check("match_kind", "match_kind IS NULL OR match_kind IN (\(kinds))")
        t.check("text_condition", "(match_field IS NULL) = (match_kind IS NULL) AND (match_field IS NULL) = (match_value IS NULL)")
        t.check("match_value", "match_value IS NULL OR length(match_value) BETWEEN 1 AND 200")
        t.check("has_condition", "match_field IS NOT NULL OR min_amount IS NOT NULL OR max_amount IS NOT NULL OR account_id IS NOT NULL")
        t.check("amount_range", "min_amount IS NULL OR max_amount IS NULL OR min_amount <= max_amount")
        t.index(["user_id", "priority"])
    }
}
