import FinanceCore
import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation

/// A transaction about to be written in bulk (an import, a sync page, a benchmark).
struct NewTransactionRow: Sendable {
    var id = UUID()
    let userID: UUID
    let accountID: UUID
    let date: LocalDate
    let amount: Amount
    let currency: CurrencyCode
    let description: String
    let merchantName: String?
    let category: TransactionCategory
    let pending: Bool
}

/// Writes many transactions at once: multi-row INSERTs with bound parameters straight through each
/// driver (no per-row model or encoder), all inside one database transaction, so a batch lands whole or not at all.
enum TransactionBulkInsert {
    static let columns = [
        "id", "user_id", "account_id", "date", "amount", "currency", "description",
        "merchant_name", "category", "pending", "created_at", "updated_at",
    ]

    /// Inserts `rows` atomically and answers how many were written.
    @discardableResult
    static func insert(_ rows: [NewTransactionRow], on database: any Database, now: Date = Date()) async throws -> Int {
        guard !rows.isEmpty else { return 0 }
        if let sqlite = database as? any SQLiteDatabase {
            try await insertSQLite(rows, on: sqlite, now: now)
        } else if let postgres = database as? any PostgresDatabase {
            try await insertPostgres(rows, on: postgres, now: now)
        } else {
            preconditionFailure("unsupported database driver")
        }
        return rows.count
    }

    // SQLite allows 32,766 parameters a statement.
    private static let sqliteRowsPerStatement = 500
    // PostgreSQL allows 65,535 parameters a statement.
    private static let postgresRowsPerStatement = 2_000

    private static func insertSQLite(_ rows: [NewTransactionRow], on database: any SQLiteDatabase, now: Date) async throws {
        let timestamp = SQLiteData.float(now.timeIntervalSince1970)
        try await database.withConnection { connection in
            // IMMEDIATE takes the write lock now, so the batch cannot fail halfway for want of it.
            _ = try await connection.query("BEGIN IMMEDIATE")
            do {
                var start = 0
                while start < rows.count {
                    let chunk = rows[start..<min(start + sqliteRowsPerStatement, rows.count)]
                    var binds: [SQLiteData] = []
                    binds.reserveCapacity(chunk.count * columns.count)
                    for row in chunk {
                        binds.append(.text(row.id.uuidString))
                        binds.append(.text(row.userID.uuidString))
                        binds.append(.text(row.accountID.uuidString))
                        binds.append(.text(row.date.description))
                        binds.append(.integer(Int(row.amount.units)))
                        binds.append(.text(row.currency.code))
                        binds.append(.text(row.description))
                        binds.append(row.merchantName.map(SQLiteData.text) ?? .null)
                        binds.append(.text(row.category.rawValue))
                        binds.append(.integer(row.pending ? 1 : 0))
                        binds.append(timestamp)
                        binds.append(timestamp)
                    }
                    _ = try await connection.query(sqliteStatement(rowCount: chunk.count), binds)
                    start += chunk.count
                }
                _ = try await connection.query("COMMIT")
            } catch {
                _ = try? await connection.query("ROLLBACK")
                throw error
            }
        }
    }

    private static func insertPostgres(_ rows: [NewTransactionRow], on database: any PostgresDatabase, now: Date) async throws {
        let logger = database.logger
        try await database.withConnection { connection in
            connection.eventLoop.makeFutureWithTask {
                _ = try await connection.query("BEGIN", logger: logger)
                do {
                    var start = 0
                    while start < rows.count {
                        let chunk = rows[start..<min(start + postgresRowsPerStatement, rows.count)]
                        var bindings = PostgresBindings(capacity: chunk.count * columns.count)
                        for row in chunk {
                            bindings.append(row.id)
                            bindings.append(row.userID)
                            bindings.append(row.accountID)
                            bindings.append(row.date)
                            bindings.append(row.amount)
                            bindings.append(row.currency)
                            bindings.append(row.description)
                            bindings.append(row.merchantName)
                            bindings.append(row.category.rawValue)
                            bindings.append(row.pending)
                            bindings.append(now)
                            bindings.append(now)
                        }
                        let query = PostgresQuery(unsafeSQL: postgresStatement(rowCount: chunk.count), binds: bindings)
                        _ = try await connection.query(query, logger: logger)
                        start += chunk.count
                    }
                    _ = try await connection.query("COMMIT", logger: logger)
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: logger)
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

    private static func postgresStatement(rowCount: Int) -> String {
        var sql = "INSERT INTO transactions (\(columns.joined(separator: ", "))) VALUES "
        sql.reserveCapacity(rowCount * 100)
        for index in 0..<rowCount {
            let base = index * columns.count
            let placeholders = (1...columns.count).map { column in
                // Parameters arrive as text; the category column is an enum type.
                columns[column - 1] == "category" ? "$\(base + column)::transaction_category" : "$\(base + column)"
            }
            sql += (index == 0 ? "(" : ", (") + placeholders.joined(separator: ", ") + ")"
        }
        return sql
    }
}
