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

/// A one-dimensional `text[]` whose elements may be NULL, bound in PostgreSQL's binary format
/// (PostgresNIO's own arrays have no NULL elements): to send a column of many rows as one value,
/// cast in the statement to what the column holds (`$1::date[]`).
struct PostgresTextArray: PostgresNonThrowingEncodable {
    let values: [String?]

    init(_ values: [String?]) { self.values = values }

    static var psqlType: PostgresDataType { .textArray }
    static var psqlFormat: PostgresFormat { .binary }

    func encode<JSONEncoder: PostgresJSONEncoder>(into buffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        // Dimensions, whether any element is NULL, the elements' type; then each dimension's length
        // and lower bound; then each element as its length and bytes, or -1 for NULL.
        buffer.writeInteger(values.isEmpty ? 0 : 1, as: Int32.self)
        buffer.writeInteger(values.contains(where: { $0 == nil }) ? 1 : 0, as: Int32.self)
        buffer.writeInteger(PostgresDataType.text.rawValue)
        guard !values.isEmpty else { return }
        buffer.writeInteger(Int32(values.count))
        buffer.writeInteger(1, as: Int32.self)
        for value in values {
            guard let value else {
                buffer.writeInteger(-1, as: Int32.self)
                continue
            }
            let lengthIndex = buffer.writerIndex
            buffer.writeInteger(0, as: Int32.self)
            let written = buffer.writeString(value)
            buffer.setInteger(Int32(written), at: lengthIndex)
        }
    }
}
