import FinanceAPI
import FinanceCore
import Foundation
import OpenAPIRuntime

extension APIHandler {
    func importStatement(_ input: Operations.ImportStatement.Input) async throws -> Operations.ImportStatement.Output {
        let accountID = try PathID.parse(input.path.id)
        guard case .binary(let body) = input.body else { throw APIError.malformedBody("expected the file as the body") }
        let bytes = try await [UInt8](collecting: body, upTo: app.settings.maxBodySize)
        guard !bytes.isEmpty else { throw APIError.validation(["file": "is empty"]) }
        let query = input.query
        let source = try ImportOptions(
            format: query.format?.rawValue, dateColumn: query.dateColumn, amountColumn: query.amountColumn,
            debitColumn: query.debitColumn, creditColumn: query.creditColumn, descriptionColumn: query.descriptionColumn,
            merchantColumn: query.merchantColumn, categoryColumn: query.categoryColumn, dateFormat: query.dateFormat?.rawValue,
            decimalSeparator: query.decimalSeparator?.rawValue, delimiter: query.delimiter, hasHeader: query.hasHeader,
            negateAmounts: query.negateAmounts
        ).source(for: bytes)
        let preview = query.preview ?? false
        let importer = StatementImporter(bytes: bytes, source: source)
        let outcome = try await Authentication.withUser(app) { scope, _ in
            try await importer.run(accountID: accountID, preview: preview, in: scope)
        }
        let result = ImportRepresentation.make(outcome, preview: preview)
        return preview ? .ok(.init(body: .json(result))) : .created(.init(body: .json(result)))
    }
}

/// How to read a file, from the request's parameters (or the command line's options).
struct ImportOptions: Sendable {
    var format: String?
    var dateColumn, amountColumn, debitColumn, creditColumn, descriptionColumn, merchantColumn, categoryColumn: String?
    var dateFormat: String?
    var decimalSeparator: String?
    var delimiter: String?
    var hasHeader: Bool?
    var negateAmounts: Bool?

    func source(for bytes: [UInt8]) throws -> StatementImporter.Source {
        let format = try format.map { text -> StatementFormat in
            guard let format = StatementFormat(rawValue: text.lowercased()) else {
                throw APIError.validation(["format": "must be ofx or csv"])
            }
            return format
        } ?? StatementParser.detectFormat(bytes)
        switch format {
        case .ofx: return .ofx
        case .csv:
            var form = FieldValidator()
            if dateColumn == nil { form.fail("date_column", "is required for a CSV file") }
            if descriptionColumn == nil { form.fail("description_column", "is required for a CSV file") }
            if amountColumn == nil && debitColumn == nil && creditColumn == nil {
                form.fail("amount_column", "or debit_column and credit_column are required for a CSV file")
            }
            let dates = dateFormat.map { CSVDateFormat(rawValue: $0) } ?? .iso
            if dates == nil { form.fail("date_format", "must be iso, dmy or mdy") }
            let separator = decimalSeparator.map { DecimalSeparator(rawValue: $0) } ?? .point
            if separator == nil { form.fail("decimal_separator", "must be point or comma") }
            if let delimiter, delimiter.count != 1 { form.fail("delimiter", "must be one character") }
            try form.check()
            guard let dateColumn, let descriptionColumn, let dates, let separator else { throw APIError.validation(form.problems) }
            return .csv(CSVMapping(
                date: dateColumn, amount: amountColumn, debit: debitColumn, credit: creditColumn, description: descriptionColumn,
                merchant: merchantColumn, category: categoryColumn, dateFormat: dates, decimalSeparator: separator,
                delimiter: delimiter?.first, hasHeader: hasHeader ?? true, negateAmounts: negateAmounts ?? false
            ))
        case nil:
            throw APIError.validation(["format": "could not be recognized; say format=ofx or format=csv"])
        }
    }
}

enum ImportRepresentation {
    static func make(_ outcome: StatementImporter.Outcome, preview: Bool) -> Components.Schemas.ImportResult {
        .init(
            id: outcome.importID?.uuidString, format: outcome.format == .ofx ? .ofx : .csv, preview: preview,
            parsed: outcome.parsed, added: outcome.added, skippedDuplicates: outcome.skipped,
            ledgerBalance: outcome.statement.ledgerBalance?.description,
            ledgerBalanceDate: outcome.statement.ledgerBalanceDate.map { "\($0)" },
            transactions: outcome.newTransactions.prefix(100).map { item in
                .init(line: item.line, date: "\(item.date)", amount: item.amount.description, description: item.description,
                      merchantName: item.merchantName, category: item.category.flatMap { .init(rawValue: $0.rawValue) })
            }
        )
    }
}
