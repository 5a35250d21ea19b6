import AsyncHTTPClient
import FinanceCore
import Fluent
import Foundation
import NIOCore
import NIOHTTP1
import Vapor

/// `finance bench load`: the server on a loopback port, on the configured database, and
/// `--connections` clients (64 by default) sending mixed requests over real HTTP for `--seconds`
/// (30): the overview and a page of transactions to read, a new transaction and a changed category
/// to write, for a few households that share their ledgers between the clients. It prints requests
/// per second, p50 and p99, the answers that were not 2xx, and the ledger check: every derived table
/// of every household against a rebuild from its ledger.
struct LoadBenchmark {
    let app: Application
    let connections: Int
    let seconds: Int
    /// Transactions already in each household's ledger when the load starts.
    let transactionsPerUser: Int
    /// Which requests the clients send.
    let mix: Mix
    let users = 4
    let console: any Console

    struct Household: Sendable {
        let userID: UUID
        let token: String
        let accounts: [UUID]
    }

    enum Mix: String, Sendable {
        /// 35% overview, 25% page of 50 transactions, 25% new transaction, 15% change of category.
        case mixed
        /// The two reads alone, in the same proportion.
        case reads
        /// The two writes alone, in the same proportion.
        case writes

        /// A draw from 0..<100 mapped onto the mixed proportions.
        func request(for draw: Int) -> Int {
            switch self {
            case .mixed: draw
            case .reads: draw * 60 / 100
            case .writes: 60 + draw * 40 / 100
            }
        }

        var description: String {
            switch self {
            case .mixed: "35% overview, 25% page of 50 transactions, 25% new transaction, 15% change of category"
            case .reads: "58% overview, 42% page of 50 transactions"
            case .writes: "62% new transaction, 38% change of category"
            }
        }
    }

    struct Tally: Sendable {
        var latencies: [Duration] = []
        var byKind: [String: Int] = [:]
        var failures: [String: Int] = [:]
    }

    func run() async throws {
        try await DatabaseMigrations.migrate(app)
        let engine = app.db.engine == .postgres ? "PostgreSQL" : "SQLite"
        let households = try await (0..<users).asyncMap { _ in try await makeHousehold() }
        try await app.server.start(address: .hostname("127.0.0.1", port: 0))
        defer { Task { [app] in await app.server.shutdown() } }
        guard let port = app.http.server.shared.localAddress?.port else { throw CommandFailure("the server has no port") }
        console.print("load: \(engine), server on 127.0.0.1:\(port)")
        console.print("  data: \(users) households, each \(households[0].accounts.count) accounts and "
            + "\(transactionsPerUser.formatted()) transactions to start; \(connections) connections for \(seconds) s; "
            + "mix: \(mix.description)")

        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let base = "http://127.0.0.1:\(port)"
        // The floor under every write: one statement's round trip through the driver, on an idle server.
        let trips = 200
        let tripStart = ContinuousClock.now
        try await app.write(as: .system) { db in
            for _ in 0..<trips { _ = try await db.sql.raw("SELECT 1 AS one").first() }
        }
        console.print("  one statement's round trip on an idle server: \(LedgerBenchmark.ms([(ContinuousClock.now - tripStart) / trips], 50))")
        let heldBefore = app.writeTransactions.held.withLockedValue { $0 }
        let phases = PhaseTimes()
        app.writeTransactions.phases.withLockedValue { $0 = phases }
        let deadline = ContinuousClock.now + .seconds(seconds)
        let started = ContinuousClock.now
        let tallies = try await withThrowingTaskGroup(of: Tally.self) { group in
            for index in 0..<connections {
                let household = households[index % households.count]
                group.addTask { [mix] in
                    try await Self.drive(client: client, base: base, household: household, mix: mix, seed: UInt64(index + 1), until: deadline)
                }
            }
            var all: [Tally] = []
            for try await tally in group { all.append(tally) }
            return all
        }
        let elapsed = ContinuousClock.now - started
        try await client.shutdown()

        let latencies = tallies.flatMap(\.latencies).sorted()
        var kinds: [String: Int] = [:], failures: [String: Int] = [:]
        for tally in tallies {
            kinds.merge(tally.byKind, uniquingKeysWith: +)
            failures.merge(tally.failures, uniquingKeysWith: +)
        }
        let total = latencies.count
        let perSecond = Double(total) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        console.print("  requests: \(total.formatted()) in \(LedgerBenchmark.seconds(elapsed)): \(Int(perSecond).formatted()) per second; "
            + "p50 \(LedgerBenchmark.ms(latencies, 50)) p99 \(LedgerBenchmark.ms(latencies, 99))")
        if app.writeTransactions.isSQLite {
            let total = app.writeTransactions.held.withLockedValue { $0 }
            let held = (writes: total.writes - heldBefore.writes, time: total.time - heldBefore.time)
            let share = (Double(held.time.components.seconds) + Double(held.time.components.attoseconds) / 1e18)
                / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            console.print("  SQLite's writer: \(held.writes.formatted()) writes, held \(Int(share * 100))% of the time, "
                + "\(LedgerBenchmark.ms([held.writes > 0 ? held.time / held.writes : .zero], 50)) a write on average; of which:")
            for phase in phases.phases {
                console.print("    \(phase.name): \(LedgerBenchmark.ms([held.writes > 0 ? phase.duration / held.writes : .zero], 50))")
            }
        }
        console.print("  by kind: " + kinds.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.formatted())" }.joined(separator: ", "))
        let failed = failures.values.reduce(0, +)
        console.print("  not 2xx: \(failed)" + (failures.isEmpty ? "" : " (" + failures.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + ")"))

        var differences = 0
        for household in households {
            let found = try await LedgerCheck.differences(userID: household.userID, app: app)
            differences += found.count
            for line in found.prefix(5) { console.warning("    \(line)") }
        }
        console.print("  ledger check: \(differences) difference(s) between the derived tables and a rebuild, over \(users) households")
        for household in households {
            try await app.write(as: .system) { db in try await User.query(on: db).filter(\.$id == household.userID).delete() }
        }
        if failed > 0 || differences > 0 { throw CommandFailure("\(failed) answer(s) not 2xx, \(differences) ledger difference(s)") }
    }

