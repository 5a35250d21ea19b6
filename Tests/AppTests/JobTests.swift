@testable import App
import FinanceCore
import Fluent
import Foundation
import PlaidKit
import PlaidSimulator
import SQLKit
import Testing
import Vapor

@Suite("Background jobs across processes", .serialized)
struct JobTests {
    /// Links `count` simulated items for `user` straight through Plaid's calls (no first sync) and
    /// answers their connection ids.
    static func connections(_ count: Int, user: UUID, app: Application, plaid: PlaidClient) async throws -> [UUID] {
        var ids: [UUID] = []
        for _ in 0..<count {
            let token = try await plaid.sandboxCreatePublicToken(SandboxPublicTokenCreateRequest(institutionId: "ins_109508", initialProducts: ["transactions"]))
            let exchanged = try await plaid.exchangePublicToken(token.publicToken)
            let sealed = try app.tokenVault.seal(exchanged.accessToken, userID: user, itemID: exchanged.itemId)
            let connection = PlaidConnection(userID: user, itemID: exchanged.itemId, sealed: sealed)
            try await app.db.asUser(user) { db in try await connection.create(on: db) }
            ids.append(try connection.requireID())
        }
        return ids
    }

    /// A second application on the same database and secrets: another server process, as far as
    /// the queue can tell (its own connection pool, its own worker).
    static func secondProcess(like app: Application) async throws -> Application {
        var environment: [String: String] = [
            Settings.Key.dataDirectory.rawValue: app.settings.dataDirectory,
            Settings.Key.bcryptCost.rawValue: "4",
        ]
        if case .postgres(let url) = app.settings.database { environment[Settings.Key.databaseURL.rawValue] = url }
        if let plaid = app.settings.plaid {
            environment["PLAID_ENV"] = plaid.environment
            environment["PLAID_CLIENT_ID"] = plaid.clientID
            environment["PLAID_SECRET"] = plaid.secret
        }
        let other = try await Application.make(.testing)
        other.logger.logLevel = .warning
        try await configure(other, settings: Settings.load(from: environment))
        return other
    }

