import Fluent
import Synchronization
import Vapor

/// Database handles made once, one per event loop, handed out in turn, for the statement every
/// request makes (the session check). Fluent's `app.db` makes a new handle on every call, through a
/// lock and with a copy of the logger: 3% of the CPU of a read answered from the report cache. A
/// handle holds no connection: each statement takes one from the pool of the handle's event loop.
final class SharedDatabaseHandles: Sendable {
    private let handles: [any Database]
    private let turn = Atomic<Int>(0)

    init(_ app: Application) {
        handles = app.eventLoopGroup.makeIterator().map { loop in
            app.databases.database(logger: app.logger, on: loop)!
        }
    }

    /// The next handle, the event loops taken in turn.
    var next: any Database {
        let index = turn.wrappingAdd(1, ordering: .relaxed).oldValue
        return handles[Int(UInt(bitPattern: index) % UInt(handles.count))]
    }
}

extension Application {
    private struct SharedDatabaseHandlesKey: StorageKey { typealias Value = SharedDatabaseHandles }

    /// A database handle for a session check (every request, every stream, every ticket); set once by
    /// `configure`, else Fluent's own.
    var sessionCheckDatabase: any Database {
        storage[SharedDatabaseHandlesKey.self]?.next ?? db
    }

    func makeSharedDatabaseHandles() {
        storage[SharedDatabaseHandlesKey.self] = SharedDatabaseHandles(self)
        storage[SessionChecksKey.self] = SharedChecks(label: "finance_session_checks_total")
    }

    private struct SessionChecksKey: StorageKey { typealias Value = SharedChecks<SessionCheckKey, Int64?> }

    /// The session checks of the moment, shared between the requests of one session (`Sessions.liveVersion(familyID:userID:app:)`);
    /// set once by `configure`.
    var sessionChecks: SharedChecks<SessionCheckKey, Int64?> {
        // Without `configure` (a bare application in a test), each call checks on its own.
        storage[SessionChecksKey.self] ?? SharedChecks()
    }
}
