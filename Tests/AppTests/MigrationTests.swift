@testable import App
import Fluent
import SQLKit
import Testing
import Vapor

@Suite("Migrations")
struct MigrationTests {
    @Test("Up, down to an empty database, and up again gives the same schema", arguments: TestBackend.all)
    func upDownUp(backend: TestBackend) async throws {
        try await withTestApp(backend, migrate: false) { app in
            #expect(try await SchemaCatalog.objectCount(app.sql) == 0)
            #expect(try await DatabaseMigrations.migrate(app) == AppMigrations.all.count)
            let first = try await SchemaCatalog.snapshot(app.sql)
            for table in ["users"] + UserOwnedTable.all {
                #expect(first.contains { $0.contains(" \(table)") }, "\(table) is missing")
            }

            try await DatabaseMigrations.revertAll(app)
            #expect(try await SchemaCatalog.objectCount(app.sql) == 0)

            #expect(try await DatabaseMigrations.migrate(app) == AppMigrations.all.count)
            #expect(try await DatabaseMigrations.migrate(app) == 0)
            #expect(try await SchemaCatalog.snapshot(app.sql) == first)
        }
    }

    @Test("Every user-owned table carries user_id with a cascading foreign key to users, or to an owned parent that has one",
          arguments: TestBackend.all)
    func ownerColumns(backend: TestBackend) async throws {
        // A transaction's owner is its account's: the key (account_id, user_id) holds both.
        let parents = ["transactions": ("account_id", "accounts")]
        try await withTestApp(backend) { app in
            let catalog = try await SchemaCatalog.snapshot(app.sql).joined(separator: "\n")
            for table in UserOwnedTable.all {
                let (columns, target) = parents[table].map { ("\($0.0), user_id", "\($0.1)(id, user_id)") } ?? ("user_id", "users(id)")
                let name = "\(table)_\(columns.replacingOccurrences(of: ", ", with: "_"))_fkey"
                switch backend {
                case .postgres:
                    #expect(catalog.contains("column \(table).user_id uuid"))
                    #expect(catalog.contains("constraint \(table) \(name) FOREIGN KEY (\(columns)) REFERENCES \(target) ON DELETE CASCADE"), "\(table)")
                case .sqlite:
                    let spelled = target.replacingOccurrences(of: "(", with: " (")
                    #expect(catalog.contains("CONSTRAINT \(name) FOREIGN KEY (\(columns)) REFERENCES \(spelled) ON DELETE CASCADE"), "\(table)")
                }
                if let parent = parents[table]?.1 { #expect(!parents.keys.contains(parent) && UserOwnedTable.all.contains(parent)) }
            }
        }
    }

    @Test("PostgreSQL has the enum types, exact numeric columns and the ledger's indexes",
          .enabled(if: TestBackend.postgresURL != nil, "needs TEST_DATABASE_URL"))
    func postgresCatalog() async throws {
        try await withTestApp(.postgres) { app in
            let catalog = try await SchemaCatalog.snapshot(app.sql)
            for enumeration in DatabaseEnum.all {
                #expect(catalog.contains("enum \(enumeration.typeName) \(enumeration.values.joined(separator: ","))"))
            }
            #expect(catalog.contains { $0.hasPrefix("column transactions.amount numeric 18,4 NO") })
            #expect(catalog.contains { $0.hasPrefix("column portfolio_items.quantity numeric 18,8 NO") })
            #expect(catalog.contains { $0.hasPrefix("column transactions.category transaction_category") })
            #expect(catalog.contains { $0.hasPrefix("index transactions_user_date_idx") && $0.contains("(user_id, date DESC, id DESC)") })
            #expect(catalog.contains { $0.contains("portfolio_items_quantity_check CHECK ((quantity >= (0)::numeric))") })
        }
    }

    @Test("SQLite's list checks are spelled as comparisons, and back again on revert")
    func listChecks() async throws {
        let original = """
            CREATE TABLE t (category TEXT NOT NULL, pending INTEGER NOT NULL, amount INTEGER NOT NULL, \
            CONSTRAINT t_category_enum CHECK (category IN ('INCOME', 'TRANSFER_IN', 'K401')), \
            CONSTRAINT t_pending_boolean CHECK (pending IN (0, 1)), CONSTRAINT t_amount_range CHECK (amount BETWEEN -99 AND 99)) STRICT
            """
        let rewritten = ListChecks.comparisons(original)
        #expect(rewritten == """
            CREATE TABLE t (category TEXT NOT NULL, pending INTEGER NOT NULL, amount INTEGER NOT NULL, \
            CONSTRAINT t_category_enum CHECK ((category = 'INCOME' OR category = 'TRANSFER_IN' OR category = 'K401')), \
            CONSTRAINT t_pending_boolean CHECK (pending BETWEEN 0 AND 1), CONSTRAINT t_amount_range CHECK (amount BETWEEN -99 AND 99)) STRICT
            """)
        #expect(ListChecks.lists(rewritten) == original)

        try await withTestApp(.sqlite) { app in
            for table in LightenLedgerWrites.listCheckTables {
                let sql = try await app.sql.raw("SELECT sql FROM sqlite_schema WHERE name = \(bind: table)").first()?.decode(column: "sql", as: String.self)
                #expect(sql?.contains(" IN (") == false, "\(table): \(sql ?? "missing")")
                #expect(sql?.contains(table == "daily_totals" ? "(category = 'INCOME' OR " : " BETWEEN 0 AND 1") == true, "\(table): \(sql ?? "missing")")
            }
            try await LightenLedgerWrites().revert(on: app.db)
            let reverted = try await app.sql.raw("SELECT sql FROM sqlite_schema WHERE name = 'transactions'").first()?.decode(column: "sql", as: String.self)
            #expect(reverted?.contains("category IN ('INCOME', ") == true)
            #expect(reverted?.contains("is_transfer IN (0, 1)") == true)
        }
    }
}
