/// Turns the records of a CSV export into transactions, following a `CSVMapping`.
enum CSVStatementReader {
    static func read(_ text: Substring, mapping: CSVMapping) throws(ImportFailure) -> ImportedStatement {
        let mappingProblems = mapping.problems
        guard mappingProblems.isEmpty else { throw ImportFailure(problems: mappingProblems) }

        // `problems` has refused delimiters that are not exactly one scalar.
        let delimiter = mapping.delimiter?.unicodeScalars.first ?? CSVReader.detectDelimiter(text)
        let file = CSVReader.read(text, delimiter: delimiter)
        var records = file.records[...]

        let columns: CSVColumns
        if mapping.hasHeader {
            guard let header = records.popFirst() else {
                throw ImportFailure(problems: [emptyFileProblem(file)])
            }
            switch mapping.columns(header: header) {
            case .success(let resolved): columns = resolved
            case .failure(let failure): throw failure
            }
        } else {
            guard !records.isEmpty else { throw ImportFailure(problems: [emptyFileProblem(file)]) }
            columns = mapping.numberedColumns
        }

        var problems: [ImportProblem] = []
        var rows: [Row] = []
        for record in records {
            switch row(record, columns: columns, mapping: mapping) {
            case .success(let row): rows.append(row)
            case .failure(let failure): problems += failure.problems
            }
        }
        if let line = file.unclosedQuoteLine {
            problems.append(ImportProblem(line: line, message: "a quoted field starting on this line is never closed: a \" is missing"))
        }
        guard problems.isEmpty else { throw ImportFailure(sorting: problems) }

        return ImportedStatement(transactions: transactions(rows))
    }

    /// A row read from the file, before it gets its import key.
    private struct Row {
        let line: Int
        let date: LocalDate
        let amount: Amount
        let description: String
        let merchantName: String?
        let category: TransactionCategory?
    }

    private static func emptyFileProblem(_ file: CSVReader.Contents) -> ImportProblem {
        if let line = file.unclosedQuoteLine {
            return ImportProblem(line: line, message: "a quoted field starting on this line is never closed: a \" is missing")
        }
        return ImportProblem(line: 0, message: "the file is empty")
    }

    private static func row(_ record: CSVRecord, columns: CSVColumns, mapping: CSVMapping) -> Result<Row, ImportFailure> {
        let line = record.line
        guard record.fields.count >= columns.requiredFieldCount else {
            let missing = CSVColumnRole.allCases.first { role in columns[role].map { $0 >= record.fields.count } ?? false }
            return .failure(ImportFailure(problems: [ImportProblem(
                line: line, field: missing?.rawValue,
                message: "the row has \(record.fields.count) column\(record.fields.count == 1 ? "" : "s"), but the mapping needs \(columns.requiredFieldCount)"
            )]))
        }
        func value(_ role: CSVColumnRole) -> String? {
            columns[role].map { ImportText.trimmed(record.fields[$0]) }
        }

        var problems: [ImportProblem] = []
        var date: LocalDate?
        let dateText = value(.date) ?? ""
        switch DayText.read(dateText, format: mapping.dateFormat) {
        case .day(let day):
            date = day
        case .malformed where dateText.isEmpty:
            problems.append(ImportProblem(line: line, field: "date", message: "the date is empty"))
        case .malformed:
            problems.append(ImportProblem(line: line, field: "date", message: "\"\(dateText)\" is not a date in the form \(DayText.pattern(mapping.dateFormat))"))
        case .impossible:
            problems.append(ImportProblem(line: line, field: "date", message: "\"\(dateText)\" is not a day of the calendar"))
        }

        var amount: Amount?
        switch self.amount(line: line, value: value, mapping: mapping) {
        case .success(let read): amount = read
        case .failure(let problem): problems.append(problem)
        }

        guard let date, let amount, problems.isEmpty else { return .failure(ImportFailure(problems: problems)) }
        let merchant = value(.merchant).map(ImportText.collapsingWhitespace)
        return .success(Row(
            line: line,
            date: date,
            amount: amount,
            description: ImportText.description(ImportText.collapsingWhitespace(value(.description) ?? "")),
            merchantName: merchant?.isEmpty == false ? merchant : nil,
            category: value(.category).flatMap { TransactionCategory(rawValue: $0.uppercased()) }
        ))
    }

    /// The signed amount of a row, from its amount column or from its debit and credit columns.
    private static func amount(line: Int, value: (CSVColumnRole) -> String?, mapping: CSVMapping) -> Result<Amount, ImportProblem> {
        let example = mapping.decimalSeparator == .point ? "-1,234.56" : "-1.234,56"
        func read(_ role: CSVColumnRole, _ text: String) -> Result<Amount, ImportProblem> {
            do {
                return .success(try AmountText.readCSV(text, decimalSeparator: mapping.decimalSeparator))
            } catch {
                return .failure(ImportProblem(line: line, field: role.rawValue, message: error.message(for: text, example: example)))
            }
        }

        if let text = value(.amount) {
            guard !text.isEmpty else { return .failure(ImportProblem(line: line, field: "amount", message: "the amount is empty")) }
            return read(.amount, text).map { mapping.negateAmounts ? $0.negated : $0 }
        }

        let debitText = value(.debit).flatMap { $0.isEmpty ? nil : $0 }
        let creditText = value(.credit).flatMap { $0.isEmpty ? nil : $0 }
        switch (debitText, creditText) {
        case (nil, nil):
            let columns = [mapping.debit == nil ? nil : "debit", mapping.credit == nil ? nil : "credit"].compactMap { $0 }
            return .failure(ImportProblem(line: line, field: "amount", message: "the \(columns.joined(separator: " and ")) \(columns.count == 1 ? "is" : "are") empty"))
        case (let debitText?, nil):
            return read(.debit, debitText).map { $0.magnitude.negated }
        case (nil, let creditText?):
            return read(.credit, creditText).map(\.magnitude)
        case (let debitText?, let creditText?):
            // Some banks write 0.00 in the column that does not apply.
            let debit: Amount, credit: Amount
            switch read(.debit, debitText) {
            case .success(let value): debit = value
            case .failure(let problem): return .failure(problem)
            }
            switch read(.credit, creditText) {
            case .success(let value): credit = value
            case .failure(let problem): return .failure(problem)
            }
            if credit.isZero { return .success(debit.magnitude.negated) }
            if debit.isZero { return .success(credit.magnitude) }
            return .failure(ImportProblem(line: line, field: "amount", message: "the row has both a debit (\(debitText)) and a credit (\(creditText))"))
        }
    }

    /// Gives each row its import key: a fingerprint of its day, amount and description, and of how many
    /// identical rows came before it in the file, so that two real identical payments keep two keys while
    /// importing the same file again yields the same keys.
    private static func transactions(_ rows: [Row]) -> [ImportedTransaction] {
        var occurrences: [String: Int] = [:]
        return rows.map { row in
            let identity = "\(row.date)\u{1F}\(row.amount.units)\u{1F}\(row.description.lowercased())"
            let occurrence = occurrences[identity, default: 0] + 1
            occurrences[identity] = occurrence
            return ImportedTransaction(
                importKey: "CSV:" + ImportKey.fingerprint(identity + "\u{1F}\(occurrence)"),
                line: row.line,
                date: row.date,
                amount: row.amount,
                description: row.description,
                merchantName: row.merchantName,
                category: row.category
            )
        }
    }
}
