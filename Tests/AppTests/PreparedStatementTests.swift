@testable import App
import Fluent
import Foundation
import PostgresNIO
import SQLKit
import Testing

/// On PostgreSQL the statements run often are prepared on each connection (`PreparingSQLDatabase`):
/// the answers stay those of the statement run as it is, each user still sees only their rows, and a
/// preparation that failed does not break the statement on its connection.
@Suite("Prepared statements on PostgreSQL")
struct PreparedStatementTests {
    /// A statement of its own for each run of the tests (the comment), with a number and a text
    /// that may be nil.
    static func statement(_ tag: String, _ number: Int64, _ label: String?) -> SQLQueryString {
        "SELECT \(bind: number)::bigint + 1 AS n, \(bind: label)::text AS label -- \(unsafeRaw: tag)"
    }

    static func prepared(_ name: String, on db: any Database) async throws -> Int {
        try await db.sql.raw("SELECT count(*) AS n FROM pg_prepared_statements WHERE name = \(bind: name)")
            .first()?.decode(column: "n", as: Int.self) ?? 0
    }

    @Test("A statement run often is prepared once on its connection and answers as before",
          .enabled(if: TestBackend.postgresURL != nil, "needs TEST_DATABASE_URL"))
    func preparedOnceAndAnswersAsBefore() async throws {
        try await withTestApp(.postgres) { app in
            let tag = UUID().uuidString
            var serializer = SQLSerializer(database: app.db.sql)
            Self.statement(tag, 0, nil).serialize(to: &serializer)
            // A nil text is bound as a NULL of type text: one statement for both.
            let name = PreparedStatements.name(sql: serializer.sql, types: [.int8, .text])
            try await app.db.withConnection { db in
                #expect(try await Self.prepared(name, on: db) == 0)
                for value in Int64(1)...10 {
                    let label: String? = value.isMultiple(of: 2) ? nil : "odd \(value)"
                    let row = try #require(try await db.sql.raw(Self.statement(tag, value, label)).first())
                    #expect(try row.decode(column: "n", as: Int64.self) == value + 1)
                    #expect(try row.decode(column: "label", as: String?.self) == label)
                }
                // Prepared at the third run, once.
                #expect(try await Self.prepared(name, on: db) == 1)
            }
        }
    }

    @Test("A prepared statement shows each user their own rows",
          .enabled(if: TestBackend.postgresURL != nil, "needs TEST_DATABASE_URL"))
    func rowLevelSecurityHolds() async throws {
        try await withTestApp(.postgres) { app in
            let fixtures = RawFixtures(app: app)
            let ada = try await fixtures.user(), bob = try await fixtures.user()
            try await fixtures.everything(for: ada)
            try await fixtures.everything(for: bob)
            let query: SQLQueryString = "SELECT user_id FROM transactions WHERE amount <> \(bind: Int64(0)) -- \(unsafeRaw: UUID().uuidString)"
            for round in 0..<4 {
                for user in round.isMultiple(of: 2) ? [ada, bob] : [bob, ada] {
                    let seen = try await app.db.asUser(user) { db in
                        try await db.sql.raw(query).all().map { try $0.decode(column: "user_id", as: UUID.self) }
                    }
                    #expect(!seen.isEmpty)
                    #expect(seen.allSatisfy { $0 == user }, "a prepared statement showed another user's rows")
                }
            }
        }
    }

    @Test("A statement whose preparation failed works again on the same connection",
          .enabled(if: TestBackend.postgresURL != nil, "needs TEST_DATABASE_URL"))
    func failedPreparationRecovers() async throws {
        try await withTestApp(.postgres) { app in
            let tag = UUID().uuidString
            try await app.db.withConnection { db in
                // Run twice as it is: the third run prepares it.
                for value in Int64(1)...2 { _ = try await db.sql.raw(Self.statement(tag, value, "x")).first() }
                try await db.sql.raw("BEGIN").run()
                await #expect(throws: (any Error).self) { try await db.sql.raw("SELECT 1 / 0 AS n").run() }
                // Prepared in an aborted transaction: PostgreSQL refuses, and PostgresNIO remembers.
                await #expect(throws: (any Error).self) { _ = try await db.sql.raw(Self.statement(tag, 3, "x")).first() }
                try await db.sql.raw("ROLLBACK").run()
                for value in Int64(4)...6 {
                    let row = try #require(try await db.sql.raw(Self.statement(tag, value, "x")).first())
                    #expect(try row.decode(column: "n", as: Int64.self) == value + 1)
                }
            }
        }
    }

    @Test("A statement that meets a conflict stays prepared under its name",
          .enabled(if: TestBackend.postgresURL != nil, "needs TEST_DATABASE_URL"))
    func conflictsFailOnlyTheRun() async throws {
        try await withTestApp(.postgres) { app in
            let tag = UUID().uuidString
            try await app.db.withConnection { db in
                try await db.sql.raw("CREATE TEMPORARY TABLE taken (id bigint PRIMARY KEY)").run()
                let insert: SQLQueryString = "INSERT INTO taken (id) VALUES (\(bind: Int64(1))) -- \(unsafeRaw: tag)"
                try await db.sql.raw(insert).run()
                for _ in 0..<6 {
                    await #expect(throws: (any Error).self) { try await db.sql.raw(insert).run() }
                }
                var serializer = SQLSerializer(database: db.sql)
                insert.serialize(to: &serializer)
                let name = PreparedStatements.name(sql: serializer.sql, types: [.int8])
                let names = try await db.sql.raw("SELECT name FROM pg_prepared_statements WHERE name LIKE \(bind: name + "%")")
                    .all().map { try $0.decode(column: "name", as: String.self) }
                #expect(names == [name])
                try await db.sql.raw("DROP TABLE taken").run()
            }
        }
    }

    @Test("Only reads and writes of rows are prepared")
    func whatIsPrepared() {
        for sql in ["SELECT 1", "select 1", "INSERT INTO t VALUES (1)", "UPDATE t SET a = 1", "DELETE FROM t", "WITH a AS (SELECT 1) SELECT * FROM a"] {
            #expect(PreparedStatements.isPreparable(sql), "\(sql)")
        }
        for sql in ["BEGIN", "COMMIT", "ROLLBACK TO batch", "SAVEPOINT unit", "CREATE TABLE t (a int)", "SET LOCAL x = 1", "ANALYZE", "VACUUM t", "selective"] {
            #expect(!PreparedStatements.isPreparable(sql), "\(sql)")
        }
    }
}
