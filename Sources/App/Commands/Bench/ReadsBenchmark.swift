import AsyncHTTPClient
import FinanceCore
import Fluent
import Foundation
import NIOCore
import NIOPosix
import Vapor

/// `finance bench reads`: the dashboard's reads over real HTTP against a large ledger. One user with
/// the generated ledger (1,000,000 transactions in 30 accounts over 10 years by default) in the
/// configured database; then a server of its own, `finance serve` started as another process on
/// that database, as in production, and for each read: one call on its own (computed: nothing kept
/// yet), then `--connections` clients (64) asking it again and again for `--seconds` (15), as open
/// dashboards do. It prints requests per second, p50, p99, the answers that were not 2xx, how many
/// the report cache answered, and the server's resident memory. Where `wrk` is installed, each read
/// is then driven by it as well (`wrk -t2`, the same connections and seconds): a client in C that
/// leaves the server more of the two cores than this process's own clients do.
struct ReadsBenchmark {
    let app: Application
    let shape: LedgerShape
    let connections: Int
    let seconds: Int
    let console: any Console

    struct Read: Sendable {
        let name: String
        let path: String
    }

    func run() async throws {
        let engine = app.db.engine == .postgres ? "PostgreSQL" : "SQLite"
        let loadStart = ContinuousClock.now
        let fixture = try await LedgerFixture.loadDerived(shape: shape, app: app, requestID: "bench-reads")
        let userID = fixture.userID
        let audit = AuditContext(userID: userID, requestID: "bench-reads", clientAddress: nil)
        let tokens = try await app.write(as: .system) { [app] db in try await Sessions.start(userID: userID, client: audit, on: db, app: app) }
        // The clients of this process each sign in on their own, as many browsers would: their
        // session checks are not shared. wrk sends one token on every connection, as the issue measured.
        var sessions: [String] = []
        for _ in 0..<connections {
            sessions.append(try await app.write(as: .system) { [app] db in
                try await Sessions.start(userID: userID, client: audit, on: db, app: app)
            }.accessToken)
        }
        console.print("reads: \(engine)")
        console.print("  data: 1 user, \(shape.accounts) accounts, \(shape.transactions.formatted()) transactions over \(shape.years) years "
            + "(loaded and derived in \(LedgerBenchmark.seconds(ContinuousClock.now - loadStart))); \(connections) connections for \(seconds) s a read")

        try await printHistoryPhases(userID: userID)

        let server = try await ServerProcess.start(dataDirectory: app.settings.dataDirectory)
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let base = "http://127.0.0.1:\(server.port)"
        let today = app.clock.today
        let reads = [
            Read(name: "overview", path: "/api/v1/balances/overview"),
            Read(name: "page of 50", path: "/api/v1/transactions?limit=50"),
            Read(name: "q=coffee", path: "/api/v1/transactions?limit=50&q=coffee"),
            Read(name: "\(shape.years) years daily", path: "/api/v1/balances/history?from=\(today.adding(months: -12 * shape.years))&to=\(today)&interval=day"),
        ]
        var failed = 0
        do {
            try await server.waitUntilLive(client: client)
            console.print("  server: another process (pid \(server.pid)) on 127.0.0.1:\(server.port), resident \(server.residentMegabytes) MB before the first read")
            for read in reads {
                let url = base + read.path
                let first = ContinuousClock.now
                let status = try await Self.get(client, url, token: tokens.accessToken)
                let computed = ContinuousClock.now - first
                // The same read under another key of the report cache (a query item the API ignores):
                // computed again, with whatever the first call set up in the server process in place.
                let again = ContinuousClock.now
                let recomputedStatus = try await Self.get(client, url + (url.contains("?") ? "&" : "?") + "uncached=1", token: tokens.accessToken)
                let recomputed = ContinuousClock.now - again
                let before = try await Self.Counts(client, base)
                let cpuBefore = server.cpuTicks
                let deadline = ContinuousClock.now + .seconds(seconds)
                let started = ContinuousClock.now
                let tallies = try await withThrowingTaskGroup(of: (latencies: [Duration], failures: Int).self) { group in
                    for index in 0..<connections {
                        group.addTask { [token = sessions[index]] in
                            var latencies: [Duration] = [], failures = 0
                            while ContinuousClock.now < deadline {
                                let sent = ContinuousClock.now
                                let code = try await Self.get(client, url, token: token)
                                latencies.append(ContinuousClock.now - sent)
                                if !(200..<300).contains(code) { failures += 1 }
                            }
                            return (latencies, failures)
                        }
                    }
                    var all: [(latencies: [Duration], failures: Int)] = []
                    for try await tally in group { all.append(tally) }
                    return all
                }
                let elapsed = ContinuousClock.now - started
                let latencies = tallies.flatMap(\.latencies).sorted()
                let failures = tallies.map(\.failures).reduce(0, +) + [status, recomputedStatus].filter { !(200..<300).contains($0) }.count
                failed += failures
                let perSecond = Double(latencies.count) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
                let counts = try await Self.Counts(client, base)
                // The server's CPU (user and system, clock ticks of 10 ms) per answer: steadier than
                // req/s, which the clients on the same cores sway.
                let cpuMicroseconds = (server.cpuTicks - cpuBefore) * 1_000_000 / Int(sysconf(Int32(_SC_CLK_TCK))) / max(1, latencies.count)
                console.print("  \(read.name): first call \(LedgerBenchmark.ms([computed], 50)) (HTTP \(status)), "
                    + "computed again \(LedgerBenchmark.ms([recomputed], 50)) (HTTP \(recomputedStatus)); then "
                    + "\(Int(perSecond).formatted()) req/s, p50 \(LedgerBenchmark.ms(latencies, 50)) p99 \(LedgerBenchmark.ms(latencies, 99)), "
                    + "\(failures) not 2xx, \((counts.cacheHits - before.cacheHits).formatted()) answered from the report cache, "
                    + "\(counts.sessionChecks(since: before)) (\(connections) sessions); "
                    + "server CPU \(cpuMicroseconds) µs an answer; server resident \(server.residentMegabytes) MB")
                if let wrk = WrkRun.executable {
                    let result = try WrkRun(executable: wrk, url: url, token: tokens.accessToken, connections: connections, seconds: seconds).run()
                    failed += result.failures
                    let after = try await Self.Counts(client, base)
                    console.print("    the same with wrk (-t2 -c\(connections) -d\(seconds)s, one session): \(result.summary), "
                        + "\(after.sessionChecks(since: counts)); server resident \(server.residentMegabytes) MB")
                }
            }
            console.print("  server's peak resident memory: \(server.peakMegabytes) MB")
        } catch {
            server.stop()
            try? await client.shutdown()
            throw error
        }
        server.stop()
        try await client.shutdown()
        try await fixture.remove(from: app.db)
        if failed > 0 { throw CommandFailure("\(failed) answer(s) not 2xx") }
    }

