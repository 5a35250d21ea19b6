import Fluent
import NIOConcurrencyHelpers
import Foundation
import PlaidKit
import Vapor

/// Works the job queue inside a server process (or alone, `finance worker`): claims due jobs, runs
/// each with a time limit, retries failures with backoff, and every `syncInterval` queues the
/// periodic syncs. Several processes on one PostgreSQL share the queue; on SQLite one process works it.
final class JobWorker: Sendable {
    struct Options: Sendable {
        /// How long a claim holds without being renewed: a job whose process died is due again
        /// for any worker this long after its last renewal.
        var lease: Duration = .seconds(60)
        /// How long one job may run before it is given up (its task cancelled) and retried.
        var timeLimit: Duration = .seconds(600)
        /// How often an idle worker looks for due jobs. It also wakes when jobs are queued: in its
        /// own process, and on PostgreSQL in any other (NOTIFY).
        var pollInterval: Duration = .seconds(10)
        /// How often each connection is synced without a webhook asking.
        var syncInterval: Duration = .seconds(6 * 3600)
        /// Jobs claimed at once.
        var batch = 4
    }

    let app: Application
    let name: String
    let options: Options
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)
    /// The worker's current wait between polls, and whether a wake-up came while it was not waiting.
    private let nap = NIOLockedValueBox<(task: Task<Void, Never>?, woken: Bool)>((nil, false))

    init(app: Application, options: Options, name: String = JobWorker.defaultName()) {
        self.app = app
        self.options = options
        self.name = name
    }

    /// `host:pid:random`, unique among the processes sharing the queue.
    static func defaultName() -> String {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(UUID().uuidString.prefix(8))"
    }

    func start() {
        task.withLockedValue { task in
            guard task == nil else { return }
            task = Task { [self] in await self.loop() }
        }
    }

    /// Whether the worker is waiting for its next poll (or a wake-up).
    var isIdle: Bool { nap.withLockedValue { $0.task != nil } }

    /// Jobs were queued: look for them now.
    func wake() {
        let waiting = nap.withLockedValue { nap in
            nap.woken = true
            return nap.task
        }
        waiting?.cancel()
    }

    /// Waits `duration`, or less if `wake` is called meanwhile (or was since the last wait).
    private func idle(for duration: Duration) async {
        let sleeping = Task<Void, Never> { _ = try? await Task.sleep(for: duration) }
        let woken = nap.withLockedValue { nap in
            nap.task = sleeping
            defer { nap.woken = false }
            return nap.woken
        }
        if woken { sleeping.cancel() }
        await withTaskCancellationHandler { await sleeping.value } onCancel: { sleeping.cancel() }
        nap.withLockedValue { $0.task = nil }
    }

    func stop() async {
        let running = task.withLockedValue { task in
            defer { task = nil }
            return task
        }
        running?.cancel()
        await running?.value
    }

    private func loop() async {
        let queue = JobQueue(app: app)
        var nextSchedule = ContinuousClock.now
        while !Task.isCancelled {
            do {
                if ContinuousClock.now >= nextSchedule {
                    nextSchedule = ContinuousClock.now + options.syncInterval / 10
                    try await queue.failAbandoned()
                    let queued = try await queue.scheduleSyncs(every: options.syncInterval)
                    if queued > 0 { app.logger.info("Queued periodic syncs", metadata: ["count": "\(queued)"]) }
                }
                let jobs = try await queue.claim(worker: name, limit: options.batch, lease: options.lease)
                if jobs.isEmpty {
                    await idle(for: options.pollInterval)
                    try Task.checkCancellation()
                    continue
                }
                await withTaskGroup(of: Void.self) { group in
                    for job in jobs { group.addTask { await self.work(job, queue: queue) } }
                }
            } catch is CancellationError {
                return
            } catch {
                app.logger.error("Job queue unavailable", metadata: ["error": "\(String(reflecting: error))"])
                try? await Task.sleep(for: options.pollInterval * 5)
            }
        }
    }

    /// Runs one job, holding its lease while it runs (up to the time limit), and records how it ended.
    func work(_ job: ClaimedJob, queue: JobQueue) async {
        let logger = app.logger
        let (lease, name) = (options.lease, self.name)
        let heartbeat = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: lease / 3)
                guard !Task.isCancelled else { return }
                _ = try? await queue.renew(job, worker: name, lease: lease)
            }
        }
        defer { heartbeat.cancel() }
        do {
            try await withTimeLimit(options.timeLimit) { try await self.run(job) }
            try await queue.complete(job, worker: name)
            AppMetrics.recordJob(kind: job.kind.rawValue, outcome: "succeeded")
        } catch {
            let (message, retry) = Self.describe(error)
            logger.warning("Job failed", metadata: ["job": "\(job.id)", "kind": "\(job.kind.rawValue)", "attempt": "\(job.attempts)", "error": "\(message)"])
            try? await queue.fail(job, worker: name, error: message, retry: retry)
            AppMetrics.recordJob(kind: job.kind.rawValue, outcome: retry && job.attempts < job.maxAttempts ? "retrying" : "failed")
            // A sync past its time limit may yet have committed: the next attempt finds out.
            if job.kind == .syncConnection, !(error is TimeLimitExceeded) { await recordOnConnection(job, message: message) }
        }
    }

    private func run(_ job: ClaimedJob) async throws {
        switch job.kind {
        case .syncConnection:
            guard let connection = job.payload["connection_id"].flatMap(UUID.init(uuidString:)),
                  let user = job.payload["user_id"].flatMap(UUID.init(uuidString:)) else {
                throw JobFailure(message: "the job names no connection", retry: false)
            }
            let plaid = try app.requirePlaid()
            let audit = AuditContext(userID: user, requestID: "job-\(job.id)", clientAddress: nil)
            do {
                _ = try await ConnectionSync(app: app, plaid: plaid).run(connectionID: connection, userID: user, audit: audit)
            } catch SyncError.overtaken {
                // Another sync of the connection finished first, bringing what this one would have.
                return
            } catch let error as SyncError {
                // A connection gone, disabled or waiting for the person to log in is not retried:
                // its state says why; a webhook or the person brings it back.
                throw JobFailure(message: error.description, retry: !error.waitsForThePerson)
            }
        }
    }

    /// A sync that failed for a reason of its own (a time limit, the database) is named on its
    /// connection; Plaid's errors are recorded there by the sync itself.
    private func recordOnConnection(_ job: ClaimedJob, message: String) async {
        guard let connection = job.payload["connection_id"].flatMap(UUID.init(uuidString:)),
              let user = job.payload["user_id"].flatMap(UUID.init(uuidString:)) else { return }
        _ = try? await app.ledger.write(for: user, audit: AuditContext(userID: user, requestID: nil, clientAddress: nil)) { scope in
            guard let row = try await PlaidConnection.query(on: scope.db).filter(\.$id == connection).first(), row.status == .healthy else { return }
            row.status = .error
            row.errorCode = "SYNC_FAILED"
            row.errorMessage = String(message.prefix(2000))
            row.lastAttemptedAt = scope.now
            try await row.update(on: scope.db)
            scope.changes.touched("connection")
        }
    }

    static func describe(_ error: any Error) -> (String, Bool) {
        switch error {
        case let failure as JobFailure: (failure.message, failure.retry)
        case is TimeLimitExceeded: ("the job ran out of its time limit", true)
        case let api as APIError: ("\(api.code): \(api.message)", true)
        // The database's own description (its message and the statement), for the log and the job row.
        default: (String(reflecting: error), true)
        }
    }
}

struct JobFailure: Error {
    let message: String
    let retry: Bool
}

struct TimeLimitExceeded: Error {}

/// Runs `body`, cancelling it and throwing `TimeLimitExceeded` if it takes longer than `limit`.
func withTimeLimit<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw TimeLimitExceeded() }
        return value
    }
}

extension Application {
    private struct WorkerKey: StorageKey { typealias Value = JobWorker }

    /// The worker of this process, when it runs one.
    var jobWorker: JobWorker? {
        get { storage[WorkerKey.self] }
        set { storage[WorkerKey.self] = newValue }
    }
}
