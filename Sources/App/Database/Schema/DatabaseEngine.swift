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
