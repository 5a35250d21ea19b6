import Fluent
import PostgresNIO
import SQLKit

/// A statement written for SQLKit, run on PostgreSQL through PostgresNIO, for rows to decode by
/// position: a hot read of thousands of rows where SQLKit's rows look each column up by name and
/// cast its type on every value.
enum PostgresRows {
    /// The rows of `query`, or nil when `db` is not PostgreSQL (or a bind is not a PostgreSQL value).
    static func all(_ query: SQLQueryString, on db: any Database) async throws -> [PostgresRow]? {
        guard let postgres = db as? any PostgresDatabase else { return nil }
        var serializer = SQLSerializer(database: db.sql)
        query.serialize(to: &serializer)
        var bindings = PostgresBindings(capacity: serializer.binds.count)
        for bind in serializer.binds {
            guard let value = bind as? any PostgresEncodable else { return nil }
            try bindings.append(value)
        }
        let statement = PostgresQuery(unsafeSQL: serializer.sql, binds: bindings)
        let logger = db.logger
        return try await postgres.withConnection { connection in
            connection.eventLoop.makeFutureWithTask { try await connection.query(statement, logger: logger).collect() }
        }.get()
    }
}
