/// Something wrong with one place in a statement file, worded for the person who has to fix the file.
public struct ImportProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// 1-based line of the file; 0 when the problem concerns the whole file or the column mapping.
    public let line: Int
    /// The field at fault: a mapping role (`date`, `amount`, `debit`, `credit`, `description`, …), a header
    /// name the mapping refers to, an OFX element (`FITID`, `DTPOSTED`, `TRNAMT`, …), or `nil`.
    public let field: String?
    public let message: String

    public init(line: Int, field: String? = nil, message: String) {
        self.line = line
        self.field = field
        self.message = message
    }

    /// `line 12 (amount): "12,5x" is not an amount like -1,234.56`
    public var description: String {
        let place = line > 0 ? "line \(line)" : "file"
        let fieldPart = field.map { " (\($0))" } ?? ""
        return "\(place)\(fieldPart): \(message)"
    }
}

/// Why a file could not be imported: every problem found, in line order, so that a person can fix the
/// whole file in one go. Nothing is imported from a file that has any problem.
public struct ImportFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public let problems: [ImportProblem]

    public init(problems: [ImportProblem]) {
        self.problems = problems
    }

    /// Sorts the problems by line, keeping the order in which they were found within a line.
    init(sorting problems: [ImportProblem]) {
        self.problems = problems.enumerated()
            .sorted { ($0.element.line, $0.offset) < ($1.element.line, $1.offset) }
            .map(\.element)
    }

    public var description: String {
        problems.map(\.description).joined(separator: "\n")
    }
}
