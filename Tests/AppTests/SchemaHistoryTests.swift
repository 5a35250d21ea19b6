@testable import App
import Fluent
import Foundation
import SQLKit
import Testing

/// A migration that has shipped creates the same schema forever. After each migration in turn, the
/// catalog's description of the schema is fingerprinted and compared with the fingerprints recorded
/// when each migration shipped (`Fixtures/Schema/<database>.txt`), so a change to a shared schema
/// helper that would alter what an old migration makes fails here. A new migration records its line
/// with `RECORD_SCHEMA=1 swift test --filter SchemaHistory` (on PostgreSQL too, with TEST_DATABASE_URL);
/// lines already recorded must never change.
@Suite("Schema history")
struct SchemaHistoryTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/Schema")

    @Test("Each migration leaves the schema it left when it shipped", arguments: TestBackend.all)
    func frozen(backend: TestBackend) async throws {
        try await withTestApp(backend, migrate: false) { app in
            var lines: [String] = []
            for (index, migration) in AppMigrations.all.enumerated() {
                try await migration.prepare(on: app.db).get()
                let schema = try await SchemaCatalog.snapshot(app.sql)
                lines.append(String(format: "%04d %@ %016llx", index + 1, "\(type(of: migration))", Self.fingerprint(schema)))
            }
            let file = Self.folder.appendingPathComponent("\(backend.rawValue).txt")
            if ProcessInfo.processInfo.environment["RECORD_SCHEMA"] == "1" {
                try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
                return
            }
            let recorded = try String(contentsOf: file, encoding: .utf8).split(separator: "\n").map(String.init)
            #expect(lines.count == recorded.count, "record the new migration's line with RECORD_SCHEMA=1")
            for (made, shipped) in zip(lines, recorded) {
                #expect(made == shipped, "the schema after this migration changed since it shipped")
            }
        }
    }

    /// FNV-1a over the sorted lines: the same schema, the same number, on every machine.
    static func fingerprint(_ lines: [String]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in lines.sorted().joined(separator: "\n").utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }
}
