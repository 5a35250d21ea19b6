import FinanceCore
import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation

/// A transaction about to be written in bulk (an import, a sync page, a benchmark).
struct NewTransactionRow: Sendable {
    var id = UUID.timeOrdered()
    let userID: UUID
    let accountID: UUID
    let date: LocalDate
    let amount: Amount
    let currency: CurrencyCode
    let description: String
    let merchantName: String?
    var category: TransactionCategory
    var categorySource: CategorySource = .default
    let pending: Bool
    var importKey: String? = nil
    var detailedCategory: String? = nil
    var authorizedDate: LocalDate? = nil
    var plaidTransactionID: String? = nil
    var pendingTransactionID: String? = nil
    var notes: String? = nil
}

/// Writes many transactions at once: multi-row INSERTs (SQLite) or COPY (PostgreSQL) straight through
/// each driver (no per-row model or encoder), all inside one database transaction, so a batch lands
/// whole or not at all. Called inside a transaction of the caller's, it joins that one.
enum TransactionBulkInsert {
    static let columns = [
        "id", "user_id", "account_id", "date", "amount", "currency", "description",
        "merchant_name", "category", "category_source", "pending", "import_key", "created_at", "updated_at",
        "detailed_category", "authorized_date", "plaid_transaction_id", "pending_transaction_id", "notes",
    ]

    /// Inserts `rows` atomically and answers how many were written. A load of `PlannerStatistics.largeLoad`
    /// rows or more refreshes the planner's statistics, unless `analyze` is false: a caller that
    /// writes one load in several parts refreshes them once, after the last.
    @discardableResult
    static func insert(_ rows: [NewTransactionRow], on database: any Database, now: Date = Date(), analyze: Bool = true) async throws -> Int {
        guard let owner = rows.first?.userID else { return 0 }
        // One owner per batch: the batch runs in that owner's row-level-security context.
        guard rows.allSatisfy({ $0.userID == owner }) else {
            throw APIError(.internalServerError, code: "internal_error", message: "A bulk insert mixed the rows of several users.")
        }
        if let sqlite = database as? any SQLiteDatabase {
            try await insertSQLite(rows, on: sqlite, ownTransaction: !database.inTransaction, now: now)
            if analyze, rows.count >= PlannerStatistics.largeLoad { try await PlannerStatistics.refresh(["transactions"], on: database) }
        } else if rows.count <= postgresValuesRows, database.inTransaction {
            try await insertPostgresValues(rows, on: database, now: now)
        } else if let postgres = database as? any PostgresDatabase {
            try await insertPostgres(rows, owner: owner, on: postgres, ownTransaction: !database.inTransaction, now: now)
            if analyze, rows.count >= PlannerStatistics.largeLoad { try await PlannerStatistics.refresh(["transactions"], on: database) }
        } else {
            preconditionFailure("unsupported database driver")
        }
        return rows.count
    }

    // SQLite allows 32,766 parameters a statement.
    private static let sqliteRowsPerStatement = 500

