import FinanceAPI
import Foundation
import Metrics
import OpenAPIRuntime
import Vapor

extension APIHandler {
    func streamEvents(_ input: Operations.StreamEvents.Input) async throws -> Operations.StreamEvents.Output {
        var form = FieldValidator()
        var position: Int64?
        if let header = input.headers.lastEventID {
            if let id = Int64(header), id >= 0 { position = id } else { form.fail("Last-Event-ID", "must be an event id") }
        } else if let since = input.query.since {
            if since >= 0 { position = since } else { form.fail("since", "must not be negative") }
        }
        try form.check()
        let user = try await Authentication.requireUser(app)
        let stream = EventStream(app: app, user: user, position: position)
        return .ok(.init(body: .textEventStream(HTTPBody(stream.start(), length: .unknown, iterationBehavior: .single))))
    }
}

/// One client's stream of Server-Sent Events: what it missed since its position, then each new
/// event of its user as it commits, read from the outbox when the user's streams are woken
/// (`EventHub`). Ends with a `session.ended` event when the token expires, the session ends or the
/// client reads too slowly.
struct EventStream: Sendable {
    let app: Application
    let user: AuthenticatedUser
    /// The last event the client has (nil: it has none, and wants what happens next).
    let position: Int64?

    /// Idle streams get a comment this often, so proxies and clients know the stream is alive.
    static let pingInterval: Duration = .seconds(15)
    /// Chunks the client has not read yet, at most; one more and the client is cut off as too slow.
    static let backlog = 64
    static let batch = 500

    func start() -> AsyncThrowingStream<ArraySlice<UInt8>, any Error> {
        let (chunks, output) = AsyncThrowingStream<ArraySlice<UInt8>, any Error>.makeStream(bufferingPolicy: .bufferingOldest(Self.backlog))
        let hub = app.eventHub
        let (id, wakeUps, wake) = hub.open(userID: user.id)
        let ticker = Task {
            // Wakes the stream to ping while idle, and when the token expires.
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.pingInterval)
                wake.yield()
            }
        }
        let producer = Task {
            defer {
                ticker.cancel()
                hub.close(userID: user.id, id: id)
            }
            do {
                try await run(wakeUps: wakeUps, wake: wake, output: output)
            } catch {
                output.finish()
            }
        }
        output.onTermination = { _ in
            producer.cancel()
            ticker.cancel()
            hub.close(userID: user.id, id: id)
        }
        return chunks
    }

    private func run(wakeUps: AsyncStream<Void>, wake: AsyncStream<Void>.Continuation,
                     output: AsyncThrowingStream<ArraySlice<UInt8>, any Error>.Continuation) async throws {
        let userID = user.id
        var sent: Int64
        var lastWrite = ContinuousClock.now
        func send(_ text: String) -> Bool {
            lastWrite = .now
            if case .dropped = output.yield(ArraySlice(text.utf8)) {
                return false
            }
            return true
        }
        // The stream's own last word: no `id:` line, so the client's position stays the last event it got.
        func end(_ reason: String, at position: Int64) {
            let event = LiveEvent(id: position, type: EventTypes.sessionEnded, occurredAt: Date(), data: #"{"reason":"\#(reason)"}"#)
            _ = output.yield(ArraySlice("data: \(event.json)\n\n".utf8))
            output.finish()
        }

        // Where the client stands: after its position if the outbox still holds it, else at the latest
        // event after a `resync`.
        let start = try await app.db.asUser(userID) { db -> (Int64, Bool) in
            let latest = try await EventOutbox.latest(userID: userID, on: db)
            guard let position, position > 0 else { return (latest, false) }
            if position >= latest { return (position, false) }
            return try await EventOutbox.holds(position, userID: userID, on: db) ? (position, false) : (latest, true)
        }
        sent = start.0
        guard send("retry: 2000\n: connected\n\n") else { return }
        if start.1 {
            let resync = LiveEvent(id: sent, type: EventTypes.resync, occurredAt: Date(), data: "{}")
            guard send(Self.message(resync)) else { return }
        }
        wake.yield()

        for await _ in wakeUps {
            if Task.isCancelled { return }
            let now = app.clock.now()
            if now >= user.expiresAt { return end("token_expired", at: sent) }
            var delivered = 0
            while true {
                let after = sent
                let events = try await app.db.asUser(userID) { db in
                    try await EventOutbox.after(after, userID: userID, limit: Self.batch, on: db)
                }
                guard !events.isEmpty else { break }
                var text = ""
                for event in events { text += Self.message(event) }
                guard send(text) else {
                    Counter(label: "finance_event_slow_readers_total").increment()
                    return end("slow_reader", at: sent)
                }
                sent = events[events.count - 1].id
                delivered += events.count
                Counter(label: "finance_events_sent_total").increment(by: events.count)
                for event in events {
                    Timer(label: "finance_event_delivery_seconds").recordInterval(since: event.occurredAt)
                    // The session's own end, told by the write that ended it: the stream ends with it.
                    if event.type == EventTypes.sessionEnded, Self.endsSession(event, user.sessionID) {
                        output.finish()
                        return
                    }
                }
                if events.count < Self.batch { break }
            }
            // Ended some other way (the user deleted, the session expired): checked on every wake-up.
            guard try await Sessions.liveVersion(familyID: user.sessionID, userID: userID, now: now, on: app.db) != nil else {
                return end("session_ended", at: sent)
            }
            if delivered == 0, ContinuousClock.now - lastWrite >= Self.pingInterval {
                guard send(": ping\n\n") else { return end("slow_reader", at: sent) }
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

    /// One SSE message.
    static func message(_ event: LiveEvent) -> String {
        "id: \(event.id)\ndata: \(event.json)\n\n"
    }
}

extension Timer {
    /// Records the time from `start` (a wall-clock time, such as an event's) to now.
    func recordInterval(since start: Date) {
        recordNanoseconds(Int64(max(0, Date().timeIntervalSince(start)) * 1_000_000_000))
    }
}
