/// A CSV file whose first row names its columns (in any order, capitals ignored, extra columns
/// ignored). Reads UTF-8 or Windows-1252, with or without a BOM, separated by commas, semicolons or tabs.
enum HeaderCSV {
    struct Record {
        let line: Int
        let fields: [String: String]

        subscript(name: String) -> String { fields[name] ?? "" }
    }

    /// Every data record, or the problems of a file that is empty, lacks a required column, or ends
    /// inside a quoted field.
    static func records(_ data: [UInt8], required: [String]) -> Result<[Record], ImportFailure> {
        let text = ImportText.droppingByteOrderMark(ImportText.decode(data))
        return ImportText.withUTF8(text) { records($0, required: required) }
    }

    private static func records(_ text: UnsafeBufferPointer<UInt8>, required: [String]) -> Result<[Record], ImportFailure> {
        var reader = CSVReader(text, delimiter: CSVReader.detectDelimiter(text))
        var record = CSVRecord()
        guard reader.next(into: &record) else {
            return .failure(ImportFailure(problems: [ImportProblem(line: 0, message: "the file is empty")]))
        }
        let names = (0..<record.count).map { record.value($0).trimmingWhitespace().lowercased() }
        let missing = required.filter { !names.contains($0) }
        guard missing.isEmpty else {
            return .failure(ImportFailure(problems: missing.map { ImportProblem(line: record.line, field: $0, message: "column is missing from the header") }))
        }
        var records: [Record] = []
        while reader.next(into: &record) {
            var fields: [String: String] = [:]
            for (index, name) in names.enumerated() where index < record.count && fields[name] == nil {
                fields[name] = record.value(index).trimmingWhitespace()
            }
            records.append(Record(line: record.line, fields: fields))
        }
        if let line = reader.unclosedQuoteLine {
            return .failure(ImportFailure(problems: [ImportProblem(line: line, message: "a quoted field is never closed")]))
        }
        return .success(records)
    }
}

/// Closing prices from CSV: the columns `date` (ISO) and `close` (a non-negative decimal with a point).
public enum PriceCSV {
    public static func parse(_ data: [UInt8]) throws(ImportFailure) -> [(date: LocalDate, close: Price)] {
        let records = try HeaderCSV.records(data, required: ["date", "close"]).get()
        var problems: [ImportProblem] = []
        var prices: [(date: LocalDate, close: Price)] = []
        for record in records {
            let day = LocalDate(iso8601: record["date"])
            if day == nil { problems.append(ImportProblem(line: record.line, field: "date", message: "is not a day such as 2024-01-31")) }
            var close: Price?
            do {
                close = try Price(parsing: record["close"])
                if close?.isNegative == true { problems.append(ImportProblem(line: record.line, field: "close", message: "must not be negative")) }
            } catch {
                problems.append(ImportProblem(line: record.line, field: "close", message: error.description))
            }
            if let day, let close, !close.isNegative { prices.append((day, close)) }
        }
        guard problems.isEmpty else { throw ImportFailure(sorting: problems) }
        return prices
    }
}