    private static func insertSQLite(_ rows: [NewTransactionRow], on database: any SQLiteDatabase, ownTransaction: Bool, now: Date) async throws {
        let timestamp = SQLiteData.float(now.timeIntervalSince1970)
        // The owner and the accounts repeat from row to row: one buffer each rather than one per row.
        let ownerBlob = rows[0].userID.sqliteBlob
        let accountBlobs = Dictionary(uniqueKeysWithValues: Set(rows.map(\.accountID)).map { ($0, $0.sqliteBlob) })
        try await database.withConnection { connection in
            // SQLite's default page cache is 2 MB: far too small for the ledger's indexes, so a large
            // load would spend its time evicting and re-reading pages. Per connection; idempotent.
            // Each multi-row INSERT keeps a statement journal (to undo just that statement on a
            // constraint error); in memory rather than in a temporary file. A few rows need neither.
            if rows.count > sqliteRowsPerStatement {
                _ = try await connection.query("PRAGMA cache_size = -\(SQLiteTuning.cacheKilobytes)")
                _ = try await connection.query("PRAGMA temp_store = MEMORY")
            }
            // IMMEDIATE takes the write lock now, so the batch cannot fail halfway for want of it.
            if ownTransaction { _ = try await connection.query("BEGIN IMMEDIATE") }
            do {
                var start = 0
                while start < rows.count {
                    let chunk = rows[start..<min(start + sqliteRowsPerStatement, rows.count)]
                    var binds: [SQLiteData] = []
                    binds.reserveCapacity(chunk.count * columns.count)
                    for row in chunk {
                        binds.append(row.id.sqliteBlob)
                        binds.append(ownerBlob)
                        binds.append(accountBlobs[row.accountID]!)
                        binds.append(.text(row.date.description))
                        binds.append(.integer(Int(row.amount.units)))
                        binds.append(.text(row.currency.code))
                        binds.append(.text(row.description))
                        binds.append(row.merchantName.map(SQLiteData.text) ?? .null)
                        binds.append(.text(row.category.rawValue))
                        binds.append(.text(row.categorySource.rawValue))
                        binds.append(.integer(row.pending ? 1 : 0))
                        binds.append(row.importKey.map(SQLiteData.text) ?? .null)
                        binds.append(timestamp)
                        binds.append(timestamp)
                        binds.append(row.detailedCategory.map(SQLiteData.text) ?? .null)
                        binds.append(row.authorizedDate.map { SQLiteData.text($0.description) } ?? .null)
                        binds.append(row.plaidTransactionID.map(SQLiteData.text) ?? .null)
                        binds.append(row.pendingTransactionID.map(SQLiteData.text) ?? .null)
                        binds.append(row.notes.map(SQLiteData.text) ?? .null)
                    }
                    _ = try await connection.query(sqliteStatement(rowCount: chunk.count), binds)
                    start += chunk.count
                }
                if ownTransaction { _ = try await connection.query("COMMIT") }
            } catch {
                if ownTransaction { _ = try? await connection.query("ROLLBACK") }
                throw error
            }
        }
    }

    /// The columns streamed to PostgreSQL's staging table: all but those every row of a batch shares.
    private static let stagedColumns = columns.filter { !["user_id", "created_at", "updated_at"].contains($0) }

    /// Up to this many rows go to PostgreSQL as one INSERT with bound values; more are streamed with COPY.
    private static let postgresValuesRows = 100

    /// A few rows (one entered by hand, a small sync page): one INSERT, without the staging table
    /// that COPY needs, whose creation costs more than the rows themselves.
    private static func insertPostgresValues(_ rows: [NewTransactionRow], on database: any Database, now: Date) async throws {
        let category = DatabaseEngine.postgres.cast(to: .transactionCategory)
        try await database.sql.runInChunks(rows, row: { row in
            """
            (\(bind: row.id), \(bind: row.userID), \(bind: row.accountID), \(bind: row.date), \(bind: row.amount), \(bind: row.currency.code),
             \(bind: row.description), \(bind: row.merchantName), \(bind: row.category.rawValue)\(unsafeRaw: category),
             \(bind: row.categorySource.rawValue), \(bind: row.pending), \(bind: row.importKey), \(bind: now), \(bind: now),
             \(bind: row.detailedCategory), \(bind: row.authorizedDate), \(bind: row.plaidTransactionID),
             \(bind: row.pendingTransactionID), \(bind: row.notes))
            """
        }, statement: { values in
            "INSERT INTO transactions (\(unsafeRaw: columns.joined(separator: ", "))) VALUES \(values)"
        })
    }

