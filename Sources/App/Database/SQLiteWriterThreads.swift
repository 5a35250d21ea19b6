import FluentKit
import NIOCore
import NIOPosix
import Vapor

/// The threads SQLite's writer pool runs on, its own: one event loop for its connections and one
/// thread for SQLite's calls.
///
/// A write holds the file's one turn while it runs a few dozen statements, each a call on SQLite's
/// thread. On the shared thread pool every one of them queued behind the readers' statements, so
/// the turn was held partly waiting: under 64 clients the writer held the turn all the time while a
/// third of the CPU stood idle. On a thread of its own a statement waits for no reader.
///
/// The group's own Swift code runs on the writer's event loop too (`executor`, a task executor
/// preference): between two statements the group does not wait for a thread of Swift's shared pool,
/// where the HTTP handlers' work queues. Both threads ask to be scheduled ahead of the process's
/// other threads (`raisePriority`).
///
/// Each application makes its own (tests run many at once, and one's large import must not hold
/// another's turn) and stops them when it shuts down, after its other parts (`Lifecycle`).
final class SQLiteWriterThreads: Sendable {
    /// The writer pool's database.
    let database: DatabaseID
    let loop: any EventLoop
    let threadPool: NIOThreadPool
    private let loops: MultiThreadedEventLoopGroup
    /// Runs a task's jobs on `loop`, for `withTaskExecutorPreference`.
    let executor: LoopExecutor

    init(database: DatabaseID) {
        self.database = database
        loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        loop = loops.next()
        executor = LoopExecutor(loop: loop)
        threadPool = NIOThreadPool(numberOfThreads: 1)
        threadPool.start()
        threadPool.submit { _ in Self.raisePriority() }
        loop.execute { Self.raisePriority() }
    }

    /// Asks that the calling thread (one of the writer's two) be scheduled ahead of the process's
    /// other threads (nice -10), where the process may: as root, with `CAP_SYS_NICE`, or under a
    /// nice limit that allows it (`RLIMIT_NICE`). Every write waits for these threads; under load
    /// the HTTP handlers' threads took the CPU from them while the writer held the turn. Elsewhere
    /// they keep the process's priority. (On Linux the nice value is each thread's own, and
    /// `setpriority` with 0 names the calling thread.)
    private static func raisePriority() {
        #if os(Linux)
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, -10)
        #endif
    }

    /// Registers the writer's pool, `base` (an SQLite configuration) with its connections on these
    /// threads, and their stop. Called before the parts that write in the background are registered,
    /// so that the threads stop after them.
    func use(_ base: any DatabaseConfiguration, in app: Application) {
        app.databases.use(OnWriterThreads(base: base, threads: self), as: database, isDefault: false)
        app.lifecycle.use(Lifecycle(threads: self))
    }

    /// The writer's pool, asked for on `loop`: a connection pool serves only the loops it was made
    /// for. Nil once the application shut its databases down.
    func pool(in app: Application) -> (any Database)? {
        app.databases.database(database, logger: app.logger, on: loop)
    }

    /// Closes the writer pool's connections, then stops the threads.
    private struct Lifecycle: LifecycleHandler {
        let threads: SQLiteWriterThreads

        func shutdown(_ application: Application) {
            application.databases.reinitialize(threads.database)
            try? threads.threadPool.syncShutdownGracefully()
            try? threads.loops.syncShutdownGracefully()
        }

        func shutdownAsync(_ application: Application) async {
            application.databases.reinitialize(threads.database)
            try? await threads.threadPool.shutdownGracefully()
            try? await threads.loops.shutdownGracefully()
        }
    }

    /// A task executor that runs each job on one event loop.
    final class LoopExecutor: TaskExecutor {
        let loop: any EventLoop

        init(loop: any EventLoop) {
            self.loop = loop
        }

        func enqueue(_ job: consuming ExecutorJob) {
            let job = UnownedJob(job)
            loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
        }
    }

    private struct OnWriterThreads: DatabaseConfiguration {
        var base: any DatabaseConfiguration
        let threads: SQLiteWriterThreads

        var middleware: [any AnyModelMiddleware] {
            get { base.middleware }
            set { base.middleware = newValue }
        }

        func makeDriver(for databases: Databases) -> any DatabaseDriver {
            base.makeDriver(for: Databases(threadPool: threads.threadPool, on: threads.loop))
        }
    }
}
