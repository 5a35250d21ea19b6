/// Who chose a transaction's category. A category chosen by the user is never changed by a rule.
public enum CategorySource: String, CaseIterable, Codable, Sendable {
    /// Nothing chose one: `UNCATEGORIZED`, or what the transaction was created with.
    case `default`
    case user
    case rule
    case plaid
    case `import`
}
