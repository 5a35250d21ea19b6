import Foundation
import Logging
import Metrics
import NIOConcurrencyHelpers
import PostgresKit
import Vapor

/// The open event streams of this process, by user. A stream holds no events of its own: it is
/// woken ("poked") when the user's outbox may have grown, and reads what it has not sent from the
/// outbox. So every stream gets each event once, in order, whether it was live or reconnecting,
/// and a stream whose client reads slowly costs one pending wake-up, never a growing buffer.
///
/// Wake-ups come from this process's commits (`LedgerCommits`) and, on PostgreSQL, from every
/// process's commits through `LISTEN finance_events` on one connection of this process.
final class EventHub: Sendable {
    private struct Streams {
        var byUser: [UUID: [UUID: AsyncStream<Void>.Continuation]] = [:]
        var count = 0
        /// The task that feeds each stream, so that shutting down waits for them to stop reading the database.
        var producers: [UUID: Task<Void, Never>] = [:]
        var stopped = false
    }

    private let streams = NIOLockedValueBox(Streams())
    private let listener = NIOLockedValueBox<Task<Void, Never>?>(nil)

    /// A new stream of wake-ups for the user's events, and its continuation (to wake it for other
    /// reasons); call `close` with its id when done.
    func open(userID: UUID) -> (id: UUID, wakeUps: AsyncStream<Void>, wake: AsyncStream<Void>.Continuation) {
        let id = UUID()
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let open = streams.withLockedValue { streams in
            streams.byUser[userID, default: [:]][id] = continuation
            streams.count += 1
            return streams.count
        }
        Gauge(label: "finance_event_streams").record(open)
        return (id, stream, continuation)
    }

    /// Remembers the task feeding stream `id` (cancelled at once if the hub has stopped).
    func track(_ id: UUID, producer: Task<Void, Never>) {
        let stopped = streams.withLockedValue { streams in
            if !streams.stopped { streams.producers[id] = producer }
            return streams.stopped
        }
        if stopped { producer.cancel() }
    }

    func close(userID: UUID, id: UUID) {
        let (continuation, open) = streams.withLockedValue { streams in
            streams.producers[id] = nil
            let continuation = streams.byUser[userID]?.removeValue(forKey: id)
            if streams.byUser[userID]?.isEmpty == true { streams.byUser[userID] = nil }
            if continuation != nil { streams.count -= 1 }
            return (continuation, streams.count)
        }
        continuation?.finish()
        Gauge(label: "finance_event_streams").record(open)
    }

    /// Wakes the user's streams in this process.
    func poke(_ userID: UUID) {
        let continuations = streams.withLockedValue { $0.byUser[userID].map { Array($0.values) } ?? [] }
        for continuation in continuations { continuation.yield() }
    }

    var openStreams: Int { streams.withLockedValue { $0.count } }

    /// PostgreSQL: listens on `finance_events` until `stop`, reconnecting after a failure. Every
    /// notification names a user whose outbox grew.
    func listen(configuration: SQLPostgresConfiguration, eventLoop: any EventLoop, logger: Logger) {
        let task = Task { [weak self] in
            var attempt = 0
            while !Task.isCancelled {
                do {
                    let connection = try await PostgresConnection.connect(
                        on: eventLoop, configuration: configuration.coreConfiguration, id: 0, logger: logger)
                    attempt = 0
                    defer { Task { try? await connection.close() } }
                    let notifications = try await connection.listen(EventOutbox.channel)
                    for try await notification in notifications {
                        if let userID = UUID(uuidString: notification.payload) { self?.poke(userID) }
                    }
                } catch {
                    if Task.isCancelled { return }
                    attempt += 1
                    logger.warning("The events listener lost its connection; reconnecting", metadata: ["error": "\(error)"])
                }
                // After a lost connection, wake every stream: a notification may have been missed.
                self?.pokeAll()
                try? await Task.sleep(for: .milliseconds(min(5_000, 100 * (1 << min(attempt, 6)))))
            }
        }
        listener.withLockedValue { $0 = task }
    }

    private func pokeAll() {
        let continuations = streams.withLockedValue { $0.byUser.values.flatMap { Array($0.values) } }
        for continuation in continuations { continuation.yield() }
    }

    /// Ends the listener and every stream of this process, and waits until none reads the database.
    func stop() async {
        let listening = listener.withLockedValue { task in
            defer { task = nil }
            return task
        }
        listening?.cancel()
        let (continuations, producers) = streams.withLockedValue { streams in
            let all = streams.byUser.values.flatMap { Array($0.values) }
            let producers = Array(streams.producers.values)
            streams = Streams()
            streams.stopped = true
            return (all, producers)
        }
        for continuation in continuations { continuation.finish() }
        for producer in producers {
            producer.cancel()
            await producer.value
        }
        await listening?.value
    }
}

extension Application {
    private struct EventHubKey: StorageKey { typealias Value = EventHub }

    /// Set once by `configure`, before any request.
    var eventHub: EventHub {
        get { configured(EventHubKey.self, "the event hub") }
        set { storage[EventHubKey.self] = newValue }
    }
}

extension Application {
    /// PostgreSQL: this process hears every process's commits (`LISTEN finance_events`). SQLite has
    /// one process, whose commits wake its streams directly.
    func startEventListener() {
        guard let configuration = postgresConfiguration else { return }
        eventHub.listen(configuration: configuration, eventLoop: eventLoopGroup.any(), logger: logger)
    }
}

struct EventHubLifecycle: LifecycleHandler {
    func shutdownAsync(_ application: Application) async {
        await application.eventHub.stop()
    }
}
