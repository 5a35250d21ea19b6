import FinanceCore
import Testing

/// The problems a parse reports; records an issue when it unexpectedly succeeds.
func importProblems(
    sourceLocation: SourceLocation = #_sourceLocation,
    _ parse: () throws(ImportFailure) -> ImportedStatement
) -> [ImportProblem] {
    do {
        let statement = try parse()
        Issue.record("expected the import to fail, but it read \(statement.transactions.count) transactions", sourceLocation: sourceLocation)
        return []
    } catch {
        return error.problems
    }
}

/// One line per transaction, `line date amount description`, to compare whole statements at a glance.
func importSummary(_ statement: ImportedStatement) -> [String] {
    statement.transactions.map { "\($0.line) \($0.date) \($0.amount) \($0.description)" }
}

func importDay(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> LocalDate {
    try #require(LocalDate(iso8601: text), sourceLocation: sourceLocation)
}

func importAmount(_ text: String) throws -> Amount {
    try Amount(parsing: text)
}

/// The text as Windows-1252 bytes, as older bank software writes files; every character must be in Latin-1.
func windows1252Bytes(_ text: String) -> [UInt8] {
    text.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }
}