    /// A user with three accounts, a generated ledger brought in as an import would be, and a session.
    private func makeHousehold() async throws -> Household {
        let user = User(id: UUID.timeOrdered(), email: "load-\(UUID().uuidString.prefix(8).lowercased())@example.invalid",
                        passwordHash: "!", fullName: "Load")
        try await app.write(as: .system) { db in try await user.create(on: db) }
        let userID = try user.requireID()
        let accounts: [Account] = [(AccountType.checking, "Checking"), (.savings, "Savings"), (.creditCard, "Card")].map { type, name in
            Account(id: UUID.timeOrdered(), userID: userID, name: name, type: type, currency: .usd, currentBalance: .zero, openingBalance: .zero)
        }
        let ids = accounts.compactMap(\.id)
        var generator = LedgerGenerator(shape: LedgerShape(transactions: transactionsPerUser, accounts: ids.count, years: 2))
        let rows = generator.next(transactionsPerUser, userID: userID, accounts: ids)
        let audit = AuditContext(userID: userID, requestID: "bench-load", clientAddress: nil)
        try await app.ledger.write(for: userID, audit: audit) { scope in
            for account in accounts { try await account.create(on: scope.db) }
            for account in ids { scope.changes.historyChanged(of: account) }
            try await TransactionBulkInsert.insert(rows, on: scope.db)
            scope.changes.transactionsInserted(rows)
        }
        let tokens = try await app.write(as: .system) { [app] db in try await Sessions.start(userID: userID, client: audit, on: db, app: app) }
        return Household(userID: userID, token: tokens.accessToken, accounts: ids)
    }

    /// One client: requests one after another until the deadline.
    private static func drive(client: HTTPClient, base: String, household: Household, mix: Mix, seed: UInt64,
                              until deadline: ContinuousClock.Instant) async throws -> Tally {
        var random = SplitMix64(seed: seed)
        var tally = Tally()
        var mine: [String] = []
        let categories = ["FOOD_AND_DRINK", "GENERAL_MERCHANDISE", "TRANSPORTATION", "ENTERTAINMENT", "TRAVEL"]
        while ContinuousClock.now < deadline {
            var draw = mix.request(for: Int(random.next() % 100))
            // A category to change needs a transaction of this client's first.
            if draw >= 85 && mine.isEmpty { draw = 60 }
            var request: HTTPClientRequest
            let kind: String
            switch draw {
            case 0..<35:
                kind = "overview"
                request = HTTPClientRequest(url: base + "/api/v1/balances/overview")
            case 35..<60:
                kind = "page"
                request = HTTPClientRequest(url: base + "/api/v1/transactions?limit=50")
            case 60..<85:
                kind = "create"
                request = HTTPClientRequest(url: base + "/api/v1/transactions")
                request.method = .POST
                let account = household.accounts[Int(random.next() % UInt64(household.accounts.count))]
                let day = LocalDate(year: 2024, month: 1, day: 1)!.adding(days: Int(random.next() % 700))
                let cents = Int(random.next() % 20_000) + 1
                let body = #"{"account_id":"\#(account)","date":"\#(day)","amount":"-\#(cents / 100).\#(String(format: "%02d", cents % 100))","description":"Load \#(seed)"}"#
                request.body = .bytes(ByteBuffer(string: body))
                request.headers.add(name: "Content-Type", value: "application/json")
            default:
                kind = "category"
                let id = mine[Int(random.next() % UInt64(mine.count))]
                request = HTTPClientRequest(url: base + "/api/v1/transactions/\(id)")
                request.method = .PATCH
                let category = categories[Int(random.next() % UInt64(categories.count))]
                request.body = .bytes(ByteBuffer(string: #"{"category":"\#(category)"}"#))
                request.headers.add(name: "Content-Type", value: "application/json")
            }
            request.headers.add(name: "Authorization", value: "Bearer \(household.token)")
            let sent = ContinuousClock.now
            let response = try await client.execute(request, timeout: .seconds(60))
            let body = try await response.body.collect(upTo: 1 << 24)
            tally.latencies.append(ContinuousClock.now - sent)
            tally.byKind[kind, default: 0] += 1
            guard (200..<300).contains(response.status.code) else {
                tally.failures["\(kind) \(response.status.code)", default: 0] += 1
                continue
            }
            if kind == "create", let id = Self.id(in: body) { mine.append(id) }
        }
        return tally
    }

    private static func id(in body: ByteBuffer) -> String? {
        struct Created: Decodable { let id: String }
        return try? JSONDecoder().decode(Created.self, from: body).id
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var values: [T] = []
        for element in self { values.append(try await transform(element)) }
        return values
    }
}
