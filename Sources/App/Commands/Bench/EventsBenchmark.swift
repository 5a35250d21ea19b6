import AsyncHTTPClient
import FinanceCore
import Fluent
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Vapor

/// `finance bench events`: live events at scale. `--users` users (200), each with `--streams` open
/// event streams (10: 2,000 in all), spread over two `finance serve` processes on the configured
/// database (one on SQLite, whose events stay in their process), then `--writes` writes (1,000)
/// through the processes in turn. It prints the delivery latency from the event's commit to its
/// arrival at each stream (p50, p99), the events expected and received, each server's memory per
/// open stream and its CPU while the streams are idle.
struct EventsBenchmark {
    let app: Application
    let users: Int
    let streamsPerUser: Int
    let writes: Int
    let console: any Console

    struct Member: Sendable {
        let userID: UUID
        let token: String
        let accountID: UUID
    }

    /// What every stream received, in one place.
    final class Arrivals: Sendable {
        private let state = NIOLockedValueBox((latencies: [Int64](), opened: 0, failed: 0))

        func opened() { state.withLockedValue { $0.opened += 1 } }
        func failed() { state.withLockedValue { $0.failed += 1 } }
        func arrived(latencyMicroseconds: Int64) { state.withLockedValue { $0.latencies.append(latencyMicroseconds) } }
        var snapshot: (latencies: [Int64], opened: Int, failed: Int) { state.withLockedValue { $0 } }
    }

