/// Turns the records of a CSV export into transactions, following a `CSVMapping`.
enum CSVStatementReader {
    static func read(_ text: Substring, mapping: CSVMapping) throws(ImportFailure) -> ImportedStatement {
        let mappingProblems = mapping.problems
        guard mappingProblems.isEmpty else { throw ImportFailure(problems: mappingProblems) }
        return try ImportText.withUTF8(text) { read($0, mapping: mapping) }.get()
    }

    private static func read(_ text: UnsafeBufferPointer<UInt8>, mapping: CSVMapping) -> Result<ImportedStatement, ImportFailure> {
        // `problems` has refused delimiters that are not exactly one scalar.
        let delimiter = mapping.delimiter?.unicodeScalars.first ?? CSVReader.detectDelimiter(text)
        var reader = CSVReader(text, delimiter: delimiter)
        var record = CSVRecord()

        let columns: CSVColumns
        if mapping.hasHeader {
            guard reader.next(into: &record) else {
                return .failure(ImportFailure(problems: [emptyFileProblem(reader)]))
            }
            switch mapping.columns(header: record) {
            case .success(let resolved): columns = resolved
            case .failure(let failure): return .failure(failure)
            }
        } else {
            columns = mapping.numberedColumns
        }

        var problems: [ImportProblem] = []
        var rows: [Row] = []
        var hasRecords = false
        while reader.next(into: &record) {
            hasRecords = true
            switch row(record, columns: columns, mapping: mapping) {
            case .success(let row): rows.append(row)
            case .failure(let failure): problems += failure.problems
            }
        }
        // With a header, an empty file was found when the header was missing.
        if !mapping.hasHeader, !hasRecords {
            return .failure(ImportFailure(problems: [emptyFileProblem(reader)]))
        }
        if let line = reader.unclosedQuoteLine {
            problems.append(ImportProblem(line: line, message: "a quoted field starting on this line is never closed: a \" is missing"))
        }
        guard problems.isEmpty else { return .failure(ImportFailure(sorting: problems)) }

        // Counting the rows first lets the keys be counted without the dictionary ever growing.
        var keys = KeyCounter(capacity: rows.count)
        return .success(ImportedStatement(transactions: rows.map { keys.transaction($0) }))
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

    private static func emptyFileProblem(_ reader: CSVReader) -> ImportProblem {
        if let line = reader.unclosedQuoteLine {
            return ImportProblem(line: line, message: "a quoted field starting on this line is never closed: a \" is missing")
        }
        return ImportProblem(line: 0, message: "the file is empty")
    }

    private static func row(_ record: CSVRecord, columns: CSVColumns, mapping: CSVMapping) -> Result<Row, ImportFailure> {
        let line = record.line
        guard record.count >= columns.requiredFieldCount else {
            let missing = CSVColumnRole.allCases.first { role in columns[role].map { $0 >= record.count } ?? false }
            return .failure(ImportFailure(problems: [ImportProblem(
                line: line, field: missing?.rawValue,
                message: "the row has \(record.count) column\(record.count == 1 ? "" : "s"), but the mapping needs \(columns.requiredFieldCount)"
            )]))
        }
        func value(_ role: CSVColumnRole) -> String? {
            columns[role].map(record.value)
        }
        /// The value with its whitespace collapsed, straight from the field's bytes when they are ASCII:
        /// collapsing drops the whitespace that trimming would.
        func collapsedValue(_ role: CSVColumnRole) -> String? {
            columns[role].map { index in
                let field = record.field(index)
                return ASCIIText.collapsingWhitespace(field) ?? ImportText.collapsingWhitespace(record.value(index))
            }
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
        let merchant = collapsedValue(.merchant)
        return .success(Row(
            line: line,
            date: date,
            amount: amount,
            description: ImportText.description(collapsedValue(.description) ?? ""),
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
    ///
    /// The key is FNV-1a of `"\(date)\u{1F}\(units)\u{1F}\(lowercased description)\u{1F}\(occurrence)"`, hashed piece
    /// by piece without writing that text out.
    private struct KeyCounter {
        /// What makes two rows identical: equal exactly when the texts `"\(date)\u{1F}\(units)\u{1F}\(description)"`
        /// are equal `String`s, which compare by canonical equivalence.
        private struct Identity: Hashable {
            let date: LocalDate
            let units: Int64
            let description: String
        }

        private var occurrences: [Identity: Int]

        init(capacity: Int) {
            occurrences = Dictionary(minimumCapacity: capacity)
        }

        mutating func transaction(_ row: Row) -> ImportedTransaction {
            let identity = Identity(date: row.date, units: row.amount.units, description: row.description.lowercased())
            // Counted in place: one lookup, one hash of the description.
            func increment(_ count: inout Int) -> Int {
                count += 1
                return count
            }
            let occurrence = increment(&occurrences[identity, default: 0])

            let separator: UInt8 = 0x1F // U+001F, the unit separator
            var hash = ImportKey.FNV1a()
            hash.add(identity.date)
            hash.add(separator)
            hash.add(decimal: identity.units)
            hash.add(separator)
            hash.add(identity.description.utf8)
            hash.add(separator)
            hash.add(decimal: Int64(occurrence))
            return ImportedTransaction(
                importKey: hash.hex(prefix: "CSV:\(identity.date):"),
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
