import Foundation
import PlaidSimulator
import Vapor

/// `finance plaid-simulator [--host 127.0.0.1] [--port 8090] [--transactions 1500] [--client-id …] [--secret …] [--seed 1]`:
/// serves a Plaid-compatible simulator on this machine for the demo mode, until interrupted (Ctrl-C).
struct PlaidSimulatorCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "host", help: "Address to listen on (default 127.0.0.1).")
        var host: String?

        @Option(name: "port", help: "Port to listen on (default 8090; 0 picks a free one).")
        var port: Int?

        @Option(name: "transactions", help: "Posted transactions per linked item, over two years (default 1500).")
        var transactions: Int?

        @Option(name: "client-id", help: "The client id callers must present (default sim-client-id).")
        var clientID: String?

        @Option(name: "secret", help: "The secret callers must present (default sim-secret).")
        var secret: String?

        @Option(name: "seed", help: "Seed of every generated id, amount and date (default 1).")
        var seed: UInt64?
    }

    var help: String {
        "Serves a Plaid-compatible simulator (sandbox items, two years of transactions, holdings, injected faults, signed webhooks) until interrupted."
    }

    func run(using context: CommandContext, signature: Signature) async throws {
        let defaults = SimulatorConfiguration()
        let configuration = SimulatorConfiguration(clientID: signature.clientID ?? defaults.clientID, secret: signature.secret ?? defaults.secret,
                                                   transactionsPerItem: signature.transactions ?? defaults.transactionsPerItem,
                                                   seed: signature.seed ?? defaults.seed)
        let port = signature.port ?? 8090
        guard configuration.transactionsPerItem >= 0 else { throw CommandFailure("--transactions must not be negative") }
        guard (0...65_535).contains(port) else { throw CommandFailure("--port must be from 0 to 65535") }

        let simulator = PlaidSimulator(configuration: configuration)
        let url = try await simulator.start(host: signature.host ?? "127.0.0.1", port: port)
        context.console.print("""
            Plaid simulator serving at \(url.absoluteString)
              PLAID_ENV=\(url.absoluteString)
              PLAID_CLIENT_ID=\(configuration.clientID)
              PLAID_SECRET=\(configuration.secret)
            Link an item with POST /sandbox/public_token/create (institution ins_109508, user_good / pass_good).
            Move time on with POST /simulator/advance {"item_id": …}; inject a failure with POST /simulator/faults
            {"endpoint": "/transactions/sync", "status": 500}; repair a reset login with POST /simulator/repair_login {"item_id": …}.
            Ctrl-C stops it.
            """)
        await ProcessSignals.untilInterrupted()
        context.console.print("Stopping the Plaid simulator.")
        try await simulator.shutdown()
    }
}
