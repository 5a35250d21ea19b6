import FinanceCore
import Fluent
import Foundation
import OpenAPIRuntime

/// The ledger as CSV, produced page by page while the client reads it: memory stays flat however
/// many transactions there are. Each page is read in its own short database transaction.
struct TransactionExport: AsyncSequence, Sendable {
    typealias Element = ArraySlice<UInt8>

    static let header = "id,date,account_id,account_name,description,merchant_name,category,detailed_category,amount,currency,pending,notes\r\n"
    static let pageSize = 1_000

    let app: Application
    /// The database to read; `nil` for the application's default.
    var databaseID: DatabaseID? = nil
    let userID: UUID
    let search: TransactionSearch
    let accountNames: [UUID: String]

    struct AsyncIterator: AsyncIteratorProtocol {
        let export: TransactionExport
        var position: TransactionSearch.Position?
        var started = false
        var finished = false

        mutating func next() async throws -> ArraySlice<UInt8>? {
            if !started {
                started = true
                return ArraySlice(Array(TransactionExport.header.utf8))
            }
            guard !finished else { return nil }
            let (search, userID, after) = (export.search, export.userID, position)
            let rows = try await export.app.db(export.databaseID).asUser(userID) { db in
                try await search.page(userID: userID, after: after, limit: TransactionExport.pageSize, on: db)
            }
            if rows.count < TransactionExport.pageSize { finished = true }
            guard let last = rows.last else { return nil }
            position = .init(date: last.date, id: last.id)
            var text = ""
            text.reserveCapacity(rows.count * 160)
            for row in rows { text += export.line(row) }
            return ArraySlice(Array(text.utf8))
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(export: self) }

    func line(_ row: TransactionRecord) -> String {
        let fields: [String] = [
            row.id.uuidString, "\(row.date)", row.accountID.uuidString, Self.text(accountNames[row.accountID] ?? ""),
            Self.text(row.description), Self.text(row.merchantName ?? ""), row.category.rawValue, Self.text(row.detailedCategory ?? ""),
            row.money.formattedAmount, row.currency.code, row.pending ? "true" : "false", Self.text(row.notes ?? ""),
        ]
        return fields.map(Self.quoted).joined(separator: ",") + "\r\n"
    }

    /// Free text from users and banks: a leading `=`, `+`, `-` or `@` would make a spreadsheet run it
    /// as a formula, so such text gets a leading apostrophe (OWASP's advice for CSV exports).
    static func text(_ value: String) -> String {
        guard let first = value.first, "=+-@\t\r".contains(first) else { return value }
        return "'" + value
    }

    /// RFC 4180: a field with a comma, a quote or a line break is quoted, its quotes doubled.
    static func quoted(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

import Vapor
