import Fluent
import Vapor

/// `finance serve`: applies pending migrations, then serves. Vapor's own options apply
/// (`--hostname`, `--port`, `--bind`).
struct ServeCommandWithMigrations: AsyncCommand {
    typealias Signature = ServeCommand.Signature
    let serve: ServeCommand

    var help: String {
        "Migrates the database (creating it and the data folder if needed), then serves the API."
    }

    func run(using context: CommandContext, signature: Signature) async throws {
        try await context.application.autoMigrate()
        try await serve.run(using: context, signature: signature)
    }
}
