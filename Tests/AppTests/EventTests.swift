@testable import App
import AsyncHTTPClient
import FinanceCore
import Foundation
import NIOCore
import Testing
import NIOWebSocket
import Vapor
import Yams

/// The live events stream, over real HTTP on loopback: what a write tells, to whom, once, and when
/// a stream ends.
@Suite("Live events", .serialized)
struct EventTests {
    /// One open stream: its messages as they arrive, until it ends.
    final class Stream: @unchecked Sendable {
        struct Message: Equatable {
            let id: Int64?
            let type: String
            let data: [String: String]
            let accounts: [String]
        }

        private let lock = NSLock()
        private var messages: [Message] = []
        private var ended = false
        private var task: Task<Void, Never>?

        /// Opens `GET /api/v1/events` with the token (and a position), and reads until it ends.
        static func open(port: Int, token: String, lastEventID: Int64? = nil) async throws -> Stream {
            let stream = Stream()
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/events")
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            request.headers.add(name: "Accept", value: "text/event-stream")
            if let lastEventID { request.headers.add(name: "Last-Event-ID", value: String(lastEventID)) }
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
            #expect(response.status == .ok)
            #expect(response.headers.first(name: "Content-Type")?.hasPrefix("text/event-stream") == true)
            stream.task = Task {
                var pending = ""
                do {
                    for try await buffer in response.body {
                        pending += String(buffer: buffer)
                        while let end = pending.range(of: "\n\n") {
                            stream.receive(String(pending[..<end.lowerBound]))
                            pending = String(pending[end.upperBound...])
                        }
                    }
                } catch {}
                stream.lock.withLock { stream.ended = true }
            }
            // The stream is open once its first comment has arrived.
            try await stream.wait { _, _ in true }
            return stream
        }

        private var opened = false

        private func receive(_ block: String) {
            var id: Int64?
            var json: String?
            for line in block.split(separator: "\n") {
                if line.hasPrefix("id: ") { id = Int64(line.dropFirst(4)) }
                if line.hasPrefix("data: ") { json = String(line.dropFirst(6)) }
            }
            lock.withLock { opened = true }
            guard let json, let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return }
            let data = object["data"] as? [String: Any] ?? [:]
            var fields: [String: String] = [:]
            for (key, value) in data { if let text = value as? String { fields[key] = text } }
            let message = Message(id: id, type: object["type"] as? String ?? "", data: fields, accounts: data["accounts"] as? [String] ?? [])
            #expect(id == nil || (object["id"] as? NSNumber)?.int64Value == id, "the SSE id is the event's id")
            lock.withLock { messages.append(message) }
        }

        var received: [Message] { lock.withLock { messages } }
        var hasEnded: Bool { lock.withLock { ended } }

        /// Waits (at most 20 s, so a broken stream fails rather than hangs) until `condition` holds
        /// of the messages so far and whether the stream ended.
        func wait(_ condition: @escaping ([Message], Bool) -> Bool) async throws {
            for _ in 0..<2_000 {
                let (messages, ended, opened) = lock.withLock { (self.messages, self.ended, self.opened) }
                if opened || ended, condition(messages, ended) { return }
                try await Task.sleep(for: .milliseconds(10))
            }
            Issue.record("the stream did not get there: \(received), ended: \(hasEnded)")
        }

