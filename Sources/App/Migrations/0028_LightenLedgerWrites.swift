import Fluent
import Foundation
import SQLKit

/// What writing a transaction costs beyond the row and its indexes, made smaller without changing what
/// the database accepts:
///
/// - SQLite tests `x IN ('a', 'b', ...)` in a CHECK against a temporary index for every row it writes,
///   which made the enumeration and boolean checks of the ledger's busiest tables most of the cost of
///   writing a row. The same rules spelled `x = 'a' OR x = 'b' ...` and `x BETWEEN 0 AND 1` (the columns
///   are STRICT integers) cost a few comparisons. Only the text of the constraints changes, so the
///   definitions are rewritten in place, as SQLite documents for changes that leave the stored rows
///   valid (`PRAGMA writable_schema`, then a new schema version). PostgreSQL has real enum types.
/// - A transaction's `user_id` is already bound to its owner by the foreign key `(account_id, user_id)`
///   to the account, whose `user_id` references the user with a cascade: the second key straight to
///   `users` checked nothing more, at the price of a lookup (a trigger, on PostgreSQL) per row written.
struct LightenLedgerWrites: AsyncMigration {
    static let listCheckTables = ["transactions", "daily_totals", "balance_snapshots"]
    static let userKey = "CONSTRAINT transactions_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE"

    func prepare(on database: any Database) async throws {
        try await database.transaction { db in
            switch db.engine {
            case .postgres:
                try await db.sql.raw("ALTER TABLE transactions DROP CONSTRAINT transactions_user_id_fkey").run()
            case .sqlite:
                try await Self.rewriteTables(db) { table, sql in
                    let checks = ListChecks.comparisons(sql)
                    return table == "transactions" ? checks.replacingOccurrences(of: "    \(Self.userKey),\n", with: "") : checks
                }
            }
        }
    }

    func revert(on database: any Database) async throws {
        try await database.transaction { db in
            switch db.engine {
            case .postgres:
                try await db.sql.raw("ALTER TABLE transactions ADD \(unsafeRaw: Self.userKey)").run()
            case .sqlite:
                let composite = "    CONSTRAINT transactions_account_id_user_id_fkey"
                try await Self.rewriteTables(db) { table, sql in
                    let lists = ListChecks.lists(sql)
                    guard table == "transactions", !lists.contains(Self.userKey) else { return lists }
                    return lists.replacingOccurrences(of: composite, with: "    \(Self.userKey),\n\(composite)")
                }
            }
        }
    }

    /// Replaces the `CREATE TABLE` text of the tables in place; the stored rows must satisfy the new text.
    private static func rewriteTables(_ db: any Database, _ change: (String, String) -> String) async throws {
        let sql = db.sql
        var changed = false
        for table in listCheckTables {
            guard let row = try await sql.raw("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = \(bind: table)").first() else { continue }
            let old = try row.decode(column: "sql", as: String.self)
            let new = change(table, old)
            guard new != old else { continue }
            if !changed {
                try await sql.raw("PRAGMA writable_schema = ON").run()
                changed = true
            }
            try await sql.raw("UPDATE sqlite_schema SET sql = \(bind: new) WHERE type = 'table' AND name = \(bind: table)").run()
        }
        guard changed else { return }
        let version = try await sql.raw("PRAGMA schema_version").first()?.decode(column: "schema_version", as: Int.self) ?? 0
        // Every connection reads the definitions again before its next statement.
        try await sql.raw("PRAGMA schema_version = \(unsafeRaw: String(version + 1))").run()
        try await sql.raw("PRAGMA writable_schema = OFF").run()
    }
}

/// The two spellings of list checks in a `CREATE TABLE` statement, each turned into the other.
enum ListChecks {
    /// `c IN ('a', 'b')` → `(c = 'a' OR c = 'b')`; `c IN (0, 1)` → `c BETWEEN 0 AND 1`.
    static func comparisons(_ sql: String) -> String {
        var text = replace(#"\b([a-z_]+) IN \((0, 1)\)"#, in: sql) { groups in "\(groups[0]) BETWEEN 0 AND 1" }
        text = replace(#"\b([a-z_]+) IN \(('[A-Za-z0-9_]+'(?:, '[A-Za-z0-9_]+')*)\)"#, in: text) { groups in
            let values = groups[1].components(separatedBy: ", ")
            return "(" + values.map { "\(groups[0]) = \($0)" }.joined(separator: " OR ") + ")"
        }
        return text
    }

    /// The inverse of `comparisons`.
    static func lists(_ sql: String) -> String {
        var text = replace(#"\b([a-z_]+) BETWEEN 0 AND 1\b"#, in: sql) { groups in "\(groups[0]) IN (0, 1)" }
        text = replace(#"\(([a-z_]+) = ('[A-Za-z0-9_]+'(?: OR \1 = '[A-Za-z0-9_]+')*)\)"#, in: text) { groups in
            let column = groups[0]
            let values = groups[1].components(separatedBy: " OR ").map { $0.replacingOccurrences(of: "\(column) = ", with: "") }
            return "\(column) IN (\(values.joined(separator: ", ")))"
        }
        return text
    }

    private static func replace(_ pattern: String, in text: String, with make: ([String]) -> String) -> String {
        // The patterns are the constants above.
        let regex = try! NSRegularExpression(pattern: pattern)
        let source = text as NSString
        var result = ""
        var last = 0
        for match in regex.matches(in: text, range: NSRange(location: 0, length: source.length)) {
            result += source.substring(with: NSRange(location: last, length: match.range.location - last))
            let groups = (1..<match.numberOfRanges).map { source.substring(with: match.range(at: $0)) }
            result += make(groups)
            last = match.range.location + match.range.length
        }
        return result + source.substring(from: last)
    }
}
