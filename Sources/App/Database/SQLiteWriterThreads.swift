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
/// The group's own Swift code runs on SQLite's thread too (`executor`, a task executor
/// preference): between two statements the group waits neither for a thread of Swift's shared pool,
/// where the HTTP handlers' work queues, nor for another thread of its own to wake. A statement is a
/// work item queued on that thread, and the code after it is the next one: one thread runs the
/// group from its first statement to its commit.
///
/// Each application makes its own (tests run many at once, and one's large import must not hold
/// another's turn) and stops them when it shuts down, after its other parts (`Lifecycle`).
final class SQLiteWriterThreads: Sendable {
    /// The writer pool's database.
    let database: DatabaseID
    let loop: any EventLoop
    let threadPool: NIOThreadPool
    private let loops: MultiThreadedEventLoopGroup
    /// Runs a task's jobs on SQLite's thread, for `withTaskExecutorPreference`.
    let executor: PoolExecutor

    init(database: DatabaseID) {
        self.database = database
        loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        loop = loops.next()
        threadPool = NIOThreadPool(numberOfThreads: 1)
        threadPool.start()
        executor = PoolExecutor(pool: threadPool, fallback: loop)
        threadPool.submit { _ in Self.raisePriority() }
    }

    /// Asks that the calling thread (SQLite's) be scheduled ahead of the process's other threads
    /// (nice -10), where the process may: as root, or with `CAP_SYS_NICE`. Every write waits for this
    /// one thread; under load the HTTP handlers' threads took the CPU from it while it held the
    /// turn. Elsewhere the thread keeps the process's priority. (On Linux the nice value is each
    /// thread's own, and `setpriority` with 0 names the calling thread.)
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

    /// A task executor that runs each job as a work item of a one-thread pool; on `fallback` once
    /// the pool stopped taking work (as the application shuts down).
    final class PoolExecutor: TaskExecutor {
        let pool: NIOThreadPool
        let fallback: any EventLoop

        init(pool: NIOThreadPool, fallback: any EventLoop) {
            self.pool = pool
            self.fallback = fallback
        }

        func enqueue(_ job: consuming ExecutorJob) {
            let job = UnownedJob(job)
            pool.submit { state in
                guard case .active = state else {
                    return self.fallback.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
                }
                job.runSynchronously(on: self.asUnownedTaskExecutor())
            }
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
