/// Which columns of a bank's CSV export hold what, and how the bank writes days and amounts.
///
/// Columns are named by their header text (compared case-insensitively, ignoring surrounding spaces) when
/// `hasHeader` is true, and by 0-based position written as a string (`"0"`, `"3"`) when it is false.
/// A mapping names either one `amount` column or `debit` and/or `credit` columns, never both.
/// An optional column reference that is empty or only spaces counts as not mapped.
public struct CSVMapping: Sendable, Equatable {
    public var date: String
    /// Signed amounts, negative for money out (unless `negateAmounts`).
    public var amount: String?
    /// Money out, whichever sign the bank writes it with: it becomes a negative amount.
    public var debit: String?
    /// Money in: it becomes a positive amount.
    public var credit: String?
    public var description: String
    public var merchant: String?
    /// Read when it is a `TransactionCategory` raw value in any letter case, such as `food_and_drink`.
    public var category: String?
    public var dateFormat: CSVDateFormat
    public var decimalSeparator: DecimalSeparator
    /// `nil` picks whichever of `,` `;` and tab occurs most in the first line.
    public var delimiter: Character?
    public var hasHeader: Bool
    /// For banks, often credit card issuers, that write charges as positive numbers in a single amount column.
    /// Debit and credit columns already say which way money moved, so it cannot be combined with them.
    public var negateAmounts: Bool

    public init(
        date: String,
        amount: String? = nil,
        debit: String? = nil,
        credit: String? = nil,
        description: String,
        merchant: String? = nil,
        category: String? = nil,
        dateFormat: CSVDateFormat = .iso,
        decimalSeparator: DecimalSeparator = .point,
        delimiter: Character? = nil,
        hasHeader: Bool = true,
        negateAmounts: Bool = false
    ) {
        self.date = date
        self.amount = amount
        self.debit = debit
        self.credit = credit
        self.description = description
        self.merchant = merchant
        self.category = category
        self.dateFormat = dateFormat
        self.decimalSeparator = decimalSeparator
        self.delimiter = delimiter
        self.hasHeader = hasHeader
        self.negateAmounts = negateAmounts
    }
}

/// How a CSV writes its days. Years always have four digits; day and month may have one or two.
public enum CSVDateFormat: String, Sendable, CaseIterable {
    /// `2024-01-31`
    case iso
    /// `31.01.2024`, `31/01/2024` or `31-01-2024`
    case dayMonthYear = "dmy"
    /// `01/31/2024` (also with `-` or `.` between the parts)
    case monthDayYear = "mdy"
}

/// The character between whole units and fractions. The other one of `.` and `,` may group thousands,
/// as may spaces and apostrophes (`1 234,56`, `1'234.56`).
public enum DecimalSeparator: String, Sendable {
    /// `-1,234.56`
    case point
    /// `-1.234,56`
    case comma
}

/// The roles a mapping can give to a column, in the order problems about them are reported.
enum CSVColumnRole: String, CaseIterable {
    case date, amount, debit, credit, description, merchant, category
}

/// A mapping checked against a header (or against nothing, for files without one): each mapped role's
/// 0-based column.
struct CSVColumns {
    /// Indexed by the role's position in `CSVColumnRole.allCases`: looked up for every field of every row.
    private let indexByRole: [Int?]
    /// The number of fields a row needs for every mapped column to be present.
    let requiredFieldCount: Int

    init(indexByRole: [CSVColumnRole: Int]) {
        self.indexByRole = CSVColumnRole.allCases.map { indexByRole[$0] }
        requiredFieldCount = (indexByRole.values.max() ?? -1) + 1
    }

    subscript(role: CSVColumnRole) -> Int? { indexByRole[role.position] }
}

private extension CSVColumnRole {
    var position: Int {
        switch self {
        case .date: 0
        case .amount: 1
        case .debit: 2
        case .credit: 3
        case .description: 4
        case .merchant: 5
        case .category: 6
        }
    }
}