    /// Where the first call of the whole history spends its time, computed in this process: the
    /// report's steps, then the answer's JSON as the server encodes it (HTTP is left out).
    private func printHistoryPhases(userID: UUID) async throws {
        let today = app.clock.today, from = today.adding(months: -12 * shape.years)
        for round in ["cold", "again"] {
            let phases = PhaseTimes()
            let started = ContinuousClock.now
            let bytes = try await PhaseTimes.measuring(phases) { [app] in
                // Task-local values do not reach into the transaction's closure: the marks are set again there.
                let body = try await app.db.asUser(userID) { db in try await PhaseTimes.$current.withValue(phases) {
                    let (base, series) = try await BalanceReports(userID: userID, db: db).netWorth(from: from, to: today, interval: .day)
                    return APIHandler.netWorthHistory(base: base, series: series, from: from, to: today, interval: .day)
                } }
                PhaseTimes.mark("report (the rest)")
                let encoder = JSONEncoder()
                encoder.dateEncodingStrategy = .iso8601
                let data = try encoder.encode(body)
                PhaseTimes.mark("JSON")
                return data.count
            }
            let steps = phases.phases.map { "\($0.name) \(LedgerBenchmark.ms([$0.duration], 50))" }.joined(separator: ", ")
            console.print("  \(shape.years) years daily in process (\(round)): \(LedgerBenchmark.ms([ContinuousClock.now - started], 50)), "
                + "\(bytes.formatted()) bytes of JSON: \(steps)")
        }
    }

    private static func get(_ client: HTTPClient, _ url: String, token: String) async throws -> UInt {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response = try await client.execute(request, timeout: .seconds(60))
        _ = try await response.body.collect(upTo: 1 << 26)
        return response.status.code
    }

