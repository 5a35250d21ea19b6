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
/// Wake-ups come from this process's commits (`LedgerCommits`), on PostgreSQL from every process's
/// commits through `LISTEN finance_events` on one connection of this process, and from one ticker
/// every `pingInterval` (streams ping, and notice an expired token or a deleted user). A user's
/// streams in this process share their reads of the outbox: one read per wake-up of the user.
final class EventHub: Sendable {
    private struct Streams {
        var byUser: [UUID: [UUID: AsyncStream<Void>.Continuation]] = [:]
        var count = 0
        /// The task that feeds each stream, so that shutting down waits for them to stop reading the database.
        var producers: [UUID: Task<Void, Never>] = [:]
        /// Each user's latest wake-up, numbered from one counter for the whole hub that never goes back
        /// (`counter`): a read of their outbox started at or after wake-up N serves every stream woken
        /// by it. A stream that opens counts as a wake-up, so it never takes a read from before it.
        var generations: [UUID: UInt64] = [:]
        var counter: UInt64 = 0
        /// The last read of each user's outbox, started at `generation`: the events after `after` (all
        /// of them when `complete`), or the read still under way.
        var reads: [UUID: (generation: UInt64, after: Int64, read: Task<[LiveEvent], any Error>)] = [:]
        /// The last check of each session of each user, shared the same way by the session's streams.
        var sessions: [UUID: [UUID: (generation: UInt64, check: Task<Bool, any Error>)]] = [:]
        var stopped = false
    }

    private let streams = NIOLockedValueBox(Streams())

    /// Counts a wake-up of the user's streams (inside the lock).
    private static func woke(_ userID: UUID, _ streams: inout Streams) {
        streams.counter += 1
        streams.generations[userID] = streams.counter
    }
    private let listener = NIOLockedValueBox<Task<Void, Never>?>(nil)
    private let listening = NIOLockedValueBox(false)
    private let ticker = NIOLockedValueBox<Task<Void, Never>?>(nil)
    /// Who wants to hear that jobs were queued (this process's job worker).
    private let jobObservers = NIOLockedValueBox<[@Sendable () -> Void]>([])
    let pingInterval: Duration
    /// Streams being opened (authenticated, placed in the outbox) at once; the others wait their turn.
    let openings: AdmissionGate

    init(pingInterval: Duration = .seconds(15), openingsAtOnce: Int = 4) {
        self.pingInterval = pingInterval
        self.openings = AdmissionGate(limit: openingsAtOnce)
    }

    /// A new stream of wake-ups for the user's events, and its continuation (to wake it for other
    /// reasons); call `close` with its id when done.
    func open(userID: UUID) -> (id: UUID, wakeUps: AsyncStream<Void>, wake: AsyncStream<Void>.Continuation) {
        let id = UUID()
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let open: Int? = streams.withLockedValue { streams in
            guard !streams.stopped else { return nil }
            streams.byUser[userID, default: [:]][id] = continuation
            streams.count += 1
            Self.woke(userID, &streams)
            return streams.count
        }
        guard let open else {
            // Shutting down: the stream ends at once.
            continuation.finish()
            return (id, stream, continuation)
        }
        Gauge(label: "finance_event_streams").record(open)
        startTicker()
        return (id, stream, continuation)
    }

    /// The ticker's rounds in one `pingInterval`: each wakes the users of one slot.
    static let tickSlots = 16

