import FluentKit
import NIOCore
import NIOPosix

/// The threads SQLite's writer runs on, its own: one event loop, which also runs the group commit's
/// task (as its task executor), and one thread for SQLite's calls.
///
/// A write holds the file's one turn while it runs a few dozen statements, and each statement hops
/// from the writer's task to SQLite's thread and back. On the shared threads every hop queued behind
/// the readers' work (their statements, their JSON), so the turn was held mostly waiting: under 64
/// clients the writer held the turn all the time while a third of the CPU stood idle. On threads of
/// its own a hop waits for nobody.
///
/// Made once for the process, like NIO's own singletons, and never shut down: the databases of every
/// application in the process may use it until their last moment.
final class SQLiteWriterThreads: Sendable {
    static let shared = SQLiteWriterThreads()

    let loop: any EventLoop
    let threadPool: NIOThreadPool
    let executor: EventLoopTaskExecutor

    private init() {
        loop = MultiThreadedEventLoopGroup(numberOfThreads: 1).next()
        threadPool = NIOThreadPool(numberOfThreads: 1)
        threadPool.start()
        executor = EventLoopTaskExecutor(loop: loop)
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