    func run() async throws {
        try await DatabaseMigrations.migrate(app)
        let postgres = app.db.engine == .postgres
        let members = try await (0..<users).asyncMap { _ in try await makeMember() }
        let serverCount = postgres ? 2 : 1
        console.print("events: \(postgres ? "PostgreSQL" : "SQLite")")
        console.print("  data: \(users) users, \(streamsPerUser) streams each (\(users * streamsPerUser) in all) over \(serverCount) server process(es); \(writes) writes")

        var servers: [ServerProcess] = []
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(600), concurrentHTTP1ConnectionsPerHostSoftLimit: users * streamsPerUser + 64)
        configuration.timeout = .init(connect: .seconds(30), read: .seconds(600))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let arrivals = Arrivals()
        var readers: [Task<Void, Never>] = []
        do {
            for _ in 0..<serverCount { servers.append(try await ServerProcess.start(dataDirectory: app.settings.dataDirectory)) }
            for server in servers { try await server.waitUntilLive(client: client) }
            let before = servers.map { $0.residentKilobytes }

            // Every stream open, half on each server: first one per user, which also brings up what a
            // server sets up once (its database connections, caches), then the rest. What an open
            // stream costs is the growth from the first round to the last, per stream added.
            func open(rounds: Range<Int>) async throws -> Int {
                for round in rounds {
                    for (index, member) in members.enumerated() {
                        let server = servers[(index + round) % servers.count]
                        readers.append(Self.read(client: client, url: "http://127.0.0.1:\(server.port)/api/v1/events", token: member.token, into: arrivals))
                    }
                }
                let expected = rounds.upperBound * users
                let openDeadline = ContinuousClock.now + .seconds(300)
                while arrivals.snapshot.opened + arrivals.snapshot.failed < expected, ContinuousClock.now < openDeadline {
                    try await Task.sleep(for: .milliseconds(100))
                }
                try await Task.sleep(for: .seconds(2))
                return arrivals.snapshot.opened
            }
            let firstOpened = try await open(rounds: 0..<1)
            let first = servers.map { $0.residentKilobytes }
            let opened = try await open(rounds: 1..<streamsPerUser)
            let after = servers.map { $0.residentKilobytes }
            for (index, server) in servers.enumerated() {
                let streams = max(1, opened / servers.count), added = max(1, (opened - firstOpened) / servers.count)
                console.print("  server \(index + 1) (pid \(server.pid)): \(streams) open streams; resident \(before[index] / 1024) MB before any, "
                    + "\(first[index] / 1024) MB with the first \(firstOpened / servers.count), \(after[index] / 1024) MB with all: "
                    + "\((after[index] - first[index]) * 1024 / added / 1024) KB per stream added, "
                    + "\((after[index] - before[index]) * 1024 / streams / 1024) KB per stream counting the first")
            }
            // Idle: the streams open, nothing written.
            let idleSeconds = 30
            let cpuBefore = servers.map { $0.cpuTicks }
            try await Task.sleep(for: .seconds(idleSeconds))
            let cpuAfter = servers.map { $0.cpuTicks }
            let ticksPerSecond = Int(sysconf(Int32(_SC_CLK_TCK)))
            for index in servers.indices {
                let percent = (cpuAfter[index] - cpuBefore[index]) * 100_00 / (ticksPerSecond * idleSeconds)
                console.print("  server \(index + 1) idle CPU over \(idleSeconds) s with the streams open: \(percent / 100).\(String(format: "%02d", percent % 100))% of one core")
            }

            // The writes, through the servers in turn, eight at a time.
            let started = ContinuousClock.now
            let ports = servers.map(\.port), writes = self.writes
            let failures = try await withThrowingTaskGroup(of: Int.self) { group in
                for lane in 0..<8 {
                    group.addTask {
                        var failures = 0
                        for index in stride(from: lane, to: writes, by: 8) {
                            let member = members[index % members.count]
                            let port = ports[index % ports.count]
                            if try await !Self.write(client: client, base: "http://127.0.0.1:\(port)", member: member, index: index) { failures += 1 }
                        }
                        return failures
                    }
                }
                return try await group.reduce(0, +)
            }
            let wrote = ContinuousClock.now - started
            // Two events a write (transactions and balances), to each of the user's streams.
            let expected = (writes - failures) * 2 * streamsPerUser
            let deliveryDeadline = ContinuousClock.now + .seconds(60)
            while arrivals.snapshot.latencies.count < expected, ContinuousClock.now < deliveryDeadline {
                try await Task.sleep(for: .milliseconds(100))
            }
            let latencies = arrivals.snapshot.latencies.sorted()
            console.print("  writes: \(writes) in \(LedgerBenchmark.seconds(wrote)), \(failures) not 2xx")
            console.print("  delivered \(latencies.count.formatted()) of \(expected.formatted()) events; latency from commit: "
                + "p50 \(Self.ms(latencies, 50)), p99 \(Self.ms(latencies, 99)), max \(Self.ms(latencies, 100)); "
                + "\(arrivals.snapshot.failed) stream(s) failed to open")
            for reader in readers { reader.cancel() }
            for server in servers { server.stop() }
            try await client.shutdown()
            if latencies.count < expected || failures > 0 { throw CommandFailure("events lost or writes refused") }
        } catch {
            for reader in readers { reader.cancel() }
            for server in servers { server.stop() }
            try? await client.shutdown()
            throw error
        }
    }

    /// A user with one account and a session.
    private func makeMember() async throws -> Member {
        let user = User(id: UUID.timeOrdered(), email: "events-\(UUID().uuidString.prefix(8).lowercased())@example.invalid",
                        passwordHash: "!", fullName: "Events")
        try await app.write(as: .system) { db in try await user.create(on: db) }
        let userID = try user.requireID()
        let account = Account(id: UUID.timeOrdered(), userID: userID, name: "Checking", type: .checking, currency: .usd,
                              currentBalance: .zero, openingBalance: .zero)
        let audit = AuditContext(userID: userID, requestID: "bench-events", clientAddress: nil)
        try await app.ledger.write(for: userID, audit: audit) { scope in
            try await account.create(on: scope.db)
            scope.changes.historyChanged(of: try account.requireID())
        }
        let tokens = try await app.write(as: .system) { [app] db in try await Sessions.start(userID: userID, client: audit, on: db, app: app) }
        return Member(userID: userID, token: tokens.accessToken, accountID: try account.requireID())
    }

    /// One stream: reads its events and records how long each took from its commit.
    private static func read(client: HTTPClient, url: String, token: String, into arrivals: Arrivals) -> Task<Void, Never> {
        Task {
            var request = HTTPClientRequest(url: url)
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            request.headers.add(name: "Accept", value: "text/event-stream")
            do {
                let response = try await client.execute(request, timeout: .seconds(600))
                guard response.status == .ok else { return arrivals.failed() }
                arrivals.opened()
                var pending = ""
                for try await buffer in response.body {
                    let now = Date()
                    pending += String(buffer: buffer)
                    while let end = pending.range(of: "\n\n") {
                        let message = pending[..<end.lowerBound]
                        pending = String(pending[end.upperBound...])
                        guard let occurred = message.range(of: #""occurred_at":""#) else { continue }
                        let text = message[occurred.upperBound...].prefix { $0 != "\"" }
                        if let date = InstantText.parse(String(text), milliseconds: true) {
                            arrivals.arrived(latencyMicroseconds: Int64(now.timeIntervalSince(date) * 1_000_000))
                        }
                    }
                }
            } catch {
                if !Task.isCancelled { arrivals.failed() }
            }
        }
    }

    private static func write(client: HTTPClient, base: String, member: Member, index: Int) async throws -> Bool {
        var request = HTTPClientRequest(url: base + "/api/v1/transactions")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(member.token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        let body = #"{"account_id":"\#(member.accountID.uuidString)","date":"2026-11-\#(String(format: "%02d", 1 + index % 28))","amount":"-\#(1 + index % 90).25","description":"Event \#(index)"}"#
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await client.execute(request, timeout: .seconds(60))
        _ = try await response.body.collect(upTo: 1 << 20)
        return (200..<300).contains(response.status.code)
    }

    static func ms(_ sorted: [Int64], _ percentile: Int) -> String {
        guard !sorted.isEmpty else { return "n/a" }
        let index = min(sorted.count - 1, sorted.count * percentile / 100)
        let micros = sorted[index]
        return "\(micros / 1000).\(String(format: "%01d", (micros % 1000) / 100)) ms"
    }
}

extension ServerProcess {
    /// The process's resident memory in kilobytes (Linux).
    var residentKilobytes: Int { ProcessMemory.residentKilobytes(of: String(pid)) ?? 0 }

    /// The process's CPU time so far (user and system), in clock ticks (Linux).
    var cpuTicks: Int {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command: state is field 3; utime and stime are fields 14 and 15.
        guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else { return 0 }
        return user + system
    }
}