    /// PostgreSQL's fastest way in: one `COPY ... FROM STDIN` stream in its text format, through a staging table.
    private static func insertPostgres(_ rows: [NewTransactionRow], owner: UUID, on database: any PostgresDatabase,
                                       ownTransaction: Bool, now: Date) async throws {
        let logger = database.logger
        try await database.withConnection { connection in
            connection.eventLoop.makeFutureWithTask {
                if ownTransaction {
                    _ = try await connection.query("BEGIN", logger: logger)
                    _ = try await connection.query("SELECT set_config('finance.user_id', \(owner.uuidString), true)", logger: logger)
                }
                do {
                    // COPY cannot write into a table under row-level security: stream into a private
                    // staging table, then move the rows with one INSERT that the policies check. What
                    // every row shares (the owner, the time) is bound once to that INSERT rather than
                    // parsed from each row's text: timestamps are the slowest text PostgreSQL reads.
                    _ = try await connection.query(PostgresQuery(unsafeSQL: """
                        CREATE TEMPORARY TABLE transactions_staging ON COMMIT DROP AS
                        SELECT \(stagedColumns.joined(separator: ", ")) FROM transactions WITH NO DATA
                        """), logger: logger)
                    try await connection.copyFrom(table: "transactions_staging", columns: stagedColumns, logger: logger) { writer in
                        var buffer = ByteBuffer()
                        buffer.reserveCapacity(256 * 1024)
                        for row in rows {
                            CopyText.append(row: [
                                row.id.uuidString, row.accountID.uuidString, row.date.description,
                                row.amount.description, row.currency.code, row.description, row.merchantName,
                                row.category.rawValue, row.categorySource.rawValue, row.pending ? "t" : "f", row.importKey,
                                row.detailedCategory, row.authorizedDate?.description,
                                row.plaidTransactionID, row.pendingTransactionID, row.notes,
                            ], to: &buffer)
                            if buffer.readableBytes >= 200 * 1024 {
                                try await writer.write(buffer)
                                buffer.clear()
                            }
                        }
                        if buffer.readableBytes > 0 { try await writer.write(buffer) }
                    }
                    let shared = ["user_id": "$1", "created_at": "$2", "updated_at": "$2"]
                    var binds = PostgresBindings()
                    binds.append(owner)
                    binds.append(now)
                    _ = try await connection.query(PostgresQuery(unsafeSQL: """
                        INSERT INTO transactions (\(columns.joined(separator: ", ")))
                        SELECT \(columns.map { shared[$0] ?? $0 }.joined(separator: ", ")) FROM transactions_staging
                        """, binds: binds), logger: logger)
                    // Gone now rather than at commit, so another batch in the same transaction can stage again.
                    _ = try await connection.query("DROP TABLE transactions_staging", logger: logger)
                    if ownTransaction { _ = try await connection.query("COMMIT", logger: logger) }
                } catch {
                    if ownTransaction { _ = try? await connection.query("ROLLBACK", logger: logger) }
                    throw error
                }
            }
        }.get()
    }

    private static func sqliteStatement(rowCount: Int) -> String {
        let row = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
        return "INSERT INTO transactions (\(columns.joined(separator: ", "))) VALUES "
            + Array(repeating: row, count: rowCount).joined(separator: ", ")
    }
}

/// PostgreSQL's COPY text format: tab-separated columns, `\N` for NULL, backslash escapes.
enum CopyText {
    static func append(row: [String?], to buffer: inout ByteBuffer) {
        for (index, value) in row.enumerated() {
            if index > 0 { buffer.writeInteger(UInt8(ascii: "\t")) }
            guard let value else {
                buffer.writeStaticString("\\N")
                continue
            }
            for byte in value.utf8 {
                switch byte {
                case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
                case UInt8(ascii: "\t"): buffer.writeStaticString("\\t")
                case UInt8(ascii: "\n"): buffer.writeStaticString("\\n")
                case UInt8(ascii: "\r"): buffer.writeStaticString("\\r")
                default: buffer.writeInteger(byte)
                }
            }
        }
        buffer.writeInteger(UInt8(ascii: "\n"))
    }
}
