import FluentKit
import NIOCore
import NIOPosix
import Vapor

/// The threads SQLite's writer runs on, its own: one event loop, which also runs a group's units
/// (as their task executor), and one thread for SQLite's calls.
///
/// A write holds the file's one turn while it runs a few dozen statements, and each statement hops
/// from the writer's task to SQLite's thread and back. On the shared threads every hop queued behind
/// the readers' work (their statements, their JSON), so the turn was held mostly waiting: under 64
/// clients the writer held the turn all the time while a third of the CPU stood idle. On threads of
/// its own a hop waits for nobody.
///
/// Each application makes its own (tests run many at once, and one's large import must not hold
/// another's turn) and stops them when it shuts down, after its other parts (`Lifecycle`).
final class SQLiteWriterThreads: Sendable {
    let loop: any EventLoop
    let threadPool: NIOThreadPool
    let executor: EventLoopTaskExecutor
    private let loops: MultiThreadedEventLoopGroup

    init() {
        loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        loop = loops.next()
        threadPool = NIOThreadPool(numberOfThreads: 1)
        threadPool.start()
        executor = EventLoopTaskExecutor(loop: loop)
    }

    /// Closes the writer pool's connections, then stops the threads. Registered before the parts
    /// that write in the background, so that it runs after they stopped.
    struct Lifecycle: LifecycleHandler {
        let threads: SQLiteWriterThreads
        let database: DatabaseID

        func shutdown(_ application: Application) {
            application.databases.reinitialize(database)
            try? threads.threadPool.syncShutdownGracefully()
            try? threads.loops.syncShutdownGracefully()
        }

        func shutdownAsync(_ application: Application) async {
            application.databases.reinitialize(database)
            try? await threads.threadPool.shutdownGracefully()
            try? await threads.loops.shutdownGracefully()
        }
    }

    /// `base` (an SQLite configuration) with its connections on these threads. Asked for with
    /// `database(_:on:)` on `loop`: a connection pool serves only the loops it was made for.
    func configuration(_ base: any DatabaseConfiguration) -> any DatabaseConfiguration {
        OnWriterThreads(base: base, threads: self)
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

/// Runs a task's jobs on one event loop: code of a task that prefers it (and of the default actors
/// it calls) runs there, and a continuation that an event-loop future resumes on that loop runs
/// without waking another thread.
final class EventLoopTaskExecutor: TaskExecutor {
    let loop: any EventLoop

    init(loop: any EventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
