import FinanceAPI
import Foundation
import Metrics
import NIOConcurrencyHelpers
import OpenAPIRuntime
import Vapor

extension APIHandler {
    /// `EventsEndpoint` serves this operation before the generated route gets to it, writing the
    /// stream straight into the response; this is the same stream through the runtime's body, for a
    /// route set up without that middleware.
    func streamEvents(_ input: Operations.StreamEvents.Input) async throws -> Operations.StreamEvents.Output {
        let position = try EventStream.position(header: input.headers.lastEventID, since: input.query.since)
        let user = try await Authentication.requireUser(app)
        let frames = try await EventStream.open(app: app, user: user, position: position).start { batch in ArraySlice(EventStream.sse(batch).utf8) }
        return .ok(.init(body: .textEventStream(HTTPBody(frames, length: .unknown, iterationBehavior: .single))))
    }
}

/// One client's stream of events, for Server-Sent Events or a WebSocket: what it missed since its
/// position, then each new event of its user as it commits, read from the outbox when the user's
/// streams are woken (`EventHub`). It ends when the token expires (unless renewed), the session
/// ends, or the client reads too slowly, and says why.
struct EventStream: Sendable {
    enum Frame: Sendable, Equatable {
        /// The stream is open (SSE sends its retry interval).
        case opened
        case event(LiveEvent)
        /// Nothing happened for a while.
        case ping
        /// The last frame: why the stream ends (`session.ended`'s reason).
        case end(String)
    }

    let app: Application
    let user: AuthenticatedUser
    /// The last event the client has, or the latest event when it has none (it wants what happens
    /// next) or its position is gone from the outbox.
    let start: Int64
    /// The client's position is gone from the outbox (or was never given out): it gets a `resync` first.
    let resync: Bool
    /// When the stream's token expires; a WebSocket client may renew it.
    let expiry: NIOLockedValueBox<Date>
    /// Batches the client has not read yet, at most; one more and the client is cut off as too slow.
    let backlog: Int

    /// A stream for the client at `position` (nil: it has none): where it stands is read here, while
    /// the request is still answerable, so that a failure is an error response and not a cut stream.
    static func open(app: Application, user: AuthenticatedUser, position: Int64?, backlog: Int = 64) async throws -> EventStream {
        let userID = user.id
        // After its position if the outbox still holds it, else at the latest event after a `resync`.
        let (start, resync) = try await app.db.asUser(userID) { db -> (Int64, Bool) in
            let latest = try await EventOutbox.latest(userID: userID, on: db)
            guard let position, position > 0 else { return (latest, false) }
            // A position past the newest event is none this server gave (a restored database, a made-up id).
            if position > latest { return (latest, true) }
            if position == latest { return (position, false) }
            return try await EventOutbox.holds(position, userID: userID, on: db) ? (position, false) : (latest, true)
        }
        return EventStream(app: app, user: user, start: start, resync: resync, backlog: backlog)
    }

    private init(app: Application, user: AuthenticatedUser, start: Int64, resync: Bool, backlog: Int) {
        self.app = app
        self.user = user
        self.start = start
        self.resync = resync
        self.expiry = NIOLockedValueBox(user.expiresAt)
        self.backlog = backlog
    }

    /// A client that stopped reading: its stream stops reading the outbox for it, leaves the hub, and
    /// fails once what it holds is read (its WebSocket closes with 4008, its SSE response is cut).
    struct SlowReader: Error {}

    /// Idle streams get a ping this often, so proxies and clients know the stream is alive.
    var pingInterval: Duration { app.eventHub.pingInterval }
    static let batch = 500

    /// The client's position from `Last-Event-ID` (which wins) or `since`.
    static func position(header: String?, since: Int64?) throws -> Int64? {
        if let header {
            guard let id = Int64(header), id >= 0 else { throw APIError.validation(["Last-Event-ID": "must be an event id"]) }
            return id
        }
        if let since {
            guard since >= 0 else { throw APIError.validation(["since": "must not be negative"]) }
            return since
        }
        return nil
    }

    /// Starts the stream: batches of frames, each encoded by `encode`, until it ends.
    func start<Chunk: Sendable>(_ encode: @escaping @Sendable ([Frame]) -> Chunk) -> AsyncThrowingStream<Chunk, any Error> {
        let (chunks, output) = AsyncThrowingStream<Chunk, any Error>.makeStream(bufferingPolicy: .bufferingOldest(backlog))
        let hub = app.eventHub
        let userID = user.id
        let (id, wakeUps, wake) = hub.open(userID: userID)
        let producer = Task {
            defer {
                // However it stopped (the hub shutting down included), the client's stream ends.
                output.finish()
                hub.close(userID: userID, id: id)
            }
            do {
                try await run(wakeUps: wakeUps, wake: wake) { frames in
                    if case .dropped = output.yield(encode(frames)) { return false }
                    return true
                } finish: { last in
                    if last == .end("slow_reader") { return output.finish(throwing: SlowReader()) }
                    if let last { _ = output.yield(encode([last])) }
                    output.finish()
                }
            } catch {
                output.finish(throwing: error)
            }
        }
        hub.track(id, producer: producer)
        output.onTermination = { _ in
            producer.cancel()
            hub.close(userID: userID, id: id)
        }
        return chunks
    }

