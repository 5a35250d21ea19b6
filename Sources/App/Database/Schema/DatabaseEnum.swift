import FinanceCore

/// A domain enum stored as a real enum type on PostgreSQL and as TEXT with a CHECK on SQLite.
struct DatabaseEnum: Sendable {
    let typeName: String
    let values: [String]

    init<E: CaseIterable & RawRepresentable>(_ type: E.Type, name: String) where E.RawValue == String {
        self.typeName = name
        self.values = E.allCases.map(\.rawValue)
    }

    static let accountType = DatabaseEnum(AccountType.self, name: "account_type")
    static let transactionCategory = DatabaseEnum(TransactionCategory.self, name: "transaction_category")
    static let investmentType = DatabaseEnum(InvestmentType.self, name: "investment_type")
    static let connectionStatus = DatabaseEnum(ConnectionStatus.self, name: "connection_status")
    static let auditAction = DatabaseEnum(AuditAction.self, name: "audit_action")

    static let all: [DatabaseEnum] = [accountType, transactionCategory, investmentType, connectionStatus, auditAction]

    var quotedValues: String { values.map { "'\($0)'" }.joined(separator: ", ") }
}
