import FinanceCore
import Testing

@Suite("Categorization rules")
struct CategorizationRuleTests {
    func rule(_ id: String, priority: Int = 100, field: CategorizationRule.Field = .merchant, match: CategorizationRule.Match = .contains,
              value: String? = "coffee", min: String? = nil, max: String? = nil, account: String? = nil,
              category: TransactionCategory = .foodAndDrink) throws -> CategorizationRule {
        CategorizationRule(
            id: id, priority: priority, text: value.map { .init(field: field, match: match, value: $0) },
            minAmount: try min.map { try Amount(parsing: $0) }, maxAmount: try max.map { try Amount(parsing: $0) },
            accountID: account, category: category, detailedCategory: nil
        )
    }

    func transaction(_ description: String, merchant: String? = nil, amount: String = "-4.50", account: String = "A") throws -> CategorizableTransaction {
        CategorizableTransaction(accountID: account, amount: try Amount(parsing: amount), description: description, merchantName: merchant)
    }

    @Test("Text conditions ignore case", arguments: [
        (CategorizationRule.Match.contains, "COFFEE", "Corner Coffee Co", true),
        (.contains, "coffee", "Tea House", false),
        (.equals, "corner coffee", "Corner Coffee", true),
        (.equals, "corner", "Corner Coffee", false),
        (.startsWith, "CORNER", "corner coffee", true),
        (.startsWith, "coffee", "Corner Coffee", false),
    ])
    func textMatching(match: CategorizationRule.Match, value: String, merchant: String, expected: Bool) throws {
        let rule = try rule("r", match: match, value: value)
        #expect(rule.matches(try transaction("POS 1234", merchant: merchant)) == expected)
    }

    @Test("Description rules read the description; merchant rules need a merchant")
    func fields() throws {
        let byDescription = try rule("d", field: .description, value: "payroll")
        #expect(byDescription.matches(try transaction("ACME PAYROLL JAN")))
        let byMerchant = try rule("m", field: .merchant, value: "payroll")
        #expect(!byMerchant.matches(try transaction("ACME PAYROLL JAN", merchant: nil)))
    }

    @Test("Amount ranges are inclusive and signed; account conditions pin one account")
    func amountsAndAccounts() throws {
        let small = try rule("s", value: nil, min: "-10", max: "-1")
        #expect(small.matches(try transaction("x", amount: "-10")))
        #expect(small.matches(try transaction("x", amount: "-1")))
        #expect(!small.matches(try transaction("x", amount: "-10.01")))
        #expect(!small.matches(try transaction("x", amount: "5")))
        let pinned = try rule("p", value: nil, account: "B")
        #expect(pinned.matches(try transaction("x", account: "B")))
        #expect(!pinned.matches(try transaction("x", account: "A")))
        let all = try rule("all", value: "coffee", min: "-5", account: "A")
        #expect(all.matches(try transaction("x", merchant: "Coffee", amount: "-4.50", account: "A")))
        #expect(!all.matches(try transaction("x", merchant: "Coffee", amount: "-6", account: "A")))
    }

    @Test("A rule with no condition matches nothing")
    func noCondition() throws {
        let empty = try rule("e", value: nil)
        #expect(!empty.hasCondition)
        #expect(!empty.matches(try transaction("anything", merchant: "anything")))
    }

    @Test("The lowest priority wins; ties go to the rule made first")
    func priority() throws {
        let set = RuleSet([
            try rule("late-general", priority: 100, value: "coffee", category: .foodAndDrink),
            try rule("specific", priority: 10, value: "coffee", min: "-5", category: .entertainment),
            try rule("tie-second", priority: 100, value: "co", category: .travel),
        ])
        #expect(set.firstMatch(for: try transaction("x", merchant: "Coffee", amount: "-4"))?.id == "specific")
        #expect(set.firstMatch(for: try transaction("x", merchant: "Coffee", amount: "-40"))?.id == "late-general")
        #expect(set.firstMatch(for: try transaction("x", merchant: "Tea", amount: "-40")) == nil)
    }
}