extension CSVMapping {
    /// The mapped roles and their column references, with blank optional references left out.
    var references: [(role: CSVColumnRole, reference: String)] {
        CSVColumnRole.allCases.compactMap { role in
            let reference: String? = switch role {
            case .date: date
            case .amount: amount
            case .debit: debit
            case .credit: credit
            case .description: description
            case .merchant: merchant
            case .category: category
            }
            guard let reference else { return nil }
            let trimmed = ImportText.trimmed(reference)
            if trimmed.isEmpty, role != .date, role != .description { return nil }
            return (role, trimmed)
        }
    }

    /// Problems with the mapping itself, whatever the file holds.
    var problems: [ImportProblem] {
        var problems: [ImportProblem] = []
        let mapped = Dictionary(uniqueKeysWithValues: references.map { ($0.role, $0.reference) })

        for role in [CSVColumnRole.date, .description] where mapped[role]?.isEmpty ?? true {
            problems.append(ImportProblem(line: 0, field: role.rawValue, message: "no column is mapped to the \(role.rawValue)"))
        }
        let hasAmount = mapped[.amount] != nil
        let hasDebitOrCredit = mapped[.debit] != nil || mapped[.credit] != nil
        if hasAmount, hasDebitOrCredit {
            problems.append(ImportProblem(line: 0, field: "amount", message: "map either an amount column or debit and credit columns, not both"))
        } else if !hasAmount, !hasDebitOrCredit {
            problems.append(ImportProblem(line: 0, field: "amount", message: "map an amount column, or a debit column and/or a credit column"))
        }
        if let debit = mapped[.debit], let credit = mapped[.credit], debit.lowercased() == credit.lowercased() {
            problems.append(ImportProblem(line: 0, field: "credit", message: "the debit and credit columns must be different columns"))
        }
        if negateAmounts, hasDebitOrCredit {
            problems.append(ImportProblem(
                line: 0, field: "negateAmounts",
                message: "negating applies to a single amount column; debit and credit columns already say which way money moved"
            ))
        }
        if !hasHeader {
            for (role, reference) in references where !reference.isEmpty && Self.columnNumber(reference) == nil {
                problems.append(ImportProblem(
                    line: 0, field: role.rawValue,
                    message: "without a header row, columns are numbered from 0; \"\(reference)\" is not a column number"
                ))
            }
        }
        if let delimiter {
            let scalars = delimiter.unicodeScalars
            if scalars.count != 1 || delimiter == "\"" || delimiter.isNewline {
                problems.append(ImportProblem(line: 0, field: "delimiter", message: "a delimiter must be a single character other than a quote or a line break"))
            }
        }
        return problems
    }

    /// Resolves column references against a header row. Problems are reported on the header's line,
    /// with the missing column's name as the field.
    func columns(header: CSVRecord) -> Result<CSVColumns, ImportFailure> {
        // A name the header uses twice stands for its first column.
        var firstIndexByName: [String: Int] = [:]
        for (index, name) in header.fields.enumerated() {
            let key = ImportText.trimmed(name).lowercased()
            if firstIndexByName[key] == nil { firstIndexByName[key] = index }
        }
        var indexByRole: [CSVColumnRole: Int] = [:]
        var problems: [ImportProblem] = []
        for (role, reference) in references {
            if let index = firstIndexByName[reference.lowercased()] {
                indexByRole[role] = index
            } else {
                let available = header.fields.map { ImportText.trimmed($0) }.filter { !$0.isEmpty }.joined(separator: ", ")
                problems.append(ImportProblem(
                    line: header.line, field: reference,
                    message: "the header has no column \"\(reference)\" (mapped as \(role.rawValue)); its columns are: \(available)"
                ))
            }
        }
        return problems.isEmpty ? .success(CSVColumns(indexByRole: indexByRole)) : .failure(ImportFailure(problems: problems))
    }

    /// Column numbers for a file without a header; `problems` has already refused anything else.
    var numberedColumns: CSVColumns {
        var indexByRole: [CSVColumnRole: Int] = [:]
        for (role, reference) in references {
            if let index = Self.columnNumber(reference) { indexByRole[role] = index }
        }
        return CSVColumns(indexByRole: indexByRole)
    }

    private static func columnNumber(_ reference: String) -> Int? {
        guard !reference.isEmpty, reference.utf8.count <= 6,
              reference.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return Int(reference)
    }
}
