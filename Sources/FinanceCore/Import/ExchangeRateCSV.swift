/// Reads exchange rates from CSV: a header naming the columns `date`, `base`, `quote` and `rate` (in
/// any order, capitals ignored, other columns ignored), then one rate per line: an ISO day, two ISO
/// 4217 codes and a positive decimal with a point. Every problem is reported with its line; a file
/// with any problem gives no rates.
public enum ExchangeRateCSV {
    public static func parse(_ data: [UInt8]) throws(ImportFailure) -> [ExchangeRateQuote] {
        let text = ImportText.droppingByteOrderMark(ImportText.decode(data))
        return try ImportText.withUTF8(text) { parse($0) }.get()
    }

    private static func parse(_ text: UnsafeBufferPointer<UInt8>) -> Result<[ExchangeRateQuote], ImportFailure> {
        var reader = CSVReader(text, delimiter: CSVReader.detectDelimiter(text))
        var record = CSVRecord()
        guard reader.next(into: &record) else {
            return .failure(ImportFailure(problems: [ImportProblem(line: 0, message: "the file is empty")]))
        }
        let names = (0..<record.count).map { record.value($0).trimmingWhitespace().lowercased() }
        var columns: [String: Int] = [:]
        var problems: [ImportProblem] = []
        for name in ["date", "base", "quote", "rate"] {
            if let index = names.firstIndex(of: name) { columns[name] = index } else {
                problems.append(ImportProblem(line: record.line, field: name, message: "column is missing from the header"))
            }
        }
        guard problems.isEmpty, let date = columns["date"], let base = columns["base"], let quote = columns["quote"],
              let rate = columns["rate"] else { return .failure(ImportFailure(problems: problems)) }

        var quotes: [ExchangeRateQuote] = []
        while reader.next(into: &record) {
            let line = record.line
            func field(_ index: Int) -> String {
                index < record.count ? record.value(index).trimmingWhitespace() : ""
            }
            let day = LocalDate(iso8601: field(date))
            if day == nil { problems.append(ImportProblem(line: line, field: "date", message: "is not a day such as 2024-01-31")) }
            let baseCode = CurrencyCode(field(base)), quoteCode = CurrencyCode(field(quote))
            if baseCode == nil { problems.append(ImportProblem(line: line, field: "base", message: "is not an ISO 4217 currency code")) }
            if quoteCode == nil { problems.append(ImportProblem(line: line, field: "quote", message: "is not an ISO 4217 currency code")) }
            if let baseCode, baseCode == quoteCode {
                problems.append(ImportProblem(line: line, field: "quote", message: "is the same currency as base"))
            }
            var value: ExchangeRate?
            do {
                value = try ExchangeRate(parsing: field(rate))
                if let parsed = value, parsed.isZero || parsed.isNegative {
                    problems.append(ImportProblem(line: line, field: "rate", message: "must be positive"))
                }
            } catch {
                problems.append(ImportProblem(line: line, field: "rate", message: error.description))
            }
            if let day, let baseCode, let quoteCode, let value, baseCode != quoteCode, !value.isZero, !value.isNegative {
                quotes.append(ExchangeRateQuote(date: day, base: baseCode, quote: quoteCode, rate: value))
            }
        }
        if let line = reader.unclosedQuoteLine {
            problems.append(ImportProblem(line: line, message: "a quoted field is never closed"))
        }
        guard problems.isEmpty else { return .failure(ImportFailure(sorting: problems)) }
        return .success(quotes)
    }
}
