import AsyncHTTPClient
import FinanceCore
import Fluent
import Foundation
import SQLKit
import Vapor

/// `finance bench dashboard`: the web dashboard in headless Chromium on a large ledger. Loads the
/// generated ledger (1,000,000 transactions by default) for a user who can sign in, starts
/// `finance serve` as another process, and runs `Tests/Browser/bench_dashboard.py` (Playwright with
/// Debian's Chromium): the time from navigation until the overview is complete (figures and charts
/// drawn) and until the transactions page shows its first rows, and the weight of the page's files.
struct DashboardBenchmark {
    let app: Application
    let shape: LedgerShape
    let runs: Int
    let console: any Console

    static let password = "benchmark password 2026"

    func run() async throws {
        let script = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("Tests/Browser/bench_dashboard.py")
        guard FileManager.default.fileExists(atPath: script.path) else {
            throw CommandFailure("run it from the repository's folder: \(script.path) is missing")
        }
        let engine = app.db.engine == .postgres ? "PostgreSQL" : "SQLite"
        let loadStart = ContinuousClock.now
        let fixture = try await LedgerFixture.loadDerived(shape: shape, app: app, requestID: "bench-dashboard")
        let userID = fixture.userID
        let hash = try await app.passwordHasher.hash(Self.password)
        let email = try await app.db.asSystem { db -> String in
            guard let user = try await User.find(userID, on: db) else { throw CommandFailure("the benchmark user is gone") }
            user.passwordHash = hash
            try await user.save(on: db)
            return user.email
        }
        console.print("dashboard: \(engine)")
        console.print("  data: 1 user, \(shape.accounts) accounts, \(shape.transactions.formatted()) transactions over \(shape.years) years "
            + "(loaded and derived in \(LedgerBenchmark.seconds(ContinuousClock.now - loadStart)))")

        let server = try await ServerProcess.start(dataDirectory: app.settings.dataDirectory)
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { server.stop() }
        do {
            try await server.waitUntilLive(client: client)
            try await client.shutdown()
        } catch {
            try? await client.shutdown()
            throw error
        }
        let browser = Process()
        browser.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        browser.arguments = ["python3", script.path, "--base", "http://127.0.0.1:\(server.port)", "--email", email,
                             "--password", Self.password, "--runs", String(runs)]
        try browser.run()
        browser.waitUntilExit()
        try await fixture.remove(from: app.db)
        guard browser.terminationStatus == 0 else { throw CommandFailure("the browser measurement failed (status \(browser.terminationStatus))") }
        let files = try DashboardFiles(root: nil)
        console.print("  all of the page's files: \(files.count) files, \(String(format: "%.1f", Double(files.totalBytes) / 1024)) KB uncompressed")
    }
}