    /// Serves the stream as Server-Sent Events straight into a response: the stream's one task reads
    /// the outbox and hands each batch to the connection, which queues it. A client that leaves more
    /// than `backlog` batches unwritten is cut off as too slow; a write that fails (the client went
    /// away) ends the stream at once.
    func serve(to writer: any BodyStreamWriter) {
        let hub = app.eventHub
        let userID = user.id
        let (id, wakeUps, wake) = hub.open(userID: userID)
        // Batches handed to the connection and not yet written to the socket; whether the response ended.
        let state = NIOLockedValueBox((unwritten: 0, ended: false))
        let backlog = self.backlog
        @Sendable func send(_ frames: [Frame]) -> Bool {
            let accepted = state.withLockedValue { state in
                guard state.unwritten < backlog else { return false }
                state.unwritten += 1
                return true
            }
            guard accepted else { return false }
            writer.write(.buffer(ByteBuffer(string: Self.sse(frames)))).whenComplete { result in
                state.withLockedValue { $0.unwritten -= 1 }
                if case .failure = result { hub.close(userID: userID, id: id) }
            }
            return true
        }
        @Sendable func end(_ result: BodyStreamResult) {
            let first = state.withLockedValue { state in
                defer { state.ended = true }
                return !state.ended
            }
            if first { _ = writer.write(result) }
        }
        let producer = Task {
            defer {
                // However it stopped (the hub shutting down included), the response ends.
                end(.end)
                hub.close(userID: userID, id: id)
            }
            do {
                try await run(wakeUps: wakeUps, wake: wake, send: send) { last in
                    if last == .end("slow_reader") { return end(.error(SlowReader())) }
                    if let last { _ = send([last]) }
                }
            } catch {
                end(.error(error))
            }
        }
        hub.track(id, producer: producer)
    }

    /// Renews the stream's token (a WebSocket client's `renew` message).
    func renew(until expiresAt: Date) {
        expiry.withLockedValue { $0 = max($0, expiresAt) }
    }

    private func run(wakeUps: AsyncStream<Void>, wake: AsyncStream<Void>.Continuation,
                     send: ([Frame]) -> Bool, finish: (Frame?) -> Void) async throws {
        let userID = user.id
        var lastWrite = ContinuousClock.now
        var sent = start
        var opening: [Frame] = [.opened]
        if resync { opening.append(.event(LiveEvent(id: sent, type: EventTypes.resync, occurredAt: Date(), data: "{}"))) }
        guard send(opening) else { return finish(nil) }
        wake.yield()

        for await _ in wakeUps {
            if Task.isCancelled { return }
            let now = app.clock.now()
            if now >= expiry.withLockedValue({ $0 }) { return finish(.end("token_expired")) }
            var delivered = 0
            while true {
                let app = self.app
                let events = try await app.eventHub.events(of: userID, after: sent, limit: Self.batch) { after in
                    try await EventOutbox.read(after: after, userID: userID, limit: Self.batch, on: app.db)
                }
                guard !events.isEmpty, !Task.isCancelled else { break }
                // The session's own end, told by the write that ended it: the stream ends with it.
                let ending = events.firstIndex { $0.type == EventTypes.sessionEnded && Self.endsSession($0, user.sessionID) }
                let batch = ending.map { Array(events[...$0]) } ?? events
                guard send(batch.map(Frame.event)) else {
                    Counter(label: "finance_event_slow_readers_total").increment()
                    return finish(.end("slow_reader"))
                }
                lastWrite = .now
                sent = batch[batch.count - 1].id
                delivered += batch.count
                Counter(label: "finance_events_sent_total").increment(by: batch.count)
                for event in batch { Timer(label: "finance_event_delivery_seconds").recordInterval(since: event.occurredAt) }
                if ending != nil { return finish(nil) }
                if events.count < Self.batch { break }
            }
            if Task.isCancelled { return }
            // Ended some other way (the user deleted, the session expired): checked when a wake-up
            // brought nothing (a tick, a deletion's notification); a logout or a password change
            // ends the stream by its own event.
            if delivered == 0 {
                let (app, session) = (self.app, user.sessionID)
                let alive = try await app.eventHub.sessionAlive(session, of: userID) {
                    try await Sessions.liveVersion(familyID: session, userID: userID, now: now, on: app.sessionCheckDatabase) != nil
                }
                if !alive { return finish(.end("session_ended")) }
            }
            if delivered == 0, ContinuousClock.now - lastWrite >= pingInterval {
                guard send([.ping]) else { return finish(.end("slow_reader")) }
                lastWrite = .now
            }
        }
    }

    /// Whether a `session.ended` event ends this stream's session.
    static func endsSession(_ event: LiveEvent, _ session: UUID) -> Bool {
        guard let object = try? JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [String: Any] else { return false }
        if let ended = object["session"] as? String { return UUID(uuidString: ended) == session }
        if let kept = object["except_session"] as? String { return UUID(uuidString: kept) != session }
        return true
    }

    /// The stream's last word, as an event with no id of its own (the client's position stays the
    /// last event it got).
    static func ending(_ reason: String) -> String {
        let data = PendingEvent(EventTypes.sessionEnded, ["reason": .string(reason)]).dataJSON
        return #"{"data":\#(data),"occurred_at":"\#(LiveEvent.timestamp(Date()))","type":"\#(EventTypes.sessionEnded)"}"#
    }

    /// SSE messages: an event's `id:` and `data:`, a comment for a ping.
    static func sse(_ frames: [Frame]) -> String {
        var text = ""
        for frame in frames {
            switch frame {
            case .opened: text += "retry: 2000\n: connected\n\n"
            case .event(let event): text += "id: \(event.id)\ndata: \(event.json)\n\n"
            case .ping: text += ": ping\n\n"
            case .end(let reason): text += "data: \(ending(reason))\n\n"
            }
        }
        return text
    }
}

extension Timer {
    /// Records the time from `start` (a wall-clock time, such as an event's) to now.
    func recordInterval(since start: Date) {
        recordNanoseconds(Int64(max(0, Date().timeIntervalSince(start)) * 1_000_000_000))
    }
}