    /// Waits (up to five minutes) until no job is queued; answers whether the queue emptied.
    static func drained(_ app: Application) async throws -> Bool {
        for _ in 0..<3_000 {
            if try await app.scalar("SELECT count(*) FROM jobs WHERE status = 'queued'") == 0 { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// How many times each connection was synced: one audit event per successful sync.
    static func syncCounts(_ app: Application) async throws -> [UUID: Int] {
        let events = try await app.db.asSystem { db in
            try await AuditEvent.query(on: db).filter(\.$entityType == "connection").filter(\.$action == .update).all()
        }
        var counts: [UUID: Int] = [:]
        for event in events where event.changes?["synced"] != nil {
            if let id = event.entityID { counts[id, default: 0] += 1 }
        }
        return counts
    }

    @Test("Two processes, 100 due syncs: each runs exactly once; a job whose worker died is taken over after its lease", arguments: TestBackend.all)
    func twoProcessesShareTheQueue(backend: TestBackend) async throws {
        try await ConnectionTests().withLinkedApp(backend, transactions: 20) { app, _, client in
            let plaid = try #require(app.plaid)
            // Ten households of ten banks each. (One person with a hundred brokerages holding the same
            // securities would make each sync value every other brokerage again, as a new price of a
            // security they share moves them all: the cost of the sync, not of the queue.)
            var owners: [UUID: UUID] = [:]
            for _ in 0..<10 {
                let user = try await client.signUp()
                for id in try await Self.connections(10, user: user.id, app: app, plaid: plaid) { owners[id] = user.id }
            }
            let ids = Array(owners.keys)
            let queue = JobQueue(app: app)
            for id in ids { #expect(try await queue.enqueueSync(connection: id, user: owners[id]!)) }
            // A second request for a waiting sync is not queued beside it.
            #expect(try await queue.enqueueSync(connection: ids[0], user: owners[ids[0]]!) == false)

            // A process claims one job, then dies before finishing it: its lease lapses in a second.
            let dead = try await queue.claim(worker: "dead-process", limit: 1, lease: .seconds(1))
            #expect(dead.count == 1)

            var options = JobWorker.Options()
            options.pollInterval = .milliseconds(20)
            options.lease = .seconds(30)
            // PostgreSQL: two processes share the queue. SQLite has one writer, so one process works it.
            let other = backend == .postgres ? try await Self.secondProcess(like: app) : nil
            let first = JobWorker(app: app, options: options, name: "process-a")
            let second = other.map { JobWorker(app: $0, options: options, name: "process-b") }
            first.start()
            second?.start()
            let emptied = try await Self.drained(app)
            await first.stop()
            await second?.stop()
            try await other?.asyncShutdown()
            #expect(emptied)

            let counts = try await Self.syncCounts(app)
            #expect(counts.count == 100)
            #expect(counts.values.allSatisfy { $0 == 1 }, "\(counts.values.filter { $0 != 1 })")
            #expect(Set(counts.keys) == Set(ids))
            #expect(try await app.scalar("SELECT count(*) FROM jobs") == 0)
            let rows = try await app.db.asSystem { db in try await Transaction.query(on: db).all() }
            #expect(rows.count == Set(rows.compactMap(\.plaidTransactionID)).count)
            #expect(rows.count >= 100 * 20)
        }
    }

    @Test("A failing job is retried with backoff and named on its connection; out of attempts it is kept as failed", arguments: TestBackend.all)
    func retriesAndFailures(backend: TestBackend) async throws {
        try await ConnectionTests().withLinkedApp(backend, transactions: 20) { app, simulator, client in
            let plaid = try #require(app.plaid)
            let user = try await client.signUp()
            let id = try #require(try await Self.connections(1, user: user.id, app: app, plaid: plaid).first)
            let queue = JobQueue(app: app)
            #expect(try await queue.enqueue(.syncConnection, payload: ["connection_id": id.uuidString, "user_id": user.id.uuidString],
                                            dedupeKey: nil, maxAttempts: 2))
            await simulator.injectFault(.httpStatus(500), on: "/accounts/balance/get", times: 100)
            let worker = JobWorker(app: app, options: .init(), name: "test-worker")

            var claimed = try await queue.claim(worker: "test-worker", limit: 1, lease: .seconds(30))
            await worker.work(try #require(claimed.first), queue: queue)
            let connection = try await client.send(.GET, "/api/v1/connections/\(id)", token: user.accessToken)
            #expect(connection["status"] as? String == "error")
            #expect(connection["error_code"] as? String == "INTERNAL_SERVER_ERROR")
            // Not due again yet: the backoff holds it.
            #expect(try await queue.claim(worker: "test-worker", limit: 1, lease: .seconds(30)).isEmpty)
            let later = Date().addingTimeInterval(3600)
            claimed = try await queue.claim(worker: "test-worker", limit: 1, lease: .seconds(30), now: later)
            #expect(claimed.first?.attempts == 2)
            await worker.work(try #require(claimed.first), queue: queue)
            #expect(try await app.scalar("SELECT count(*) FROM jobs WHERE status = 'failed' AND last_error IS NOT NULL") == 1)
        }
    }

    @Test("The scheduler queues one sync per healthy connection, however often it runs", arguments: TestBackend.all)
    func scheduler(backend: TestBackend) async throws {
        try await ConnectionTests().withLinkedApp(backend, transactions: 20) { app, _, client in
            let plaid = try #require(app.plaid)
            let user = try await client.signUp()
            let ids = try await Self.connections(4, user: user.id, app: app, plaid: plaid)
            try await app.db.asSystem { db in
                try await PlaidConnection.query(on: db).filter(\.$id == ids[2]).set(\.$status, to: .loginRequired).update()
                try await PlaidConnection.query(on: db).filter(\.$id == ids[3]).set(\.$status, to: .disabled).update()
                try await PlaidConnection.query(on: db).filter(\.$id == ids[1]).set(\.$status, to: .error).update()
            }
            let queue = JobQueue(app: app)
            let later = Date().addingTimeInterval(7 * 3600)
            // The healthy one and the failing one; not the one waiting for its login, nor the disabled one.
            #expect(try await queue.scheduleSyncs(every: .seconds(6 * 3600), now: later) == 2)
            #expect(try await queue.scheduleSyncs(every: .seconds(6 * 3600), now: later) == 0)
            #expect(try await app.scalar("SELECT count(*) FROM jobs") == 2)
            // Not yet due: nothing synced within the interval is queued.
            #expect(try await queue.scheduleSyncs(every: .seconds(6 * 3600)) == 0)
        }
    }

    @Test("A job whose worker dies on every attempt is not claimed again: it is marked failed", arguments: TestBackend.all)
    func abandonedJobs(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let queue = JobQueue(app: app)
            let payload = ["connection_id": UUID().uuidString, "user_id": UUID().uuidString]
            let queued = try await queue.enqueue(.syncConnection, payload: payload, dedupeKey: nil, maxAttempts: 1)
            #expect(queued)
            let claimed = try await queue.claim(worker: "dies", limit: 5, lease: .seconds(1))
            #expect(claimed.count == 1)
            let later = Date().addingTimeInterval(120)
            let again = try await queue.claim(worker: "another", limit: 5, lease: .seconds(60), now: later)
            #expect(again.isEmpty)
            let abandoned = try await queue.failAbandoned(now: later)
            #expect(abandoned == 1)
            let failed = try await app.scalar("SELECT count(*) FROM jobs WHERE status = 'failed' AND last_error IS NOT NULL")
            #expect(failed == 1)
        }
    }

    @Test("PostgreSQL: an idle worker takes a job another process queued when its NOTIFY arrives, not at its next poll")
    func wokenByNotify() async throws {
        guard TestBackend.postgresURL != nil else { return }
        try await ConnectionTests().withLinkedApp(.postgres, transactions: 20) { app, _, client in
            let plaid = try #require(app.plaid)
            let user = try await client.signUp()
            let id = try #require(try await Self.connections(1, user: user.id, app: app, plaid: plaid).first)
            app.startEventListener()
            var options = JobWorker.Options()
            options.pollInterval = .seconds(3600)
            let worker = JobWorker(app: app, options: options, name: "listening")
            app.eventHub.onJobsQueued { [weak worker] in worker?.wake() }
            worker.start()
            // The worker found nothing and waits for its next poll, an hour away; the listener listens.
            try await EventTests.waitFor { worker.isIdle && app.eventHub.isListening }

            let other = try await Self.secondProcess(like: app)
            #expect(try await JobQueue(app: other).enqueueSync(connection: id, user: user.id))
            try await other.asyncShutdown()
            var taken = false
            for _ in 0..<200 where !taken {
                taken = try await app.scalar("SELECT count(*) FROM jobs WHERE status = 'queued' AND attempts = 0") == 0
                if !taken { try await Task.sleep(for: .milliseconds(100)) }
            }
            await worker.stop()
            await app.eventHub.stop()
            #expect(taken, "the worker did not take the job")
        }
    }
}
