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

/// Writes many transactions at once: multi-row INSERTs (SQLite) or INSERTs from bound arrays (PostgreSQL) straight through
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

    /// Up to this many rows go to PostgreSQL as one INSERT with bound values; more go as arrays (`insertPostgres`).
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

    /// Rows a statement of `insertPostgres` carries.
    private static let postgresRowsPerStatement = 5_000

    /// Many rows: one INSERT for each `postgresRowsPerStatement`, its columns bound as arrays in
    /// PostgreSQL's binary format and read back row by row with `unnest`. What every row shares (the
    /// owner, the time) is bound once. This replaced a `COPY` of the rows' text into a temporary
    /// table (COPY cannot write into a table under row-level security) and an INSERT from it:
    /// the statement's own INSERT is unchanged, and the text PostgreSQL had to parse for each row
    /// (two uuids, a date, a number, its labels), the temporary table and its catalog entries are gone.
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
                    // Each statement's arrays are built while PostgreSQL runs the one before.
                    let chunks = stride(from: 0, to: rows.count, by: postgresRowsPerStatement).map {
                        rows[$0..<min($0 + postgresRowsPerStatement, rows.count)]
                    }
                    func build(_ index: Int) -> Task<PostgresQuery, any Error> {
                        Task.detached { try unnestInsert(chunks[index], owner: owner, now: now) }
                    }
                    var next = build(0)
                    for index in chunks.indices {
                        let statement = try await next.value
                        if index + 1 < chunks.count { next = build(index + 1) }
                        _ = try await connection.query(statement, logger: logger)
                    }
                    if ownTransaction { _ = try await connection.query("COMMIT", logger: logger) }
                } catch {
                    if ownTransaction { _ = try? await connection.query("ROLLBACK", logger: logger) }
                    throw error
                }
            }
        }.get()
    }

    /// The INSERT of `rows` from arrays, one bound parameter a column.
    private static func unnestInsert(_ rows: ArraySlice<NewTransactionRow>, owner: UUID, now: Date) throws -> PostgresQuery {
        var binds = PostgresBindings(capacity: columns.count)
        binds.append(owner)
        binds.append(now)
        // Each array column, with the type it is read as.
        var arrays: [(column: String, type: String)] = []
        func add(_ column: String, _ type: String, _ values: some PostgresEncodable) throws {
            try binds.append(values)
            arrays.append((column, type))
        }
        try add("id", "uuid[]", rows.map(\.id))
        try add("account_id", "uuid[]", rows.map(\.accountID))
        try add("date", "date[]", PostgresTextArray(rows.map { $0.date.description }))
        try add("amount", "numeric[]", PostgresTextArray(rows.map { $0.amount.description }))
        try add("currency", "text[]", rows.map(\.currency.code))
        try add("description", "text[]", rows.map(\.description))
        try add("merchant_name", "text[]", PostgresTextArray(rows.map(\.merchantName)))
        try add("category", DatabaseEnum.transactionCategory.typeName + "[]", rows.map(\.category.rawValue))
        try add("category_source", "text[]", rows.map(\.categorySource.rawValue))
        try add("pending", "boolean[]", rows.map(\.pending))
        try add("import_key", "text[]", PostgresTextArray(rows.map(\.importKey)))
        try add("detailed_category", "text[]", PostgresTextArray(rows.map(\.detailedCategory)))
        try add("authorized_date", "date[]", PostgresTextArray(rows.map { $0.authorizedDate?.description }))
        try add("plaid_transaction_id", "text[]", PostgresTextArray(rows.map(\.plaidTransactionID)))
        try add("pending_transaction_id", "text[]", PostgresTextArray(rows.map(\.pendingTransactionID)))
        try add("notes", "text[]", PostgresTextArray(rows.map(\.notes)))
        let shared = ["user_id": "$1", "created_at": "$2", "updated_at": "$2"]
        let unnest = arrays.indices.map { "$\($0 + 3)::\(arrays[$0].type)" }.joined(separator: ", ")
        return PostgresQuery(unsafeSQL: """
            INSERT INTO transactions (\(columns.joined(separator: ", ")))
            SELECT \(columns.map { shared[$0] ?? "u.\($0)" }.joined(separator: ", "))
            FROM unnest(\(unnest)) AS u(\(arrays.map(\.column).joined(separator: ", ")))
            """, binds: binds)
    }

    private static func sqliteStatement(rowCount: Int) -> String {
        let row = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
        return "INSERT INTO transactions (\(columns.joined(separator: ", "))) VALUES "
            + Array(repeating: row, count: rowCount).joined(separator: ", ")
    }
}
