@testable import App
import FinanceCore
import Foundation
import NIOCore
import Testing
import Vapor

/// Reads marked `x-finance-cache` carry an entity tag from the user's data version: the same tag
/// answers 304, a write anywhere (this process or another) makes the next read fresh.
@Suite("HTTP caching and the report cache")
struct CachingTests {
    static let overview = "/api/v1/balances/overview"

    @Test("A read carries an ETag; that tag answers 304 until the user's data changes, then the read is fresh", arguments: TestBackend.all)
    func notModifiedUntilAWrite(_ backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let ada = try await client.signUp()
            let checking = try await client.account(ada, name: "Checking", type: "checking", opening: "100")

            let first = try await client.send(.GET, Self.overview, token: ada.accessToken)
            #expect(first.status == .ok)
            #expect(first.headers.first(name: .cacheControl) == "private, no-cache")
            let tag = try #require(first.headers.first(name: .eTag))
            #expect(tag.wholeMatch(of: /"[0-9a-f]{40}"/) != nil, "\(tag)")
            #expect(first["net_worth"] as? String == "100.00")

            // The same tag, alone, weak, or in a list: 304, no body, the tag again.
            for held in [tag, "W/\(tag)", "\"0000\", \(tag)"] {
                let again = try await client.send(.GET, Self.overview, token: ada.accessToken, headers: [("If-None-Match", held)])
                #expect(again.status == .notModified, "\(held)")
                #expect(again.json.isEmpty)
                #expect(again.headers.first(name: .eTag) == tag)
                #expect(again.headers.first(name: .cacheControl) == "private, no-cache")
            }
            // Another tag: the answer itself, from the cache, the same as the first.
            let kept = try await client.send(.GET, Self.overview, token: ada.accessToken, headers: [("If-None-Match", "\"0000\"")])
            #expect(kept.status == .ok)
            #expect(kept.headers.first(name: .eTag) == tag)
            #expect(kept["net_worth"] as? String == "100.00")
            #expect(NSDictionary(dictionary: kept.json) == NSDictionary(dictionary: first.json))
            // `*` names whatever the server holds.
            let any = try await client.send(.GET, Self.overview, token: ada.accessToken, headers: [("If-None-Match", "*")])
            #expect(any.status == .notModified)

            // Another request of the same user has another tag.
            let hidden = try await client.send(.GET, Self.overview + "?include_hidden=true", token: ada.accessToken)
            #expect(hidden.status == .ok)
            #expect(hidden.headers.first(name: .eTag) != tag)

            // A write: the old tag no longer holds, and the answer has the write in it.
            try await client.transaction(ada, account: checking, date: "2024-03-01", amount: "-40.00", description: "Groceries")
            let fresh = try await client.send(.GET, Self.overview, token: ada.accessToken, headers: [("If-None-Match", tag)])
            #expect(fresh.status == .ok)
            #expect(fresh["net_worth"] as? String == "60.00")
            let newTag = try #require(fresh.headers.first(name: .eTag))
            #expect(newTag != tag)
            // The answers from before the write are gone from this process's cache.
            let page = try await client.send(.GET, "/api/v1/transactions?limit=5", token: ada.accessToken, headers: [("If-None-Match", newTag)])
            #expect(page.status == .ok, "a tag of one read does not answer another")
            #expect((page["items"] as? [[String: Any]])?.count == 1)

            // Somebody else asking the same thing gets their own answer and tag.
            let bob = try await client.signUp()
            let theirs = try await client.send(.GET, Self.overview, token: bob.accessToken, headers: [("If-None-Match", newTag)])
            #expect(theirs.status == .ok)
            #expect(theirs["net_worth"] as? String == "0.00")
            #expect(theirs.headers.first(name: .eTag) != newTag)
        }
    }

    @Test("A write through another server process is in the next read of this one", arguments: TestBackend.all)
    func freshAcrossProcesses(_ backend: TestBackend) async throws {
        let secret = "a signing secret both servers share, of 32 bytes or more"
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("finance-shared-\(UUID().uuidString)").path
        // The two processes share the database: the same SQLite file, or the same PostgreSQL.
        try await withTestApp(backend, environment: [Settings.Key.jwtSecret.rawValue: secret, Settings.Key.dataDirectory.rawValue: directory]) { first in
            let second = try await Application.make(.testing)
            second.logger.logLevel = .warning
            do {
                var environment = [Settings.Key.dataDirectory.rawValue: directory, Settings.Key.bcryptCost.rawValue: "4",
                                   Settings.Key.jwtSecret.rawValue: secret]
                if backend == .postgres { environment[Settings.Key.databaseURL.rawValue] = try #require(TestBackend.postgresURL) }
                try await configure(second, settings: Settings.load(from: environment))
                let one = TestClient(app: first), two = TestClient(app: second)
                let ada = try await one.signUp()
                let checking = try await one.account(ada, name: "Checking", type: "checking", opening: "100")

                // Each process reads, and keeps the answer.
                let before = try await one.send(.GET, Self.overview, token: ada.accessToken)
                let tag = try #require(before.headers.first(name: .eTag))
                let elsewhere = try await two.send(.GET, Self.overview, token: ada.accessToken)
                #expect(elsewhere.headers.first(name: .eTag) == tag, "the tag names the data, not the process")
                #expect(first.reportCache.statistics.entries == 1)

                // The second process writes; the first has heard nothing of it, and still answers fresh.
                try await two.transaction(ada, account: checking, date: "2024-03-01", amount: "-25.00", description: "Elsewhere")
                #expect(first.reportCache.statistics.entries == 1, "the first process still holds its old answer")
                let after = try await one.send(.GET, Self.overview, token: ada.accessToken, headers: [("If-None-Match", tag)])
                #expect(after.status == .ok)
                #expect(after["net_worth"] as? String == "75.00")
                #expect(after.headers.first(name: .eTag) != tag)
            } catch {
                try? await second.asyncShutdown()
                throw error
            }
            try await second.asyncShutdown()
        }
    }

    @Test("Every read of a user's data is tagged: the document marks every authenticated GET")
    func everyUserReadIsTagged() throws {
        let documents = try OpenAPIDocuments.load()
        let reads = documents.protectedOperations.filter { $0.hasPrefix("GET ") }
        #expect(reads.count > 20)
        let marked = documents.cachedOperations.union(documents.taggedOperations).union(documents.uncachedOperations)
        #expect(reads.subtracting(marked).sorted() == [])
        #expect(documents.taggedOperations == ["GET /api/v1/transactions/export.csv"])
        #expect(documents.uncachedOperations == ["GET /api/v1/events"])
    }

    @Test("The profile, the audit trail and the export follow the version: sign-ins, failed sign-ins and edits make them fresh",
          arguments: TestBackend.all)
    func profileAuditAndExport(_ backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let ada = try await client.signUp()
            func read(_ path: String, holding tag: String? = nil) async throws -> TestClient.Reply {
                try await client.send(.GET, path, token: ada.accessToken, headers: tag.map { [("If-None-Match", $0)] } ?? [])
            }

            let me = try await read("/api/v1/users/me")
            let meTag = try #require(me.headers.first(name: .eTag))
            #expect(try await read("/api/v1/users/me", holding: meTag).status == .notModified)
            #expect(try await client.send(.PATCH, "/api/v1/users/me", token: ada.accessToken, json: ["full_name": "Ada L."]).status == .ok)
            let renamed = try await read("/api/v1/users/me", holding: meTag)
            #expect(renamed.status == .ok)
            #expect(renamed["full_name"] as? String == "Ada L.")

            // A sign-in, and a failed one, are in the audit trail the moment they happen.
            let trail = try await read("/api/v1/audit-events")
            let trailTag = try #require(trail.headers.first(name: .eTag))
            #expect(try await read("/api/v1/audit-events", holding: trailTag).status == .notModified)
            let failed = try await client.send(.POST, "/api/v1/auth/login", json: ["email": ada.email, "password": "not the password at all"])
            #expect(failed.status == .unauthorized)
            let afterFailure = try await read("/api/v1/audit-events", holding: trailTag)
            #expect(afterFailure.status == .ok)
            #expect(((afterFailure["items"] as? [[String: Any]])?.first)?["action"] as? String == "login_failed")
            let failureTag = try #require(afterFailure.headers.first(name: .eTag))
            #expect(try await client.send(.POST, "/api/v1/auth/login", json: ["email": ada.email, "password": ada.password]).status == .ok)
            let afterLogin = try await read("/api/v1/audit-events", holding: failureTag)
            #expect(afterLogin.status == .ok)
            #expect(((afterLogin["items"] as? [[String: Any]])?.first)?["action"] as? String == "login")

            // The export is tagged and answers 304, but is streamed, never kept in the cache.
            let checking = try await client.account(ada, name: "Checking", type: "checking", opening: "100")
            let kept = app.reportCache.statistics.entries
            let export = try await read("/api/v1/transactions/export.csv")
            #expect(export.status == .ok)
            let exportTag = try #require(export.headers.first(name: .eTag))
            #expect(export.headers.first(name: .cacheControl) == "private, no-cache")
            #expect(try await read("/api/v1/transactions/export.csv", holding: exportTag).status == .notModified)
            #expect(app.reportCache.statistics.entries == kept)
            try await client.transaction(ada, account: checking, date: "2024-03-01", amount: "-40.00", description: "Groceries")
            let fresh = try await read("/api/v1/transactions/export.csv", holding: exportTag)
            #expect(fresh.status == .ok)
            #expect(fresh.text.contains("Groceries"))
        }
    }

    @Test("Reads outside the cache, and requests without a valid token, carry no tag")
    func onlyMarkedReads() async throws {
        try await withTestApp(.sqlite) { app in
            let client = TestClient(app: app)
            let ada = try await client.signUp()
            let ready = try await client.send(.GET, "/health/ready", token: ada.accessToken)
            #expect(ready.status == .ok)
            #expect(ready.headers.first(name: .eTag) == nil)
            let anonymous = try await client.send(.GET, Self.overview, headers: [("If-None-Match", "*")])
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.headers.first(name: .eTag) == nil)
            let missing = try await client.send(.GET, "/api/v1/accounts/\(UUID())", token: ada.accessToken, headers: [("If-None-Match", "*")])
            #expect(missing.status == .notFound)
            #expect(missing.headers.first(name: .eTag) == nil)
        }
    }

    @Test("The cache keeps at most its capacity, drops the least recently used first, and a user's older versions on their commit")
    func boundedLeastRecentlyUsed() throws {
        let cache = ReportCache(capacityBytes: 8 * 1_000)
        let ada = UUID(), bob = UUID()
        func answer(_ size: Int) -> ReportCache.Answer { .init(contentType: "application/json", body: ByteBuffer(repeating: 0x20, count: size)) }
        for index in 0..<7 { cache.keep(answer(800), for: "a\(index)", userID: ada, version: Int64(index)) }
        #expect(cache.statistics.entries == 7)
        #expect(cache.answer(for: "a0") != nil)  // now the most recently used
        cache.keep(answer(800), for: "b0", userID: bob, version: 1)
        cache.keep(answer(800), for: "b1", userID: bob, version: 2)
        #expect(cache.statistics.bytes <= cache.capacityBytes)
        #expect(cache.answer(for: "a1") == nil, "the least recently used went first")
        #expect(cache.answer(for: "a0") != nil)
        #expect(cache.answer(for: "b1") != nil)
        // Too big for one eighth of the capacity: not kept at all.
        cache.keep(answer(2_000), for: "huge", userID: bob, version: 3)
        #expect(cache.answer(for: "huge") == nil)
        // Kept again under the same tag: replaced, counted once.
        cache.keep(answer(10), for: "a5", userID: ada, version: 5)
        #expect(cache.answer(for: "a5")?.body.readableBytes == 10)
        // Ada commits version 5: her answers from before it go; hers from 5 on, and Bob's, stay.
        cache.dropAnswers(of: ada, before: 5)
        for gone in ["a0", "a2", "a3", "a4"] { #expect(cache.answer(for: gone) == nil, "\(gone)") }
        for kept in ["a5", "a6", "b0", "b1"] { #expect(cache.answer(for: kept) != nil, "\(kept)") }
        #expect(cache.statistics.entries == 4)
        #expect(cache.statistics.bytes == [10, 800, 800, 800].map { $0 + "application/json".utf8.count + 2 + 128 }.reduce(0, +))
    }
    @Test("Reads of one tag that miss together compute it once: the others wait and send its answer, or compute alone when it made none")
    func missesTogetherComputeOnce() async throws {
        let cache = ReportCache(capacityBytes: 1 << 20)
        let made = ReportCache.Answer(contentType: "application/json", body: ByteBuffer(string: #"{"n":1}"#))
        guard case .compute = await cache.turn(for: "t") else { Issue.record("the first read of a tag computes it"); return }
        // Until `count` reads wait on `tag` (bounded: a read that does not wait fails the test, not hangs it).
        func waitingReads(_ count: Int, on tag: String) async -> Bool {
            for _ in 0..<100_000 {
                if cache.waiting(for: tag) >= count { return true }
                await Task.yield()
            }
            return false
        }
        let waiters = (0..<3).map { _ in Task { await cache.turn(for: "t") } }
        #expect(await waitingReads(waiters.count, on: "t"), "the other reads wait for the first")
        cache.computed(made, for: "t")
        for waiter in waiters {
            guard case .shared(let answer) = await waiter.value else { Issue.record("a read that waited computes again"); continue }
            #expect(answer.body == made.body)
        }
        #expect(cache.waiting(for: "t") == 0)

        // The computation fails or answers another status: each read that waited computes alone.
        guard case .compute = await cache.turn(for: "u") else { Issue.record("a new tag computes"); return }
        let failed = Task { await cache.turn(for: "u") }
        #expect(await waitingReads(1, on: "u"))
        cache.computed(nil, for: "u")
        guard case .computeAlone = await failed.value else { Issue.record("nothing was made to share"); return }
        // Finished: the next read of that tag computes it again.
        guard case .compute = await cache.turn(for: "u") else { Issue.record("a finished computation is not waited for"); return }
        cache.computed(nil, for: "u")
    }
}
