@testable import App
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import Vapor

/// The real server, killed with SIGKILL in the middle of writes, then started again: every write
/// landed whole or not at all, and the derived tables equal a rebuild from the ledger.
///
/// It runs the `finance` executable that `swift build` makes (`.ci/run` builds it before the tests);
/// without one it is skipped.
@Suite("A server killed mid-write", .serialized)
struct CrashTests {
    static let executable = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".build/debug/finance").path

    /// A `finance serve` process on a loopback port of its own.
    final class Server {
        let process = Process()
        let port: Int

        init(environment: [String: String]) throws {
            port = Int.random(in: 20_000..<40_000)
            process.executableURL = URL(fileURLWithPath: CrashTests.executable)
            process.arguments = ["serve"]
            var merged = ProcessInfo.processInfo.environment
            merged.merge(environment) { _, new in new }
            merged[Settings.Key.port.rawValue] = String(port)
            merged["LOG_LEVEL"] = "warning"
            process.environment = merged
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
        }

        var base: String { "http://127.0.0.1:\(port)" }

        func killAtOnce() {
            guard process.isRunning else { return }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }

        deinit { killAtOnce() }

        /// A server that answers its readiness probe, on the first free port of a few tried.
        static func start(_ environment: [String: String], client: any Client) async throws -> Server? {
            for _ in 0..<5 {
                let server = try Server(environment: environment)
                if try await CrashTests.ready(client, server) { return server }
                server.killAtOnce()
            }
            return nil
        }
    }

    /// Waits (a bounded while: a build may be starting up) until the server answers its readiness probe.
    static func ready(_ client: any Client, _ server: Server) async throws -> Bool {
        for _ in 0..<300 where server.process.isRunning {
            if let response = try? await client.get(URI(string: server.base + "/health/ready")), response.status == .ok { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    static func post(_ client: any Client, _ url: String, token: String? = nil, json: [String: Any]? = nil, csv: String? = nil) async throws -> (UInt, [String: Any]) {
        let response = try await client.post(URI(string: url)) { request in
            if let token { request.headers.bearerAuthorization = BearerAuthorization(token: token) }
            if let json {
                request.headers.contentType = .json
                request.body = ByteBuffer(data: try JSONSerialization.data(withJSONObject: json))
            }
            if let csv {
                request.headers.contentType = HTTPMediaType(type: "application", subType: "octet-stream")
                request.body = ByteBuffer(string: csv)
            }
        }
        let object = response.body.flatMap { try? JSONSerialization.jsonObject(with: Data(buffer: $0)) as? [String: Any] } ?? [:]
        return (response.status.code, object)
    }

    @Test("SIGKILL during an import and a stream of writes: each landed whole or not at all, and the derived tables equal a rebuild",
          .enabled(if: FileManager.default.isExecutableFile(atPath: CrashTests.executable), "needs `swift build` first"),
          arguments: TestBackend.all)
    func killedMidWrite(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            var environment = [Settings.Key.dataDirectory.rawValue: app.settings.dataDirectory, Settings.Key.bcryptCost.rawValue: "4"]
            if case .postgres(let url) = app.settings.database { environment[Settings.Key.databaseURL.rawValue] = url }
            let client = app.client
            var server = try #require(try await Server.start(environment, client: client))
            let (registered, user) = try await Self.post(client, server.base + "/api/v1/auth/register",
                                                         json: ["email": "crash@example.com", "password": "correct horse battery", "full_name": "Crash Test"])
            #expect(registered == 201, "\(user)")
            let userID = try #require(UUID(uuidString: user["id"] as? String ?? ""))
            let (_, login) = try await Self.post(client, server.base + "/api/v1/auth/login",
                                                 json: ["email": "crash@example.com", "password": "correct horse battery"])
            let token = try #require(login["access_token"] as? String)
            let (_, account) = try await Self.post(client, server.base + "/api/v1/accounts", token: token,
                                                   json: ["name": "Checking", "type": "checking", "currency": "USD", "opening_balance": "100"])
            let accountID = try #require(account["id"] as? String)

            // A large import and single writes, all under way when the process dies.
            let rows = 30_000
            var csv = "Date,Description,Amount\n"
            for index in 0..<rows { csv += "2023-\(String(format: "%02d", 1 + index % 12))-\(String(format: "%02d", 1 + index % 28)),Row \(index),-\(index % 500).\(index % 100)\n" }
            let importURL = server.base + "/api/v1/accounts/\(accountID)/imports?format=csv&date_column=Date&description_column=Description&amount_column=Amount"
            let statement = csv, base = server.base
            let writes = Task {
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { _ = try? await Self.post(client, importURL, token: token, csv: statement) }
                    for index in 0..<40 {
                        group.addTask {
                            _ = try? await Self.post(client, base + "/api/v1/transactions", token: token, json: [
                                "account_id": accountID, "date": "2024-02-\(10 + index % 10)", "amount": "-\(index).10", "description": "Single \(index)",
                            ])
                        }
                    }
                }
            }
            let wait = Int.random(in: 300...900)
            try await Task.sleep(for: .milliseconds(wait))
            server.killAtOnce()
            await writes.value

            // Started again, it finds the database as the last commit left it.
            server = try #require(try await Server.start(environment, client: client))
            let imported = try await app.scalar("SELECT count(*) FROM transactions WHERE description LIKE 'Row %'")
            #expect(imported == 0 || imported == rows, "an import is whole or absent, found \(imported) of its rows")
            let singles = try await app.scalar("SELECT count(*) FROM transactions WHERE description LIKE 'Single %'")
            print("\(backend): killed \(wait) ms into the writes; \(imported) import rows and \(singles) of 40 single writes had committed")
            #expect(try await LedgerCheck.differences(userID: userID, app: app) == [])
            // And it goes on writing as before.
            let (status, _) = try await Self.post(client, server.base + "/api/v1/transactions", token: token, json: [
                "account_id": accountID, "date": "2024-03-01", "amount": "-1.00", "description": "After the restart",
            ])
            #expect(status == 201)
            server.killAtOnce()
            #expect(try await LedgerCheck.differences(userID: userID, app: app) == [])
        }
    }
}
