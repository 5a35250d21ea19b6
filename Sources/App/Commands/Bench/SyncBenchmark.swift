import FinanceCore
import Fluent
import Foundation
import PlaidKit
import PlaidSimulator
import Vapor

/// The initial sync of one linked bank with `transactions` transactions, from the Plaid simulator on
/// loopback over real HTTP, into the configured database: the time to fetch every page, the time to
/// apply them (one database transaction), and transactions applied per second. The benchmark's user is
/// deleted afterwards.
struct SyncBenchmark {
    let app: Application
    let transactions: Int
    let console: any Console

    func run() async throws {
        try await DatabaseMigrations.migrate(app)
        let simulator = PlaidSimulator(configuration: .init(transactionsPerItem: transactions, seed: 42))
        let url = try await simulator.start()
        do {
            try await measure(url)
        } catch {
            try? await simulator.shutdown()
            throw error
        }
        try await simulator.shutdown()
    }

    private func measure(_ url: URL) async throws {
        let plaid = PlaidClient(configuration: PlaidConfiguration(environment: .custom(url), clientID: "sim-client-id", secret: "sim-secret"),
                                httpClient: .shared)
        let engine = app.db.engine == .postgres ? "PostgreSQL" : "SQLite"
        let user = User(email: "bench-\(UUID().uuidString.prefix(8).lowercased())@example.invalid", passwordHash: "!", fullName: "Benchmark")
        try await app.db.asSystem { db in try await user.save(on: db) }
        let userID = try user.requireID()

        let publicToken = try await plaid.sandboxCreatePublicToken(SandboxPublicTokenCreateRequest(institutionId: "ins_109508", initialProducts: ["transactions"]))
        let exchanged = try await plaid.exchangePublicToken(publicToken.publicToken)
        let sealed = try app.tokenVault.seal(exchanged.accessToken, userID: userID, itemID: exchanged.itemId)
        let connection = PlaidConnection(userID: userID, itemID: exchanged.itemId, sealed: sealed, institutionName: "First Platypus Bank")
        try await app.db.asUser(userID) { db in try await connection.create(on: db) }

        console.print("sync: \(engine), Plaid simulator at \(url.absoluteString)")
        console.print("  data: 1 item, \(transactions.formatted()) posted transactions over two years (plus pending ones), 500 a page")
        let audit = AuditContext(userID: userID, requestID: "bench-sync", clientAddress: nil)
        let (_, outcome) = try await ConnectionSync(app: app, plaid: plaid).run(connectionID: try connection.requireID(), userID: userID, audit: audit)
        let stored = try await app.db.asUser(userID) { db in try await Transaction.query(on: db).filter(\.$userID == userID).count() }
        guard stored == outcome.added else { throw CommandFailure("stored \(stored) transactions, the sync reported \(outcome.added)") }
        func seconds(_ duration: Duration) -> Double { Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18 }
        let (fetch, apply) = (seconds(outcome.fetchTime), seconds(outcome.applyTime))
        console.print("  fetch: \(String(format: "%.2f", fetch)) s for every page over HTTP")
        console.print("  apply: \(outcome.added.formatted()) transactions, \(outcome.accounts) accounts, \(outcome.holdings) holdings in "
            + "\(String(format: "%.2f", apply)) s = \(Int(Double(outcome.added) / apply).formatted()) transactions/s applied")
        console.print("  end to end: \(Int(Double(outcome.added) / (fetch + apply)).formatted()) transactions/s")
        let again = try await ConnectionSync(app: app, plaid: plaid).run(connectionID: try connection.requireID(), userID: userID, audit: audit).1
        console.print("  the same sync again: \(again.added) added, \(again.modified) modified, \(again.removed) removed")
        try await app.db.asSystem { db in try await User.query(on: db).filter(\.$id == userID).delete() }
    }
}
