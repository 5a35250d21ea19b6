import Crypto
import Fluent
import Foundation
import NIOConcurrencyHelpers
import PostgresKit
import PostgresNIO
import SQLKit

/// On PostgreSQL, the statements this process runs often are prepared once on each connection, then
/// only bound and executed: not parsed, analysed and planned again on every call. Under the mixed
/// load, parsing and planning took about a third of PostgreSQL's CPU (the overview's statement spent
/// twice as long in the planner as in the executor).
///
/// A statement is prepared once its text (with its parameters' types) has run `threshold` times in
/// this process, up to `FINANCE_PG_PREPARED_STATEMENTS` texts in all (128; 0 prepares none, for a
/// pooler in transaction mode), so statements whose text varies from call to call (a
/// list of a hundred days) never fill a connection with plans it will not use again. Only reads and
/// writes of rows are prepared (SELECT, INSERT, UPDATE, DELETE, WITH); transaction control and
/// schema changes run as they did. Until a text is prepared, it runs unnamed with the values bound
/// here, so that they are encoded once: a statement that carries a column of thousands of rows as
/// an array (an import's daily totals) is not encoded again by the driver.
///
/// PostgresNIO prepares each statement on each connection (`PostgresPreparedStatement`). It remembers a
/// preparation that failed, for the life of the connection (in an aborted transaction, say), so a
/// statement that fails in a way its preparation could have is prepared again under a new name next
/// time on that connection, a few times at most, then no longer prepared there. A conflict or a bad
/// value (a unique key taken, a sum out of range, a serialization failure) fails only a run.
struct PreparingSQLDatabase: SQLDatabase {
    let base: any SQLDatabase
    let postgres: any PostgresDatabase

    var logger: Logger { base.logger }
    var eventLoop: any EventLoop { base.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { base.version }
    var dialect: any SQLDialect { base.dialect }
    var queryLogLevel: Logger.Level? { base.queryLogLevel }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        guard let statement = PreparedStatements.shared.statement(for: query, on: base) else {
            return base.execute(sql: query, onRow)
        }
        return eventLoop.makeFutureWithTask { try await run(statement, onRow) }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        guard let statement = PreparedStatements.shared.statement(for: query, on: base) else {
            return try await base.execute(sql: query, onRow)
        }
        try await run(statement, onRow)
    }

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await base.withSession(closure)
    }

    private func run(_ statement: PreparedStatements.Statement, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        if let level = queryLogLevel {
            logger.log(level: level, statement.prepare ? "Executing prepared query" : "Executing query",
                       metadata: ["sql": .string(statement.text.sql)])
        }
        let logger = self.logger
        try await postgres.withConnection { connection in
            connection.eventLoop.makeFutureWithTask {
                try await PreparedStatements.shared.run(statement, on: connection, logger: logger) { row in
                    onRow(row.sql())
                }
            }
        }.get()
    }
}

/// Which statement texts are prepared, and their runs (see `PreparingSQLDatabase`).
final class PreparedStatements: Sendable {
    static let shared = PreparedStatements()

    /// Runs of a text in this process before it is prepared.
    let threshold = 3
    /// Texts counted before the count starts afresh (those not yet prepared are forgotten).
    let counted = 4_096
    /// Names tried for one text on one connection before it runs unprepared there.
    let attempts = 4

    /// A statement to prepare: its text, its parameters' types and its name (a digest of both).
    struct Text: Sendable {
        let name: String
        let sql: String
        let types: [PostgresDataType]
    }

    /// A statement with its values bound, to run prepared, or as it is (unnamed) while its text has
    /// not run often enough: its values are encoded once either way.
    struct Statement: Sendable {
        let text: Text
        let bindings: PostgresBindings
        let prepare: Bool
    }

    private struct State {
        /// Runs of each text not yet prepared; texts prepared (keyed by name).
        var runs: [String: Int] = [:]
        var prepared: [String: Text] = [:]
        /// Texts prepared in all, in this process.
        var capacity = 128
        /// Failures of a prepared text on a connection: its name there takes a new suffix for each.
        var failures: [FailureKey: Int] = [:]
    }

    private struct FailureKey: Hashable {
        let connection: PostgresConnection.ID
        let name: String
    }

    private let state = NIOLockedValueBox(State())

    /// Prepares at most `capacity` texts from now on (those prepared already stay).
    func limit(to capacity: Int) {
        state.withLockedValue { $0.capacity = capacity }
    }

