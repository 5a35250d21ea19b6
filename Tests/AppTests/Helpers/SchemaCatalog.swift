@testable import App
import SQLKit

/// What the database's own catalog says the schema is: tables, columns, constraints, indexes, enum
/// types, and what runs inside the database (functions, triggers, row-level security and its
/// policies), as sorted lines, so two states of a database can be compared.
enum SchemaCatalog {
    static func snapshot(_ database: any SQLDatabase) async throws -> [String] {
        switch DatabaseEngine(database) {
        case .sqlite:
            return try await lines(database, """
                SELECT type || ' ' || name || ' ON ' || tbl_name || ': ' || coalesce(sql, '') AS line
                FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'
                """)
        case .postgres:
            let columns = try await lines(database, """
                SELECT 'column ' || table_name || '.' || column_name || ' ' || udt_name || ' '
                    || coalesce(numeric_precision::text || ',' || numeric_scale::text, '') || ' '
                    || is_nullable || ' ' || coalesce(column_default, '') AS line
                FROM information_schema.columns WHERE table_schema = 'public'
                """)
            let constraints = try await lines(database, """
                SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) AS line
                FROM pg_constraint WHERE connamespace = 'public'::regnamespace
                """)
            let indexes = try await lines(database, """
                SELECT 'index ' || indexname || ' ' || indexdef AS line FROM pg_indexes WHERE schemaname = 'public'
                """)
            let enums = try await lines(database, """
                SELECT 'enum ' || t.typname || ' ' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) AS line
                FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
                WHERE t.typnamespace = 'public'::regnamespace GROUP BY t.typname
                """)
            let functions = try await lines(database, """
                SELECT 'function ' || pg_get_functiondef(p.oid) AS line
                FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
                """)
            let triggers = try await lines(database, """
                SELECT 'trigger ' || pg_get_triggerdef(t.oid) AS line
                FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                WHERE c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal
                """)
            let security = try await lines(database, """
                SELECT 'row security ' || relname || ' ' || relrowsecurity::text || ' ' || relforcerowsecurity::text AS line
                FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'
                """)
            let policies = try await lines(database, """
                SELECT 'policy ' || tablename || ' ' || policyname || ' ' || cmd || ' ' || coalesce(qual, '') || ' '
                    || coalesce(with_check, '') AS line
                FROM pg_policies WHERE schemaname = 'public'
                """)
            return (columns + constraints + indexes + enums + functions + triggers + security + policies).sorted()
        }
    }

    /// The user-made objects left: tables, views, enum types, sequences, functions.
    static func objectCount(_ database: any SQLDatabase) async throws -> Int {
        switch DatabaseEngine(database) {
        case .sqlite:
            return try await database.scalar("SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
        case .postgres:
            return try await database.scalar("""
                SELECT (SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace)
                     + (SELECT count(*) FROM pg_type WHERE typnamespace = 'public'::regnamespace AND typtype = 'e')
                     + (SELECT count(*) FROM pg_proc WHERE pronamespace = 'public'::regnamespace)
                """)
        }
    }

    private static func lines(_ database: any SQLDatabase, _ query: String) async throws -> [String] {
        try await database.raw(SQLQueryString(query)).all().map { try $0.decode(column: "line", as: String.self) }.sorted()
    }
}
