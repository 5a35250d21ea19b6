import Fluent
import Foundation
import SQLKit

/// SQLite tests `x IN ('a', 'b', ...)` in a CHECK against a temporary index for every row it writes,
/// which made the enumeration and boolean checks of the ledger's busiest tables most of the cost of
/// writing a row. The same rules, spelled `x = 'a' OR x = 'b' ...` and `x BETWEEN 0 AND 1` (the columns
/// are STRICT integers), cost a few comparisons.
///
/// A constraint's text changes and what it allows does not, so the rows on disk stay as they are:
/// the table definitions are rewritten in place, as SQLite documents for changes that leave the stored
/// content valid (`PRAGMA writable_schema`, then a new schema version). PostgreSQL keeps real enum
/// types and is untouched.
struct RewriteSQLiteListChecks: AsyncMigration {
    static let tables = ["transactions", "daily_totals", "balance_snapshots"]

    func prepare(on database: any Database) async throws {
        try await rewrite(database, with: ListChecks.comparisons)
    }

    func revert(on database: any Database) async throws {
        try await rewrite(database, with: ListChecks.lists)
    }

    private func rewrite(_ database: any Database, with change: @escaping @Sendable (String) -> String) async throws {
        guard database.engine == .sqlite else { return }
        try await database.transaction { db in
            let sql = db.sql
            var changed = false
            for table in Self.tables {
                guard let row = try await sql.raw("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = \(bind: table)").first() else { continue }
                let old = try row.decode(column: "sql", as: String.self)
                let new = change(old)
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
