import Fluent
import SQLKit

/// The two databases the server runs on. Schema and heavy queries differ between them in a few
/// places (enum types, exact decimals, row-level security); everything else is shared.
public enum DatabaseEngine: String, Sendable {
    case sqlite
    case postgres

    public init(_ database: any SQLDatabase) {
        self = database.dialect.name == "postgresql" ? .postgres : .sqlite
    }
}

extension Database {
    /// This database as SQLKit sees it. Both drivers the server supports are SQL databases.
    var sql: any SQLDatabase {
        guard let sql = self as? any SQLDatabase else {
            preconditionFailure("FinanceDashboard runs on SQL databases only")
        }
        return sql
    }

    var engine: DatabaseEngine { DatabaseEngine(sql) }
}

extension SQLDatabase {
    /// Runs statements in order, each as raw SQL written by this program (never with user input).
    func execute(_ statements: [String]) async throws {
        for statement in statements {
            try await self.raw(SQLQueryString(statement)).run()
        }
    }
}

extension SQLDatabase {
    /// Runs one statement per chunk of `rows` (500 at a time, well inside both databases' limits on
    /// bound parameters), each given the chunk's rows rendered by `row` and joined with commas: a
    /// multi-row `VALUES` list, or an `IN` list.
    func runInChunks<Row>(_ rows: [Row], of size: Int = 500, row: (Row) -> SQLQueryString,
                          statement: (SQLQueryString) -> SQLQueryString) async throws {
        var start = 0
        while start < rows.count {
            var list: SQLQueryString = ""
            for (index, element) in rows[start..<min(start + size, rows.count)].enumerated() {
                if index > 0 { list += ", " }
                list += row(element)
            }
            try await raw(statement(list)).run()
            start += size
        }
    }
}
