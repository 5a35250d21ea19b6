import App
import Foundation
import Logging
import Vapor

@main
enum Entrypoint {
    static func main() async {
        var environment: Environment
        do {
            environment = try Environment.detect()
            try LoggingSystem.bootstrap(from: &environment) { level in { _ in LineLogHandler(level: level) } }
        } catch {
            fail("\(error)")
        }

        let app: Application
        do {
            app = try await Application.make(environment)
        } catch {
            fail("Cannot start: \(error)")
        }
        do {
            // Asking for help reads nothing and writes nothing: no data folder, no secrets.
            if CommandLine.arguments.dropFirst().contains(where: { $0 == "--help" || $0 == "-h" }) {
                await registerCommands(app)
            } else {
                let settings = try Settings.load(from: ProcessInfo.processInfo.environment)
                try await configure(app, settings: settings)
            }
            try await app.execute()
        } catch {
            app.logger.report(error: error)
            try? await app.asyncShutdown()
            fail("\(error)")
        }
        try? await app.asyncShutdown()
    }

    private static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("finance: \(message)\n".utf8))
        exit(1)
    }
}
