import Fluent
import Vapor

/// `finance serve`: applies pending migrations, then serves. Vapor's own options apply
/// (`--hostname`, `--port`, `--bind`).
struct ServeCommandWithMigrations: AsyncCommand {
    typealias Signature = ServeCommand.Signature
    let serve: ServeCommand

    var help: String {
        "Migrates the database (creating it and the data folder if needed), then serves the API and works background jobs."
    }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await app.autoMigrate()
        try await DatabaseRole.warnIfRowSecurityIsBypassed(app)
        try await app.passwordHasher.warmUp()
        app.startJobWorker()
        app.startEventListener()
        try await serve.run(using: context, signature: signature)
    }
}

enum DatabaseRole {
    /// Superusers and BYPASSRLS roles are not bound by row-level security: the second wall between
    /// users would be down. The server still runs (the first wall holds), but says so.
    static func warnIfRowSecurityIsBypassed(_ app: Application) async throws {
        guard app.db.engine == .postgres, try await bypassesRowSecurity(app.db) else { return }
        app.logger.warning("""
            Connected to PostgreSQL as a superuser or a role with BYPASSRLS: row-level security does not \
            apply to it, so the database no longer walls users' data off from each other. Connect as an \
            ordinary role (see the README).
            """)
    }

    static func bypassesRowSecurity(_ db: any Database) async throws -> Bool {
        let row = try await db.sql.raw("SELECT (rolsuper OR rolbypassrls) AS bypasses FROM pg_roles WHERE rolname = current_user").first()
        return try row?.decode(column: "bypasses", as: Bool.self) ?? false
    }
}
