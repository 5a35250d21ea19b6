import Vapor

/// `finance bench <name>`: measures one thing on this machine and prints its figures and data size.
/// Build with `-c release` for figures worth quoting.
struct BenchCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "benchmark", help: "What to measure: ingest.")
        var benchmark: String

        @Option(name: "transactions", help: "Transactions to generate (default 1000000).")
        var transactions: Int?

        @Option(name: "accounts", help: "Accounts to spread them over (default 30).")
        var accounts: Int?

        @Option(name: "years", help: "Years of history (default 10).")
        var years: Int?
    }

    var help: String {
        "Runs a benchmark and prints its figures: `bench ingest` bulk-loads a generated ledger."
    }

    func run(using context: CommandContext, signature: Signature) async throws {
        switch signature.benchmark {
        case "ingest":
            let shape = LedgerShape(
                transactions: signature.transactions ?? 1_000_000,
                accounts: signature.accounts ?? 30,
                years: signature.years ?? 10
            )
            guard shape.transactions > 0, shape.accounts > 0, shape.years > 0 else {
                throw APIError.validation(["transactions": "must be positive"], message: "Counts must be positive.")
            }
            try await IngestBenchmark(app: context.application, shape: shape, console: context.console).run()
        default:
            throw CommandFailure("unknown benchmark \"\(signature.benchmark)\"; known: ingest")
        }
    }
}
