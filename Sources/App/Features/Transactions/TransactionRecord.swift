import FinanceCore
import Foundation
import PostgresNIO
import SQLKit

/// A transaction as lists and exports read it: a plain value, decoded column by column from a row.
/// Pages and exports decode thousands of rows; a Fluent model stores every field as a type-erased
/// value and pays a dynamic cast on each read, which cost more than the query itself under load.
struct TransactionRecord: Sendable, Equatable {
    var id: UUID
    var accountID: UUID
    var date: LocalDate
    var authorizedDate: LocalDate?
    var amount: Amount
    var currency: CurrencyCode
    var description: String
    var merchantName: String?
    var category: TransactionCategory
    var detailedCategory: String?
    var categorySource: CategorySource
    var pending: Bool
    var notes: String?
    var createdAt: Date?
    var updatedAt: Date?

    var money: Money { Money(amount, currency) }

    /// The columns `init(row:)` and `init(postgres:)` read, in this order.
    static let columns = [
        "id", "account_id", "date", "authorized_date", "amount", "currency", "description", "merchant_name",
        "category", "detailed_category", "category_source", "pending", "notes", "created_at", "updated_at",
    ]

    init(row: any SQLRow) throws {
        id = try row.decode(column: "id", as: UUID.self)
        accountID = try row.decode(column: "account_id", as: UUID.self)
        date = try row.decode(column: "date", as: LocalDate.self)
        authorizedDate = try row.decode(column: "authorized_date", as: LocalDate?.self)
        amount = try row.decode(column: "amount", as: Amount.self)
        currency = try row.decode(column: "currency", as: CurrencyCode.self)
        description = try row.decode(column: "description", as: String.self)
        merchantName = try row.decode(column: "merchant_name", as: String?.self)
        category = try row.decodeLabel(column: "category", as: TransactionCategory.self)
        categorySource = try row.decodeLabel(column: "category_source", as: CategorySource.self)
        detailedCategory = try row.decode(column: "detailed_category", as: String?.self)
        pending = try row.decode(column: "pending", as: Bool.self)
        notes = try row.decode(column: "notes", as: String?.self)
        createdAt = try row.decode(column: "created_at", as: Date?.self)
        updatedAt = try row.decode(column: "updated_at", as: Date?.self)
    }

    /// A row of `columns`, in their order, from PostgreSQL through PostgresNIO: each value decoded by
    /// position as its concrete type, where an `SQLRow` looks the column up by name and goes through
    /// the generic decoder (the most of a page's cost in the server, under load).
    init(postgres row: PostgresRow) throws {
        let cells = PostgresRandomAccessRow(row)
        func label<Label: RawRepresentable>(_ index: Int, _: Label.Type) throws -> Label where Label.RawValue == String {
            // An enum type's value is its label's text in either format.
            guard let bytes = cells[index].bytes, let label = Label(rawValue: String(buffer: bytes)) else {
                throw LedgerReadError.unknownLabel
            }
            return label
        }
        id = try cells[0].decode(UUID.self)
        accountID = try cells[1].decode(UUID.self)
        date = try cells[2].decode(LocalDate.self)
        authorizedDate = try cells[3].decode(LocalDate?.self)
        amount = try cells[4].decode(Amount.self)
        currency = try cells[5].decode(CurrencyCode.self)
        description = try cells[6].decode(String.self)
        merchantName = try cells[7].decode(String?.self)
        category = try label(8, TransactionCategory.self)
        detailedCategory = try cells[9].decode(String?.self)
        categorySource = try label(10, CategorySource.self)
        pending = try cells[11].decode(Bool.self)
        notes = try cells[12].decode(String?.self)
        createdAt = try cells[13].decode(Date?.self)
        updatedAt = try cells[14].decode(Date?.self)
    }

    init(_ model: Transaction) throws {
        guard let id = model.id else { throw LedgerReadError.unsaved }
        self.id = id
        accountID = model.accountID
        date = model.date
        authorizedDate = model.authorizedDate
        amount = model.amount
        currency = model.currency
        description = model.description
        merchantName = model.merchantName
        category = model.category
        detailedCategory = model.detailedCategory
        categorySource = model.categorySource
        pending = model.pending
        notes = model.notes
        createdAt = model.createdAt
        updatedAt = model.updatedAt
    }

    /// A row just written, as it now stands in the ledger.
    init(_ row: NewTransactionRow, at time: Date) {
        id = row.id
        accountID = row.accountID
        date = row.date
        authorizedDate = row.authorizedDate
        amount = row.amount
        currency = row.currency
        description = row.description
        merchantName = row.merchantName
        category = row.category
        detailedCategory = row.detailedCategory
        categorySource = row.categorySource
        pending = row.pending
        notes = row.notes
        createdAt = time
        updatedAt = time
    }

    /// A row the database holds that the code cannot read: a label outside the known set, or a model never saved.
    enum LedgerReadError: Error {
        case unknownLabel
        case unsaved
    }
}

extension TransactionRecord {
    /// The user's transaction with this id; `not_found` for anyone else's, as for one that does not exist.
    static func find(_ id: UUID, in scope: UserScope) async throws -> TransactionRecord {
        guard let row = try await scope.db.sql.raw("""
            SELECT \(unsafeRaw: columns.joined(separator: ", ")) FROM transactions WHERE id = \(bind: id) AND user_id = \(bind: scope.userID)
            """).first() else { throw APIError.notFound("transaction") }
        return try TransactionRecord(row: row)
    }

    /// Writes back what a person may change in a transaction, and when it changed.
    func update(in scope: UserScope) async throws {
        let cast = scope.db.engine.cast(to: .transactionCategory)
        try await scope.db.sql.raw("""
            UPDATE transactions SET account_id = \(bind: accountID), date = \(bind: date), authorized_date = \(bind: authorizedDate),
                amount = \(bind: amount), description = \(bind: description), merchant_name = \(bind: merchantName),
                category = \(bind: category.rawValue)\(unsafeRaw: cast), category_source = \(bind: categorySource.rawValue),
                detailed_category = \(bind: detailedCategory), pending = \(bind: pending), notes = \(bind: notes),
                updated_at = \(bind: updatedAt)
            WHERE id = \(bind: id) AND user_id = \(bind: scope.userID)
            """).run()
    }
}
