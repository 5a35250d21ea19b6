import FinanceCore
import Fluent
import Foundation
import PlaidKit
import PlaidSimulator
import Vapor

/// `finance demo`: a living dashboard in one command. Starts the Plaid simulator and the server
/// together (on the configured database: the embedded SQLite by default), makes a demo user, links a
/// simulated bank (checking, savings, a credit card, a mortgage, a student loan and a brokerage
/// account with two years of history), and prints the credentials and the URLs to try. Running it
/// again reuses the user and the connection: the simulator is deterministic, so the same bank comes
/// back with the same item and token.
struct DemoCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "port", help: "Port of the server (default: FINANCE_PORT, 8080).")
        var port: Int?

        @Option(name: "simulator-port", help: "Port of the Plaid simulator (default 8090).")
        var simulatorPort: Int?
    }

    static let email = "demo@example.com"
    static let password = "demo password 2026"
    static let seed: UInt64 = 2026

    var help: String { "Runs the server with a simulated bank linked for a demo user, and prints how to look around." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let port = signature.port ?? app.settings.port
        let simulator = PlaidSimulator(configuration: SimulatorConfiguration(seed: Self.seed))
        let simulatorURL = try await simulator.start(port: signature.simulatorPort ?? 8090)
        let host = app.settings.host
        let base = "http://\(host):\(port)"
        var settings = app.settings
        settings.plaid = PlaidSettings(environment: simulatorURL.absoluteString, clientID: SimulatorConfiguration().clientID,
                                       secret: SimulatorConfiguration().secret, webhookURL: "\(base)/api/v1/webhooks/plaid")
        app.settings = settings
        app.configurePlaid(settings: settings)
        let plaid = try app.requirePlaid()

        try await DatabaseMigrations.migrate(app)
        try await app.server.start(address: .hostname(host, port: port))
        let worker = app.startJobWorker()
        app.startEventListener()
        do {
            let userID = try await Self.demoUser(app)
            let summary = try await Self.linkBank(app, plaid: plaid, userID: userID)
            context.console.print(Self.instructions(base: base, simulator: simulatorURL.absoluteString, summary: summary))
        } catch {
            await worker.stop()
            await app.server.shutdown()
            try? await simulator.shutdown()
            throw error
        }
        await ProcessSignals.untilInterrupted()
        context.console.print("Stopping the demo.")
        await worker.stop()
        await app.server.shutdown()
        try await simulator.shutdown()
    }

    /// The demo user, made on the first run.
    static func demoUser(_ app: Application) async throws -> UUID {
        if let existing = try await app.db.asSystem({ db in try await User.query(on: db).filter(\.$email == email).first() }) {
            return try existing.requireID()
        }
        let user = User(id: UUID.timeOrdered(), email: email, passwordHash: try await app.passwordHasher.hash(password), fullName: "Demo Person")
        try await app.write(as: .system) { db in try await user.create(on: db) }
        return try user.requireID()
    }

    /// Links First Platypus Bank for the demo user, or brings back the one linked on an earlier run.
    static func linkBank(_ app: Application, plaid: PlaidClient, userID: UUID) async throws -> String {
        let audit = AuditContext(userID: userID, requestID: "demo", clientAddress: nil)
        let publicToken = try await plaid.sandboxCreatePublicToken(SandboxPublicTokenCreateRequest(
            institutionId: "ins_109508", initialProducts: ["transactions", "investments"], webhook: app.settings.plaid?.webhookURL))
        let existing = try await app.db.asUser(userID) { db in
            try await PlaidConnection.query(on: db).filter(\.$userID == userID).first()
        }
        if let existing {
            // The simulator made the same item again: its token opens the connection kept from before.
            let exchanged = try await plaid.exchangePublicToken(publicToken.publicToken)
            let kept = try app.openToken(of: existing)
            if exchanged.itemId == existing.plaidItemID && exchanged.accessToken == kept {
                let id = try existing.requireID()
                let sync = ConnectionSync(app: app, plaid: plaid)
                do {
                    let (_, outcome) = try await sync.run(connectionID: id, userID: userID, audit: audit)
                    return "reused the bank linked before (\(outcome.added) new transactions)"
                } catch let error as SyncError where error.isPlaidFailure {
                    // The simulator starts each run afresh, so a cursor from a run with more activity
                    // is past its end: read the bank again from the start (rows are keyed by Plaid's ids).
                    try await app.ledger.write(for: userID, audit: audit) { scope in
                        try await PlaidConnection.query(on: scope.db).filter(\.$id == id).set(\.$syncCursor, to: nil).update()
                        scope.changes.touched("connection")
                    }
                    let (_, outcome) = try await sync.run(connectionID: id, userID: userID, audit: audit)
                    return "reused the bank linked before (\(outcome.added) new transactions)"
                }
            }
            throw CommandFailure("the demo user's bank was linked by another simulator; delete \(app.settings.dataDirectory) to start afresh")
        }
        let (connection, outcome) = try await ConnectionLinking(app: app, plaid: plaid).link(publicToken: publicToken.publicToken, userID: userID, audit: audit)
        guard connection.status == .healthy else {
            throw CommandFailure("the first sync failed: \(connection.errorCode ?? "?") \(connection.errorMessage ?? "")")
        }
        return "linked First Platypus Bank: \(outcome.accounts) accounts, \(outcome.added) transactions, \(outcome.holdings) holdings"
    }

    static func instructions(base: String, simulator: String, summary: String) -> String {
        """

        FinanceDashboard demo: \(summary).
          Server:     \(base)   (API reference at \(base)/docs)
          Simulator:  \(simulator)
          Sign in as  \(email) / \(password)

        Try:
          TOKEN=$(curl -s \(base)/api/v1/auth/login -H 'Content-Type: application/json' \\
            -d '{"email": "\(email)", "password": "\(password)"}' | sed -n 's/.*"access_token" *: *"\\([^"]*\\)".*/\\1/p')
          curl -s \(base)/api/v1/accounts -H "Authorization: Bearer $TOKEN"
          curl -s "\(base)/api/v1/transactions?limit=10" -H "Authorization: Bearer $TOKEN"
          curl -s \(base)/api/v1/balances/overview -H "Authorization: Bearer $TOKEN"
          curl -s "\(base)/api/v1/balances/history?interval=month" -H "Authorization: Bearer $TOKEN"
          curl -s \(base)/api/v1/investments/summary -H "Authorization: Bearer $TOKEN"
          curl -s \(base)/api/v1/portfolios -H "Authorization: Bearer $TOKEN"
          curl -s \(base)/api/v1/connections -H "Authorization: Bearer $TOKEN"
          curl -N \(base)/api/v1/events -H "Authorization: Bearer $TOKEN" -H 'Accept: text/event-stream'   # live events; in another terminal:
          curl -s -X POST \(simulator)/simulator/advance -d '{}'   # new activity at the bank; its webhook brings it in

        Ctrl-C stops the demo; running it again picks up where it left off.
        """
    }
}