        func close() { task?.cancel() }
    }

    /// A test app served on a loopback port, a client of it and a signed-up user.
    func withServedApp(_ backend: TestBackend, _ body: (Application, Int, TestClient, TestClient.SignedIn) async throws -> Void) async throws {
        try await withTestApp(backend) { app in
            try await serving(app) { port in
                let client = TestClient(app: app)
                try await body(app, port, client, try await client.signUp())
            }
        }
    }

    /// Serves `app` on a loopback port for the body.
    func serving(_ app: Application, _ body: (Int) async throws -> Void) async throws {
        try await app.server.start(address: .hostname("127.0.0.1", port: 0))
        let port = try #require(app.http.server.shared.localAddress?.port)
        do {
            try await body(port)
        } catch {
            await app.server.shutdown()
            throw error
        }
        await app.server.shutdown()
    }

    @Test("A write reaches its user's open stream after commit, once; a refused write tells nothing; another user hears nothing",
          arguments: TestBackend.all)
    func writesReachTheirStream(_ backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            try await serving(app) { port in
                let client = TestClient(app: app)
                let ada = try await client.signUp(), bob = try await client.signUp()
                let adaStream = try await Stream.open(port: port, token: ada.accessToken)
                let bobStream = try await Stream.open(port: port, token: bob.accessToken)

                let checking = try await client.account(ada, name: "Checking", type: "checking", opening: "100")
                try await client.transaction(ada, account: checking, date: "2026-11-02", amount: "-12.50", description: "Lunch")
                try await adaStream.wait { messages, _ in messages.contains { $0.type == "transactions.changed" } }
                let told = adaStream.received
                let change = try #require(told.first { $0.type == "transactions.changed" })
                #expect(change.accounts == [checking])
                #expect(change.data["from"] == "2026-11-02" && change.data["to"] == "2026-11-02")
                #expect(told.contains { $0.type == "balances.changed" && $0.accounts == [checking] })
                #expect(told.contains { $0.type == "accounts.changed" })
                let ids = told.compactMap(\.id)
                #expect(ids == ids.sorted() && Set(ids).count == ids.count, "ids increase, each event once")

                // An import that is written, then rolled back (the balance would pass the largest amount
                // there is), tells nothing; the next write does.
                let vault = try await client.account(ada, name: "Vault", type: "savings")
                try await client.transaction(ada, account: vault, date: "2026-11-01", amount: Amount.max.description, description: "Windfall")
                // The unit's last event: its balances.
                try await adaStream.wait { messages, _ in
                    messages.contains { $0.type == "transactions.changed" && $0.accounts == [vault] }
                        && messages.last?.type == "balances.changed" && messages.last?.accounts == [vault]
                }
                let before = adaStream.received.count
                let columns = "format=csv&date_column=date&amount_column=amount&description_column=description"
                let refused = try await client.send(.POST, "/api/v1/accounts/\(vault)/imports?\(columns)", token: ada.accessToken,
                                                    file: "date,amount,description\n2026-11-03,5.00,Deposit\n2026-11-04,6.00,Deposit\n")
                #expect(refused.status == .unprocessableEntity, "\(refused.json)")
                #expect(try await app.scalar("SELECT count(*) FROM transactions WHERE description = 'Deposit'") == 0)
                let renamed = try await client.send(.PATCH, "/api/v1/accounts/\(checking)", token: ada.accessToken, json: ["name": "Everyday"])
                #expect(renamed.status == .ok)
                try await adaStream.wait { messages, _ in messages.count > before && messages.last?.type == "accounts.changed" }
                #expect(adaStream.received.dropFirst(before).map(\.type) == ["accounts.changed"], "nothing of the rolled-back import")

                // Bob's stream heard nothing of Ada's; his own write reaches him.
                _ = try await client.account(bob, name: "Bob's", type: "savings", opening: "5")
                try await bobStream.wait { messages, _ in messages.contains { $0.type == "accounts.changed" } }
                let bobs = bobStream.received
                #expect(!bobs.contains { $0.accounts.contains(checking) })
                #expect(bobs.allSatisfy { !$0.type.hasPrefix("transactions") })
                adaStream.close()
                bobStream.close()
            }
        }
    }

    @Test("A stream's read of the outbox is one statement that gives its user's events alone and leaves the caller's row-level-security context as it was",
          arguments: TestBackend.all)
    func outboxRead(_ backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let ada = try await client.signUp(), bob = try await client.signUp()
            _ = try await client.account(ada, name: "Checking", type: "checking", opening: "100")
            _ = try await client.account(bob, name: "Savings", type: "savings", opening: "5")
            let adas = try await app.db.asSystem { db in try await EventOutbox.after(0, userID: ada.id, limit: 100, on: db) }
            #expect(!adas.isEmpty)
            // Without a transaction or a context of the caller's own.
            let read = try await EventOutbox.read(after: 0, userID: ada.id, limit: 100, on: app.db)
            #expect(read == adas)
            #expect(try await EventOutbox.read(after: adas[0].id, userID: ada.id, limit: 1, on: app.db) == Array(adas.dropFirst().prefix(1)))
            // Inside Bob's context: Ada's events, and Bob's context after.
            let (inside, context) = try await app.db.asUser(bob.id) { db in
                let events = try await EventOutbox.read(after: 0, userID: ada.id, limit: 100, on: db)
                guard db.engine == .postgres else { return (events, bob.id.uuidString) }
                let setting = try await db.sql.raw("SELECT current_setting('finance.user_id', true) AS setting").first()?
                    .decode(column: "setting", as: String.self)
                return (events, setting ?? "")
            }
            #expect(inside == adas)
            #expect(context.lowercased() == bob.id.uuidString.lowercased())
        }
    }

    @Test("A client that reconnects with its last id gets exactly what it missed; a position no longer kept gets resync",
          arguments: TestBackend.all)
    func resume(_ backend: TestBackend) async throws {
        try await withServedApp(backend) { app, port, client, ada in
            let first = try await Stream.open(port: port, token: ada.accessToken)
            let checking = try await client.account(ada, name: "Checking", type: "checking", opening: "100")
            try await first.wait { messages, _ in messages.contains { $0.type == "accounts.changed" } }
            let position = try #require(first.received.compactMap(\.id).max())
            first.close()

            // Missed while away: two writes.
            try await client.transaction(ada, account: checking, date: "2026-11-02", amount: "-1.00", description: "One")
            try await client.transaction(ada, account: checking, date: "2026-11-03", amount: "-2.00", description: "Two")
            let missed = try await app.db.asSystem { db in try await EventOutbox.after(position, userID: ada.id, limit: 100, on: db) }
            #expect(missed.count == 4, "two events for each write: transactions and balances")

            let again = try await Stream.open(port: port, token: ada.accessToken, lastEventID: position)
            try await again.wait { messages, _ in messages.count >= missed.count }
            // One more write while connected comes after them, and nothing twice.
            try await client.transaction(ada, account: checking, date: "2026-11-04", amount: "-3.00", description: "Three")
            try await again.wait { messages, _ in messages.count >= missed.count + 2 }
            let got = again.received
            #expect(Array(got.prefix(missed.count).compactMap(\.id)) == missed.map(\.id))
            #expect(got.count == missed.count + 2)
            #expect(got.last?.type == "balances.changed")
            again.close()

            // A position the outbox no longer holds: one resync, then what comes next.
            let stale = try await Stream.open(port: port, token: ada.accessToken, lastEventID: 1)
            try await stale.wait { messages, _ in !messages.isEmpty }
            #expect(stale.received.first?.type == "resync")
            #expect(stale.received.first?.id == got.compactMap(\.id).max())
            stale.close()
        }
    }

    @Test("Logout ends its stream with session.ended; a password change ends the others; deleting the user ends them all",
          arguments: TestBackend.all)
    func sessionsEnd(_ backend: TestBackend) async throws {
        try await withServedApp(backend) { app, port, client, ada in
            let stream = try await Stream.open(port: port, token: ada.accessToken)
            #expect(try await client.send(.POST, "/api/v1/auth/logout", token: ada.accessToken).status == .noContent)
            try await stream.wait { _, ended in ended }
            #expect(stream.received.last?.type == "session.ended")
            #expect(stream.received.last?.data["reason"] == "logout")

            // Two sessions: a password change in one ends the other's stream, not its own.
            let login = { () async throws -> String in
                let reply = try await client.send(.POST, "/api/v1/auth/login", json: ["email": ada.email, "password": ada.password])
                return try #require(reply["access_token"] as? String)
            }
            let here = try await login(), there = try await login()
            let ours = try await Stream.open(port: port, token: here)
            let theirs = try await Stream.open(port: port, token: there)
            let changed = try await client.send(.POST, "/api/v1/users/me/password", token: here,
                                                json: ["current_password": ada.password, "new_password": "another horse battery staple"])
            #expect(changed.status == .noContent, "\(changed.json)")
            try await theirs.wait { _, ended in ended }
            #expect(theirs.received.last?.data["reason"] == "password_changed")
            try await ours.wait { messages, _ in messages.contains { $0.type == "session.ended" } }
            #expect(!ours.hasEnded, "the session that changed the password keeps its stream")

            // The user deleted: the stream ends.
            #expect(try await client.send(.DELETE, "/api/v1/users/me", token: here).status == .noContent)
            try await ours.wait { _, ended in ended }
            #expect(ours.received.last?.data["reason"] == "session_ended")
        }
    }

    @Test("PostgreSQL: a write through one server reaches a stream on another, through LISTEN/NOTIFY")
    func acrossServers() async throws {
        guard let url = TestBackend.postgresURL else { return }
        let secret = "a signing secret both servers share, of 32 bytes or more"
        try await withTestApp(.postgres, environment: [Settings.Key.jwtSecret.rawValue: secret]) { first in
            let second = try await Application.make(.testing)
            second.logger.logLevel = .warning
            do {
                try await configure(second, settings: Settings.load(from: [
                    Settings.Key.databaseURL.rawValue: url, Settings.Key.bcryptCost.rawValue: "4", Settings.Key.jwtSecret.rawValue: secret,
                    Settings.Key.dataDirectory.rawValue: FileManager.default.temporaryDirectory.appendingPathComponent("finance-\(UUID())").path,
                    // No ping in the test's time: the stream can only be woken by the first server's NOTIFY.
                    Settings.Key.eventsPing.rawValue: "3600",
                ]))
                second.startEventListener()
                try await serving(second) { port in
                    let one = TestClient(app: first)
                    let ada = try await one.signUp()
                    let stream = try await Stream.open(port: port, token: ada.accessToken)
                    // The listener of the second server is up once a notification it hears wakes the stream.
                    let checking = try await one.account(ada, name: "Checking", type: "checking", opening: "100")
                    try await one.transaction(ada, account: checking, date: "2026-11-02", amount: "-9.00", description: "Elsewhere")
                    try await stream.wait { messages, _ in messages.contains { $0.type == "transactions.changed" } }
                    #expect(stream.received.first { $0.type == "transactions.changed" }?.accounts == [checking])
                    stream.close()
                }
                await second.eventHub.stop()
            } catch {
                await second.eventHub.stop()
                try? await second.asyncShutdown()
                throw error
            }
            try await second.asyncShutdown()
        }
    }

    /// A WebSocket client's messages and close code.
    final class Socket: @unchecked Sendable {
        private let lock = NSLock()
        private var texts: [String] = []
        private(set) var socket: WebSocket?

        static func connect(port: Int, query: String, headers: HTTPHeaders = [:], on group: any EventLoopGroup) async throws -> Socket {
            let client = Socket()
            try await WebSocket.connect(to: "ws://127.0.0.1:\(port)/api/v1/events?\(query)", headers: headers, on: group) { socket in
                client.lock.withLock { client.socket = socket }
                socket.onText { _, text in client.lock.withLock { client.texts.append(text) } }
            }.get()
            return client
        }

        var types: [String] {
            lock.withLock { texts }.compactMap { text in
                (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["type"] as? String
            }
        }

        var current: WebSocket? { lock.withLock { socket } }
        var closeCode: WebSocketErrorCode? { current?.closeCode }
        var isClosed: Bool { lock.withLock { socket }?.isClosed ?? true }

        func wait(_ condition: @escaping (Socket) -> Bool) async throws {
            for _ in 0..<2_000 {
                if condition(self) { return }
                try await Task.sleep(for: .milliseconds(10))
            }
            Issue.record("the socket did not get there: \(types), closed: \(isClosed)")
        }
    }

    @Test("A WebSocket opened with a ticket gets the same events; the ticket works once; logout closes with 4003; a stray message with 1008",
          arguments: TestBackend.all)
    func webSocket(_ backend: TestBackend) async throws {
        try await withServedApp(backend) { app, port, client, ada in
            let issued = try await client.send(.POST, "/api/v1/events/tickets", token: ada.accessToken)
            #expect(issued.status == .created, "\(issued.json)")
            let ticket = try #require(issued["ticket"] as? String)

            let socket = try await Socket.connect(port: port, query: "ticket=\(ticket)", on: app.eventLoopGroup)
            let checking = try await client.account(ada, name: "Checking", type: "checking", opening: "100")
            try await client.transaction(ada, account: checking, date: "2026-11-02", amount: "-3.00", description: "Tea")
            try await socket.wait { $0.types.contains("transactions.changed") }

            // Used once: a second stream with the same ticket is refused before anything opens.
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/events?ticket=\(ticket)")
            request.headers.add(name: "Accept", value: "text/event-stream")
            let reused = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            #expect(reused.status == .unauthorized)
            let body = String(buffer: try await reused.body.collect(upTo: 1 << 16))
            #expect(body.contains("invalid_ticket"), "\(body)")
            // A bad position is a 4xx in the error shape too.
            var badPosition = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/events?since=-4")
            badPosition.headers.add(name: "Authorization", value: "Bearer \(ada.accessToken)")
            badPosition.headers.add(name: "Accept", value: "text/event-stream")
            let refused = try await HTTPClient.shared.execute(badPosition, timeout: .seconds(10))
            #expect(refused.status.code >= 400 && refused.status.code < 500)

            // A message the server does not take closes that socket alone, with 1008.
            var bearer = HTTPHeaders()
            bearer.add(name: "Authorization", value: "Bearer \(ada.accessToken)")
            let chatty = try await Socket.connect(port: port, query: "", headers: bearer, on: app.eventLoopGroup)
            // The client's upgrade callback may still be on its way when connect returns.
            try await chatty.wait { $0.current != nil }
            try await chatty.current?.send("hello")
            try await chatty.wait { $0.isClosed }
            #expect(chatty.closeCode == .policyViolation)
            #expect(!socket.isClosed)

            #expect(try await client.send(.POST, "/api/v1/auth/logout", token: ada.accessToken).status == .noContent)
            try await socket.wait { $0.isClosed }
            #expect(socket.closeCode == .unknown(4003))
            #expect(socket.types.last == "session.ended")
        }
    }

    @Test("A client that stops reading is cut off, while one that reads keeps getting every event", arguments: TestBackend.all)
    func slowReader(_ backend: TestBackend) async throws {
        try await withServedApp(backend) { app, port, client, ada in
            let claims = try #require(await AccessTokens.verify(ada.accessToken, on: app))
            let session = AuthenticatedUser(id: ada.id, sessionID: try #require(claims.sessionID), dataVersion: 0)
            let fast = try await Stream.open(port: port, token: ada.accessToken)
            let open = app.eventHub.openStreams
            // Never read until the end, and allowed two unread batches.
            let slow = try await EventStream.open(app: app, user: session, position: nil, backlog: 2).start { $0 }
            try await Self.waitFor { app.eventHub.openStreams == open + 1 }

            let checking = try await client.account(ada, name: "Checking", type: "checking", opening: "100")
            for day in 1...6 {
                try await client.transaction(ada, account: checking, date: "2026-11-0\(day)", amount: "-1.00", description: "Day \(day)")
                try await fast.wait { messages, _ in messages.filter { $0.type == "transactions.changed" }.count == day }
            }
            // The slow stream gave up: it left the hub, and holds no more than its backlog.
            try await Self.waitFor { app.eventHub.openStreams == open }
            var batches = 0
            var failed = false
            do {
                for try await _ in slow { batches += 1 }
            } catch is EventStream.SlowReader {
                failed = true
            }
            #expect(failed)
            #expect(batches == 2)
            #expect(fast.received.filter { $0.type == "transactions.changed" }.count == 6)
            fast.close()
        }
    }

    @Test("The ticker wakes the users of one slot a round, and every user once in the sixteen rounds of a ping interval")
    func tickerSlots() async throws {
        let hub = EventHub(pingInterval: .seconds(3600))
        let users = (0..<64).map { _ in UUID() }
        for slot in 0..<EventHub.tickSlots {
            let opened = users.map { hub.open(userID: $0) }
            hub.pokeAll(slot: slot)
            // Closed: a stream yields the wake-up it was given, if any, then ends.
            for (user, stream) in zip(users, opened) { hub.close(userID: user, id: stream.id) }
            var woken: [UUID] = []
            for (user, stream) in zip(users, opened) {
                var wakeUps = stream.wakeUps.makeAsyncIterator()
                if await wakeUps.next() != nil { woken.append(user) }
            }
            #expect(woken == users.filter { EventHub.tickSlot(of: $0) == slot })
        }
        #expect(Set(users.map(EventHub.tickSlot(of:))).count > 1)
        await hub.stop()
    }

    /// A response body that takes writes and completes none of them until told to: a client that
    /// stopped reading (`fail`: one that went away).
    final class HeldWriter: BodyStreamWriter, @unchecked Sendable {
        let eventLoop: any EventLoop
        let failing: Bool
        private let lock = NSLock()
        private var held: [EventLoopPromise<Void>] = []
        private(set) var buffers = 0
        private(set) var last: BodyStreamResult?

        init(eventLoop: any EventLoop, failing: Bool = false) {
            self.eventLoop = eventLoop
            self.failing = failing
        }

        func write(_ result: BodyStreamResult, promise: EventLoopPromise<Void>?) {
            lock.withLock {
                if case .buffer = result { buffers += 1 } else { last = result }
            }
            guard let promise else { return }
            if failing { return promise.fail(ChannelError.ioOnClosedChannel) }
            lock.withLock { held.append(promise) }
        }

        var ended: Bool { lock.withLock { last != nil } }

        func release() {
            for promise in lock.withLock({ held }) { promise.succeed() }
        }
    }

    @Test("Server-Sent Events: a client that stops reading is cut off after its backlog, one that went away leaves at once",
          arguments: TestBackend.all)
    func slowReaderOfServerSentEvents(_ backend: TestBackend) async throws {
        try await withServedApp(backend) { app, _, client, ada in
            let claims = try #require(await AccessTokens.verify(ada.accessToken, on: app))
            let session = AuthenticatedUser(id: ada.id, sessionID: try #require(claims.sessionID), dataVersion: 0)
            let open = app.eventHub.openStreams
            let slow = HeldWriter(eventLoop: app.eventLoopGroup.any())
            let gone = HeldWriter(eventLoop: app.eventLoopGroup.any(), failing: true)
            try await EventStream.open(app: app, user: session, position: nil, backlog: 2).serve(to: slow)
            try await EventStream.open(app: app, user: session, position: nil, backlog: 2).serve(to: gone)
            // Each sent its opening; the one whose client went away left the hub with it.
            try await Self.waitFor { slow.buffers == 1 && gone.buffers == 1 && app.eventHub.openStreams == open + 1 }
            #expect(!slow.ended)

            let checking = try await client.account(ada, name: "Checking", type: "checking", opening: "100")
            for day in 1...4 {
                try await client.transaction(ada, account: checking, date: "2026-11-0\(day)", amount: "-1.00", description: "Day \(day)")
            }
            // Two batches unwritten, the third refused: the response fails, and the stream left the hub.
            try await Self.waitFor { slow.ended && app.eventHub.openStreams == open }
            #expect(slow.buffers == 2)
            guard case .error(let error) = slow.last else { Issue.record("ended with \(String(describing: slow.last))"); return }
            #expect(error is EventStream.SlowReader)
            slow.release()
        }
    }

    @Test("Two `finance serve` processes on one PostgreSQL: a write through one reaches a stream on the other",
          .enabled(if: FileManager.default.isExecutableFile(atPath: CrashTests.executable), "needs `swift build` first"))
    func twoProcesses() async throws {
        guard let url = TestBackend.postgresURL else { return }
        try await withTestApp(.postgres) { app in
            let environment = [
                Settings.Key.dataDirectory.rawValue: app.settings.dataDirectory, Settings.Key.bcryptCost.rawValue: "4",
                Settings.Key.databaseURL.rawValue: url, Settings.Key.jwtSecret.rawValue: "a signing secret both processes share, 32 bytes or more",
                // No ping in the test's time: the stream can only be woken by the other process's NOTIFY.
                Settings.Key.eventsPing.rawValue: "3600",
            ]
            let client = app.client
            let one = try #require(try await CrashTests.Server.start(environment, client: client))
            let two = try #require(try await CrashTests.Server.start(environment, client: client))
            let credentials = ["email": "two@example.com", "password": "correct horse battery"]
            let (registered, _) = try await CrashTests.post(client, one.base + "/api/v1/auth/register",
                                                            json: credentials.merging(["full_name": "Two"]) { a, _ in a })
            #expect(registered == 201)
            let (_, login) = try await CrashTests.post(client, one.base + "/api/v1/auth/login", json: credentials)
            let token = try #require(login["access_token"] as? String)

            let stream = try await Stream.open(port: two.port, token: token)
            let (created, account) = try await CrashTests.post(client, one.base + "/api/v1/accounts", token: token,
                                                               json: ["name": "Checking", "type": "checking", "currency": "USD"])
            #expect(created == 201)
            let accountID = try #require(account["id"] as? String)
            let (written, _) = try await CrashTests.post(client, one.base + "/api/v1/transactions", token: token, json: [
                "account_id": accountID, "date": "2026-11-02", "amount": "-7.00", "description": "Through the first process",
            ])
            #expect(written == 201)
            try await stream.wait { messages, _ in messages.contains { $0.type == "transactions.changed" } }
            #expect(stream.received.first { $0.type == "transactions.changed" }?.accounts == [accountID])
            stream.close()
            one.killAtOnce()
            two.killAtOnce()
        }
    }

    @Test("The AsyncAPI document is served beside the OpenAPI one and names every event type the contract lists")
    func asyncAPIDocument() async throws {
        try await withTestApp(.sqlite) { app in
            let client = TestClient(app: app)
            let served = try await client.send(.GET, "/asyncapi.yaml")
            #expect(served.status == .ok)
            #expect(served.headers.first(name: .contentType)?.hasPrefix("application/yaml") == true)
            #expect(served.text.hasPrefix("asyncapi: 3.0.0"))
            // YAML that a YAML reader reads, not only text that looks like it.
            let document = try #require(try Yams.load(yaml: served.text) as? [String: Any])
            #expect(document["asyncapi"] as? String == "3.0.0")
            let messages = ((document["components"] as? [String: Any])?["messages"] as? [String: Any]) ?? [:]
            #expect(messages.count >= 16)
            let contract = try #require(try JSONSerialization.jsonObject(with: OpenAPIDocuments.load().json()) as? [String: Any])
            let schemas = (contract["components"] as? [String: Any])?["schemas"] as? [String: Any]
            let event = schemas?["Event"] as? [String: Any]
            let types = ((event?["properties"] as? [String: Any])?["type"] as? [String: Any])?["enum"] as? [String] ?? []
            #expect(types.count == 16)
            for type in types { #expect(served.text.contains("name: \(type)\n"), "\(type) is not in the AsyncAPI document") }
            let emitted = [EventTypes.transactions, EventTypes.balances, EventTypes.accounts, EventTypes.portfolios, EventTypes.prices,
                           EventTypes.rates, EventTypes.rules, EventTypes.rulesApplied, EventTypes.connections, EventTypes.profile,
                           EventTypes.importCompleted, EventTypes.syncCompleted, EventTypes.syncFailed, EventTypes.data,
                           EventTypes.sessionEnded, EventTypes.resync]
            #expect(Set(emitted) == Set(types))
        }
    }

    @Test("An event's data is JSON that reads back as written, whatever its text holds")
    func eventDataJSON() throws {
        let awkward = "quote \" backslash \\ newline \n tab \t bell \u{07} nul-free é 💶 </script>"
        let event = PendingEvent("sync.failed", ["error_code": .string(awkward), "count": .int(-42), "done": .bool(true),
                                                 "accounts": .strings(["a\"b", ""])])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(event.dataJSON.utf8)) as? [String: Any])
        #expect(object["error_code"] as? String == awkward)
        #expect((object["count"] as? NSNumber)?.int64Value == -42)
        #expect(object["done"] as? Bool == true)
        #expect(object["accounts"] as? [String] == ["a\"b", ""])
        #expect(event.dataJSON.hasPrefix(#"{"accounts":"#), "keys sorted")
        let live = LiveEvent(id: 7, type: "sync.failed", occurredAt: Date(timeIntervalSince1970: 0), data: event.dataJSON)
        let whole = try #require(try JSONSerialization.jsonObject(with: Data(live.json.utf8)) as? [String: Any])
        #expect(whole["occurred_at"] as? String == "1970-01-01T00:00:00.000Z")
        #expect((whole["data"] as? [String: Any])?["error_code"] as? String == awkward)
    }

    @Test("Each kind of change is told by its own event type: a security, its prices, a rule", arguments: TestBackend.all)
    func changeKinds(_ backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let ada = try await client.signUp()
            func lastTypes() async throws -> [String] {
                let told = try await app.db.asSystem { db in try await EventOutbox.after(0, userID: ada.id, limit: 1_000, on: db) }
                let last = told.last.map { $0.id / EventTypes.perUnit }
                return told.filter { $0.id / EventTypes.perUnit == last }.map(\.type)
            }
            let acme = try await InvestmentTests().security(client, ada, symbol: "ACME")
            #expect(try await lastTypes() == ["portfolios.changed"])
            try await InvestmentTests().prices(client, ada, acme, [("2026-11-02", "10.50")])
            #expect(try await lastTypes() == ["prices.changed"])
            let rule = try await client.send(.POST, "/api/v1/rules", token: ada.accessToken,
                                             json: ["match_field": "description", "match_kind": "contains", "match_value": "coffee",
                                                    "category": "FOOD_AND_DRINK"])
            #expect(rule.status == .created, "\(rule.json)")
            #expect(try await lastTypes() == ["rules.changed"])
        }
    }

    static func waitFor(_ condition: () -> Bool) async throws {
        for _ in 0..<2_000 {
            if condition() { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("the condition never held")
    }
}
