/// A user's rule that categorizes transactions: when its conditions all hold, the transaction gets
/// its category. Text comparisons ignore case. Rules are tried in priority order (lowest first, then
/// the order they were made in); the first that matches wins.
public struct CategorizationRule: Sendable, Equatable {
    public enum Field: String, Sendable, CaseIterable, Codable {
        case description
        case merchant
    }

    public enum Match: String, Sendable, CaseIterable, Codable {
        case contains
        case equals
        case startsWith = "starts_with"
    }

    public struct TextCondition: Sendable, Equatable {
        public let field: Field
        public let match: Match
        public let value: String

        public init(field: Field, match: Match, value: String) {
            self.field = field
            self.match = match
            self.value = value
        }
    }

    public let id: String
    public let priority: Int
    public let text: TextCondition?
    public let minAmount: Amount?
    public let maxAmount: Amount?
    public let accountID: String?
    public let category: TransactionCategory
    public let detailedCategory: String?

    public init(id: String, priority: Int, text: TextCondition?, minAmount: Amount?, maxAmount: Amount?,
                accountID: String?, category: TransactionCategory, detailedCategory: String?) {
        self.id = id
        self.priority = priority
        self.text = text
        self.minAmount = minAmount
        self.maxAmount = maxAmount
        self.accountID = accountID
        self.category = category
        self.detailedCategory = detailedCategory
    }

    /// Whether the rule has at least one condition: a rule without any would categorize everything.
    public var hasCondition: Bool { text != nil || minAmount != nil || maxAmount != nil || accountID != nil }

    public func matches(_ transaction: CategorizableTransaction) -> Bool {
        guard hasCondition else { return false }
        if let accountID, accountID != transaction.accountID { return false }
        if let minAmount, transaction.amount < minAmount { return false }
        if let maxAmount, transaction.amount > maxAmount { return false }
        if let text {
            let subject: String?
            switch text.field {
            case .description: subject = transaction.description
            case .merchant: subject = transaction.merchantName
            }
            guard let subject else { return false }
            let haystack = subject.lowercased(), needle = text.value.lowercased()
            switch text.match {
            case .contains: if !haystack.contains(needle) { return false }
            case .equals: if haystack.trimmingWhitespace() != needle.trimmingWhitespace() { return false }
            case .startsWith: if !haystack.trimmingWhitespace().hasPrefix(needle) { return false }
            }
        }
        return true
    }
}

/// What a rule looks at in a transaction.
public struct CategorizableTransaction: Sendable {
    public let accountID: String
    public let amount: Amount
    public let description: String
    public let merchantName: String?

    public init(accountID: String, amount: Amount, description: String, merchantName: String?) {
        self.accountID = accountID
        self.amount = amount
        self.description = description
        self.merchantName = merchantName
    }
}

/// A user's rules, in the order they are tried.
public struct RuleSet: Sendable {
    public let rules: [CategorizationRule]

    /// `rules` in any order; ties in priority keep their given order (the order they were made in).
    public init(_ rules: [CategorizationRule]) {
        self.rules = rules.enumerated().sorted { ($0.element.priority, $0.offset) < ($1.element.priority, $1.offset) }.map(\.element)
    }

    /// The first rule that matches, if any.
    public func firstMatch(for transaction: CategorizableTransaction) -> CategorizationRule? {
        rules.first { $0.matches(transaction) }
    }
}
