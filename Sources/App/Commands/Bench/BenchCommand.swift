import Vapor

/// `finance bench <name>`: measures one thing on this machine and prints its figures and data size.
/// Build with `-c release` for figures worth quoting.
struct BenchCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "benchmark", help: "What to measure: ingest (bulk load), ledger (search, import, export), imports (a whole history as CSV files through `finance import`), balances (overview, history, analytics), sync (initial Plaid sync from the simulator), reads (the dashboard's reads over HTTP on a large ledger) load (mixed reads and writes from many clients against the server), events (live event streams) or dashboard (the web dashboard in Chromium).")
        var benchmark: String

        @Option(name: "transactions", help: "Transactions to generate (default 1000000).")
        var transactions: Int?

        @Option(name: "accounts", help: "Accounts to spread them over (default 30).")
        var accounts: Int?

        @Option(name: "years", help: "Years of history (default 10).")
        var years: Int?

        @Option(name: "import-rows", help: "ledger: rows of the CSV file to import (default 200000).")
        var importRows: Int?

        @Option(name: "connections", help: "load: clients sending requests at once (default 64).")
        var connections: Int?

        @Option(name: "seconds", help: "load: how long the load lasts (default 30).")
        var seconds: Int?

        @Option(name: "mix", help: "load: mixed (default), reads (overview and pages only) or writes (creates and category changes only).")
        var mix: String?

        @Option(name: "users", help: "events: users with open streams (default 200).")
        var users: Int?

        @Option(name: "streams", help: "events: open streams per user (default 10).")
        var streams: Int?

        @Option(name: "writes", help: "events: writes while the streams are open (default 1000).")
        var writes: Int?

        @Option(name: "runs", help: "dashboard: page loads measured, after one to warm up (default 5).")
        var runs: Int?
    }

    var help: String {
        "Runs a benchmark and prints its figures: `bench ingest` bulk-loads a generated ledger; `bench ledger` times search, import and export on one; `bench imports` brings the generated ledger in as one CSV file per account, each through its own `finance import` process; `bench balances` the overview, history and analytics; `bench sync` an initial Plaid sync of --transactions (default 100000) from the simulator; `bench reads` the overview, a page of transactions, a search and ten years of daily net worth over HTTP from --connections (64) clients for --seconds (15) each, on the configured database (1,000,000 transactions by default); `bench load` mixed reads and writes from --connections (64) clients for --seconds (30) against the server on the configured database, with --transactions (default 20000) per household to start; `bench events` opens --streams (10) event streams for each of --users (200) users over two server processes (one on SQLite), makes --writes (1000) writes, and prints delivery latency, memory per stream and idle CPU; `bench dashboard` times the web dashboard in headless Chromium (the overview complete, the first rows of transactions) on --transactions (1,000,000) over --runs (5) page loads, from the repository's folder."
    }

    func run(using context: CommandContext, signature: Signature) async throws {
        let shape = LedgerShape(
            transactions: signature.transactions ?? 1_000_000,
            accounts: signature.accounts ?? 30,
            years: signature.years ?? 10
        )
        guard shape.transactions > 0, shape.accounts > 0, (1...50).contains(shape.years) else {
            throw CommandFailure("--transactions and --accounts must be positive, --years from 1 to 50")
        }
        switch signature.benchmark {
        case "ingest":
            try await IngestBenchmark(app: context.application, shape: shape, console: context.console).run()
        case "ledger":
            let importRows = signature.importRows ?? 200_000
            guard importRows > 0 else { throw CommandFailure("--import-rows must be positive") }
            try await LedgerBenchmark(app: context.application, shape: shape, importRows: importRows, console: context.console).run()
        case "imports":
            try await ImportsBenchmark(app: context.application, shape: shape, console: context.console).run()
        case "sync":
            try await SyncBenchmark(app: context.application, transactions: signature.transactions ?? 100_000, console: context.console).run()
        case "balances":
            try await BalancesBenchmark(app: context.application, shape: shape, console: context.console).run()
        case "reads":
            let connections = signature.connections ?? 64, seconds = signature.seconds ?? 15
            guard (1...1024).contains(connections), (1...3600).contains(seconds) else {
                throw CommandFailure("--connections must be from 1 to 1024, --seconds from 1 to 3600")
            }
            try await ReadsBenchmark(app: context.application, shape: shape, connections: connections, seconds: seconds, console: context.console).run()
        case "load":
            let connections = signature.connections ?? 64, seconds = signature.seconds ?? 30
            guard (1...1024).contains(connections), (1...3600).contains(seconds) else {
                throw CommandFailure("--connections must be from 1 to 1024, --seconds from 1 to 3600")
            }
            guard let mix = LoadBenchmark.Mix(rawValue: signature.mix ?? "mixed") else {
                throw CommandFailure("--mix must be mixed, reads or writes")
            }
            try await LoadBenchmark(app: context.application, connections: connections, seconds: seconds,
                                    transactionsPerUser: signature.transactions ?? 20_000, mix: mix, console: context.console).run()
        case "events":
            let users = signature.users ?? 200, streams = signature.streams ?? 10, writes = signature.writes ?? 1_000
            guard (1...10_000).contains(users), (1...100).contains(streams), (1...1_000_000).contains(writes) else {
                throw CommandFailure("--users must be from 1 to 10000, --streams from 1 to 100, --writes from 1 to 1000000")
            }
            try await EventsBenchmark(app: context.application, users: users, streamsPerUser: streams, writes: writes, console: context.console).run()
        case "dashboard":
            let runs = signature.runs ?? 5
            guard (1...100).contains(runs) else { throw CommandFailure("--runs must be from 1 to 100") }
            try await DashboardBenchmark(app: context.application, shape: shape, runs: runs, console: context.console).run()
        default:
            throw CommandFailure("unknown benchmark \"\(signature.benchmark)\"; known: ingest, ledger, imports, balances, sync, reads, load, events, dashboard")
        }
    }
}
