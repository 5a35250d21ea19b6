import Vapor

/// `finance worker`: works background jobs (syncs) without serving HTTP, until interrupted. Any
/// number of these and of `finance serve` processes can share one PostgreSQL database.
struct WorkerCommand: AsyncCommand {
    struct Signature: CommandSignature {}

    var help: String { "Works background jobs (Plaid syncs, periodic and on webhooks) without serving HTTP, until interrupted." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await DatabaseMigrations.migrate(app)
        let worker = app.startJobWorker()
        app.startEventListener()
        context.console.print("Working jobs as \(worker.name); Ctrl-C stops.")
        await ProcessSignals.untilInterrupted()
        await worker.stop()
    }
}

extension Application {
    /// Starts this process's job worker (once) with the settings' sync interval.
    @discardableResult
    func startJobWorker() -> JobWorker {
        if let running = jobWorker { return running }
        var options = JobWorker.Options()
        options.syncInterval = .seconds(settings.syncIntervalSeconds)
        let worker = JobWorker(app: self, options: options)
        jobWorker = worker
        eventHub.onJobsQueued { [weak worker] in worker?.wake() }
        worker.start()
        return worker
    }
}

/// Stops the job worker when the application shuts down, letting its running jobs end.
struct JobWorkerLifecycle: LifecycleHandler {
    func shutdownAsync(_ application: Application) async {
        await application.jobWorker?.stop()
    }
}
