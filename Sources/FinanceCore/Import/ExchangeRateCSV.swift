/// Reads exchange rates from CSV: a header naming the columns `date`, `base`, `quote` and `rate` (in
/// any order, capitals ignored, other columns ignored), then one rate per line: an ISO day, two ISO
/// 4217 codes and a positive decimal with a point. Every problem is reported with its line; a file
/// with any problem gives no rates.
public enum ExchangeRateCSV {
    public static func parse(_ data: [UInt8]) throws(ImportFailure) -> [ExchangeRateQuote] {
        let records = try HeaderCSV.records(data, required: ["date", "base", "quote", "rate"]).get()
        var problems: [ImportProblem] = []
        var quotes: [ExchangeRateQuote] = []
        for record in records {
            let line = record.line
            let day = LocalDate(iso8601: record["date"])
            if day == nil { problems.append(ImportProblem(line: line, field: "date", message: "is not a day such as 2024-01-31")) }
            let baseCode = CurrencyCode(record["base"]), quoteCode = CurrencyCode(record["quote"])
            if baseCode == nil { problems.append(ImportProblem(line: line, field: "base", message: "is not an ISO 4217 currency code")) }
            if quoteCode == nil { problems.append(ImportProblem(line: line, field: "quote", message: "is not an ISO 4217 currency code")) }
            if let baseCode, baseCode == quoteCode {
                problems.append(ImportProblem(line: line, field: "quote", message: "is the same currency as base"))
            }
            var value: ExchangeRate?
            do {
                value = try ExchangeRate(parsing: record["rate"])
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
        guard problems.isEmpty else { throw ImportFailure(sorting: problems) }
        return quotes
    }
}