    /// The server's counters so far, from one read of its `/metrics`: reads its report cache answered,
    /// and session checks asked (one a request) and run (statements).
    private struct Counts {
        let cacheHits: Int
        let checksAsked: Int
        let checksRun: Int

        init(_ client: HTTPClient, _ base: String) async throws {
            let response = try await client.execute(HTTPClientRequest(url: base + "/metrics"), timeout: .seconds(10))
            let text = String(buffer: try await response.body.collect(upTo: 1 << 22))
            var values: [String: Int] = [:]
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                guard let space = line.lastIndex(of: " "), let value = Int(line[line.index(after: space)...]) else { continue }
                values[String(line[..<space])] = value
            }
            cacheHits = values[#"finance_report_cache_requests_total{outcome="hit"}"#] ?? 0
            checksAsked = values[#"finance_session_checks_total{of="asked"}"#] ?? 0
            checksRun = values[#"finance_session_checks_total{of="run"}"#] ?? 0
        }

        /// "4,102 session checks in 1,377 statements" since `earlier`.
        func sessionChecks(since earlier: Counts) -> String {
            "\((checksAsked - earlier.checksAsked).formatted()) session checks in \((checksRun - earlier.checksRun).formatted()) statements"
        }
    }
}

/// `finance serve` as a process of its own, with this process's settings (its environment, so the
/// same database and secrets) on a free loopback port.
struct ServerProcess {
    let process: Process
    let port: Int

    var pid: Int32 { process.processIdentifier }
    var residentMegabytes: Int { ProcessMemory.residentMegabytes(of: String(pid)) ?? 0 }
    var peakMegabytes: Int { ProcessMemory.peakMegabytes(of: String(pid)) ?? 0 }

    static func start(dataDirectory: String) async throws -> ServerProcess {
        // A port nobody listens on: bound once by the system's choice, then given to the server.
        let probe = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        guard let port = probe.localAddress?.port else { throw CommandFailure("no free port") }
        try await probe.close()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["serve", "--log", "warning"]
        var environment = ProcessInfo.processInfo.environment
        environment[Settings.Key.host.rawValue] = "127.0.0.1"
        environment[Settings.Key.port.rawValue] = String(port)
        environment[Settings.Key.dataDirectory.rawValue] = dataDirectory
        process.environment = environment
        try process.run()
        return ServerProcess(process: process, port: port)
    }

    func waitUntilLive(client: HTTPClient) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            guard process.isRunning else { throw CommandFailure("the server process stopped (status \(process.terminationStatus))") }
            if let response = try? await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/health/live"), timeout: .seconds(2)),
               response.status == .ok {
                return
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw CommandFailure("the server process did not answer within 120 s")
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}

/// One run of `wrk` against a URL, and what it printed: requests per second, p50 and p99, answers
/// that were not 2xx or 3xx, and socket errors (timeouts among them).
struct WrkRun {
    let executable: String
    let url: String
    let token: String
    let connections: Int
    let seconds: Int

    struct Result {
        let summary: String
        let failures: Int
    }

    /// `wrk` on the PATH, if any.
    static var executable: String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/wrk" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    func run() throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-t2", "-c\(connections)", "-d\(seconds)s", "--latency", "-H", "Authorization: Bearer \(token)", url]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let lines = output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        func field(_ prefix: String) -> String? {
            lines.first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces) }
        }
        guard process.terminationStatus == 0, let rate = field("Requests/sec:") else {
            throw CommandFailure("wrk failed (status \(process.terminationStatus)): \(output)")
        }
        let non2xx = field("Non-2xx or 3xx responses:").flatMap { Int($0) } ?? 0
        // "Socket errors: connect 0, read 0, write 0, timeout 3", as (kind, count)
        let errors = (field("Socket errors:") ?? "").split(separator: ",").compactMap { part -> (Substring, Int)? in
            let words = part.split(separator: " ")
            return words.count == 2 ? Int(words[1]).map { (words[0], $0) } : nil
        }
        let socketErrors = errors.map(\.1).reduce(0, +), timeouts = errors.first { $0.0 == "timeout" }?.1 ?? 0
        let summary = "\(rate) req/s, p50 \(field("50%") ?? "?") p99 \(field("99%") ?? "?"), \(non2xx) not 2xx, "
            + "\(socketErrors) socket errors (\(timeouts) timeouts)"
        return Result(summary: summary, failures: non2xx + socketErrors)
    }
}