    /// The statement for `query` with its values bound by PostgresNIO, prepared once its text has run
    /// often enough; nil for the driver to run: preparing is off, not a statement that is prepared,
    /// or a bound value PostgresNIO does not encode itself.
    func statement(for query: any SQLExpression, on database: any SQLDatabase) -> Statement? {
        guard state.withLockedValue({ $0.capacity > 0 }) else { return nil }
        var serializer = SQLSerializer(database: database)
        query.serialize(to: &serializer)
        guard Self.isPreparable(serializer.sql) else { return nil }
        var bindings = PostgresBindings(capacity: serializer.binds.count)
        var types: [PostgresDataType] = []
        types.reserveCapacity(serializer.binds.count)
        for bind in serializer.binds {
            if let optional = bind as? any OptionalBind, optional.isNone {
                // NULL of the optional's type, as PostgresKit states it.
                guard let type = optional.wrappedType else { return nil }
                bindings.appendNull()
                types.append(type)
            } else if let value = bind as? any PostgresThrowingDynamicTypeEncodable {
                guard (try? bindings.append(value)) != nil else { return nil }
                types.append(value.psqlType)
            } else {
                return nil
            }
        }
        let key = Self.name(sql: serializer.sql, types: types)
        let prepared: Text? = state.withLockedValue { state in
            if let text = state.prepared[key] { return text }
            let runs = (state.runs[key] ?? 0) + 1
            guard runs >= threshold, state.prepared.count < state.capacity else {
                if state.runs.count >= counted { state.runs.removeAll(keepingCapacity: true) }
                state.runs[key] = runs
                return nil
            }
            state.runs[key] = nil
            let text = Text(name: key, sql: serializer.sql, types: types)
            state.prepared[key] = text
            return text
        }
        guard let prepared else {
            return Statement(text: Text(name: key, sql: serializer.sql, types: types), bindings: bindings, prepare: false)
        }
        return Statement(text: prepared, bindings: bindings, prepare: true)
    }

    /// Runs `statement` on `connection`, prepared there under its name (or its name for the
    /// connection after failures), or as it is when it is not to be prepared, or once it failed too
    /// often there.
    func run(_ statement: Statement, on connection: PostgresConnection, logger: Logger,
             _ onRow: (PostgresRow) -> Void) async throws {
        guard statement.prepare else { return try await Self.runUnnamed(statement, on: connection, logger: logger, onRow) }
        let failureKey = FailureKey(connection: connection.id, name: statement.text.name)
        let failures = state.withLockedValue { $0.failures[failureKey] ?? 0 }
        guard failures < attempts else { return try await Self.runUnnamed(statement, on: connection, logger: logger, onRow) }
        let text = failures == 0 ? statement.text
            : Text(name: "\(statement.text.name)_\(failures)", sql: statement.text.sql, types: statement.text.types)
        do {
            try await Named.$text.withValue(text) {
                for try await row in try await connection.execute(Named(bindings: statement.bindings), logger: logger) { onRow(row) }
            }
        } catch {
            if Self.mayHaveFailedPreparing(error) {
                state.withLockedValue { state in
                    if state.failures.count >= counted { state.failures.removeAll(keepingCapacity: true) }
                    state.failures[failureKey, default: 0] += 1
                }
            }
            throw error
        }
    }

    /// Runs `statement` as it is, unnamed, with the values already bound.
    private static func runUnnamed(_ statement: Statement, on connection: PostgresConnection, logger: Logger,
                                   _ onRow: (PostgresRow) -> Void) async throws {
        let query = PostgresQuery(unsafeSQL: statement.text.sql, binds: statement.bindings)
        for try await row in try await connection.query(query, logger: logger) { onRow(row) }
    }

    /// Whether `error` may have come from preparing the statement rather than from running it: any
    /// error but those of the values a run meets (data exceptions, integrity constraints, a
    /// serialization failure or deadlock), which a statement raises only once it runs.
    static func mayHaveFailedPreparing(_ error: any Error) -> Bool {
        guard let state = (error as? PSQLError)?.serverInfo?[.sqlState] else { return true }
        return !["22", "23", "40"].contains(String(state.prefix(2)))
    }

    /// Reads and writes of rows; not transaction control, settings of the session or schema changes.
    static func isPreparable(_ sql: String) -> Bool {
        let verb = sql.utf8.prefix { ($0 | 0x20) >= UInt8(ascii: "a") && ($0 | 0x20) <= UInt8(ascii: "z") }.map { $0 | 0x20 }
        return ["select", "insert", "update", "delete", "with"].contains { verb.elementsEqual($0.utf8) }
    }

    /// A name for the text and its types, within PostgreSQL's 63 bytes.
    static func name(sql: String, types: [PostgresDataType]) -> String {
        var hash = SHA256()
        hash.update(data: Data(sql.utf8))
        for type in types { withUnsafeBytes(of: type.rawValue.bigEndian) { hash.update(bufferPointer: $0) } }
        let digits = Array("0123456789abcdef".utf8)
        var name = Array("f_".utf8)
        for byte in hash.finalize().prefix(16) { name += [digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]] }
        return String(decoding: name, as: UTF8.self)
    }

    /// PostgresNIO prepares a statement type's static text; this type's text is the task's
    /// (`$text`), read when the statement is sent.
    private struct Named: PostgresPreparedStatement {
        @TaskLocal static var text = Text(name: "", sql: "", types: [])
        static var name: String { text.name }
        static var sql: String { text.sql }
        static var bindingDataTypes: [PostgresDataType] { text.types }

        let bindings: PostgresBindings

        func makeBindings() throws -> PostgresBindings { bindings }
        func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
    }
}

/// A bound optional: whether it holds nothing, and the PostgreSQL type of what it would hold.
private protocol OptionalBind {
    var isNone: Bool { get }
    var wrappedType: PostgresDataType? { get }
}

extension Optional: OptionalBind {
    fileprivate var isNone: Bool { self == nil }
    fileprivate var wrappedType: PostgresDataType? { (Wrapped.self as? any PostgresEncodable.Type)?.psqlType }
}
