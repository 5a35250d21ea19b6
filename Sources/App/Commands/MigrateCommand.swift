import Fluent
import SQLKit
import Vapor

/// `finance migrate [--revert]`: applies pending migrations, or reverts every one of them.
struct MigrateCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Flag(name: "revert", help: "Revert every migration, leaving an empty database.")
        var revert: Bool
    }

    var help: String {
        "Applies pending database migrations; with --revert, reverts them all down to an empty database."
    }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        if signature.revert {
            try await DatabaseMigrations.revertAll(app)
            context.console.print("Reverted every migration; the database is empty.")
        } else {
            let applied = try await DatabaseMigrations.migrate(app)
            context.console.print(applied == 0 ? "The database is up to date." : "Applied \(applied) migration(s).")
        }
    }
}

enum DatabaseMigrations {
    /// Applies pending migrations and answers how many ran.
    @discardableResult
    static func migrate(_ app: Application) async throws -> Int {
        try await app.migrator.setupIfNeeded().get()
        let pending = try await app.migrator.previewPrepareBatch().get()
        try await app.autoMigrate()
        return pending.count
    }

    /// Reverts every batch, then drops Fluent's own bookkeeping table: nothing is left.
    static func revertAll(_ app: Application) async throws {
        try await app.autoRevert()
        try await app.db.sql.raw("DROP TABLE IF EXISTS _fluent_migrations").run()
    }
}