    /// One task wakes every stream every `pingInterval`, rather than a timer per stream, and a
    /// sixteenth of the users at a time: all at once, each user's read of the outbox and session
    /// check came together, and a delivery that fell among them waited behind a few hundred statements.
    private func startTicker() {
        ticker.withLockedValue { ticker in
            guard ticker == nil, !streams.withLockedValue({ $0.stopped }) else { return }
            let interval = pingInterval / Self.tickSlots
            ticker = Task { [weak self] in
                var slot = 0
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    self?.pokeAll(slot: slot)
                    slot = (slot + 1) % Self.tickSlots
                }
            }
        }
    }

    /// The ticker's slot of a user, the same for every round of this process.
    static func tickSlot(of userID: UUID) -> Int {
        Int(userID.uuid.15) % tickSlots
    }

    /// The user's events after `position`, at most `limit`, as of their latest wake-up: from the
    /// read another of their streams started since (awaited if still under way), or else read now
    /// (with `read`) and shared with the others. A shared read serves a stream further on only when
    /// it holds everything after that stream's position, so a short answer always means caught up.
    func events(of userID: UUID, after position: Int64, limit: Int,
                read: @escaping @Sendable (Int64) async throws -> [LiveEvent]) async throws -> [LiveEvent] {
        let (shared, mine): (Task<[LiveEvent], any Error>, Bool) = streams.withLockedValue { streams in
            let current = streams.generations[userID, default: 0]
            if let last = streams.reads[userID], last.generation >= current, last.after <= position {
                return (last.read, last.after == position)
            }
            let started = Task { try await read(position) }
            if streams.byUser[userID] != nil { streams.reads[userID] = (current, position, started) }
            return (started, true)
        }
        let events = try await shared.value
        if mine { return events }
        // Another stream's read, from an earlier position: whole only if it did not stop at its limit.
        let after = events.filter { $0.id > position }
        if events.count < limit || after.count >= limit { return Array(after.prefix(limit)) }
        return try await read(position)
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
            if streams.byUser[userID]?.isEmpty == true {
                streams.byUser[userID] = nil
                streams.reads[userID] = nil
                streams.sessions[userID] = nil
                streams.generations[userID] = nil
            }
            if continuation != nil { streams.count -= 1 }
            return (continuation, streams.count)
        }
        continuation?.finish()
        Gauge(label: "finance_event_streams").record(open)
    }

    /// Wakes the user's streams in this process.
    /// Whether the session is alive: from a check another of its streams made since the user's last
    /// wake-up, or else checked now (with `check`) and kept for the others.
    func sessionAlive(_ sessionID: UUID, of userID: UUID, check: @escaping @Sendable () async throws -> Bool) async throws -> Bool {
        let shared: Task<Bool, any Error> = streams.withLockedValue { streams in
            let current = streams.generations[userID, default: 0]
            if let last = streams.sessions[userID]?[sessionID], last.generation >= current { return last.check }
            let started = Task { try await check() }
            if streams.byUser[userID] != nil { streams.sessions[userID, default: [:]][sessionID] = (current, started) }
            return started
        }
        return try await shared.value
    }

    func poke(_ userID: UUID) {
        let continuations = streams.withLockedValue { streams in
            guard let open = streams.byUser[userID] else { return [AsyncStream<Void>.Continuation]() }
            Self.woke(userID, &streams)
            return Array(open.values)
        }
        for continuation in continuations { continuation.yield() }
    }

    var openStreams: Int { streams.withLockedValue { $0.count } }

    /// PostgreSQL: whether the listener is listening now.
    var isListening: Bool { listening.withLockedValue { $0 } }

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
                    self?.listening.withLockedValue { $0 = true }
                    defer { self?.listening.withLockedValue { $0 = false } }
                    // Listening: whatever was notified while it was not is read now.
                    self?.pokeAll()
                    self?.jobsQueued()
                    for try await notification in notifications {
                        if notification.payload == EventOutbox.jobsQueued {
                            self?.jobsQueued()
                        } else if let userID = UUID(uuidString: notification.payload) {
                            self?.poke(userID)
                        }
                    }
                } catch {
                    if Task.isCancelled { return }
                    attempt += 1
                    logger.warning("The events listener lost its connection; reconnecting", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: .milliseconds(min(5_000, 100 * (1 << min(attempt, 6)))))
            }
        }
        listener.withLockedValue { $0 = task }
    }

    /// Calls `observer` whenever jobs were queued, in this process or (on PostgreSQL) in any other.
    func onJobsQueued(_ observer: @escaping @Sendable () -> Void) {
        jobObservers.withLockedValue { $0.append(observer) }
    }

    /// Jobs were queued and committed: the job worker looks for them now rather than at its next poll.
    func jobsQueued() {
        for observer in jobObservers.withLockedValue({ $0 }) { observer() }
    }

    /// Wakes every stream (`slot` nil), or those of the users in one of the ticker's slots.
    func pokeAll(slot: Int? = nil) {
        let continuations = streams.withLockedValue { streams in
            var woken: [AsyncStream<Void>.Continuation] = []
            for (user, open) in streams.byUser where slot == nil || Self.tickSlot(of: user) == slot {
                Self.woke(user, &streams)
                woken.append(contentsOf: open.values)
            }
            return woken
        }
        for continuation in continuations { continuation.yield() }
    }

    /// Ends the listener and every stream of this process, and waits until none reads the database.
    func stop() async {
        let listening = listener.withLockedValue { task in
            defer { task = nil }
            return task
        }
        listening?.cancel()
        ticker.withLockedValue { ticker in
            ticker?.cancel()
            ticker = nil
        }
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
