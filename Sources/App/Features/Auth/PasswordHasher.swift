import NIOConcurrencyHelpers
import Vapor

/// bcrypt, run on the thread pool so a hash (about a quarter second at cost 12) never blocks an event loop.
struct PasswordHasher: Sendable {
    let cost: Int
    let threadPool: NIOThreadPool
    /// A real hash of a random password at the same cost, checked when an email is unknown, so that
    /// a wrong email costs the same time as a wrong password. Made once, when the server starts
    /// (`warmUp`) or at the first need: a command that never checks a password (an import, a
    /// migration) does not pay a hash at every start.
    private let decoy = NIOLockedValueBox<String?>(nil)

    init(cost: Int, threadPool: NIOThreadPool) {
        self.cost = cost
        self.threadPool = threadPool
    }

    /// The decoy hash, made now if it is not yet.
    func decoyHash() async throws -> String {
        if let made = decoy.withLockedValue({ $0 }) { return made }
        let made = try await hash(UUID().uuidString)
        return decoy.withLockedValue { kept in
            if kept == nil { kept = made }
            return kept!
        }
    }

    /// Makes the decoy before the first login needs it.
    func warmUp() async throws { _ = try await decoyHash() }

    func hash(_ password: String) async throws -> String {
        try await threadPool.runIfActive { try Bcrypt.hash(password, cost: cost) }
    }

    func verify(_ password: String, against hash: String) async throws -> Bool {
        try await threadPool.runIfActive { (try? Bcrypt.verify(password, created: hash)) ?? false }
    }
}

extension Application {
    private struct PasswordHasherKey: StorageKey { typealias Value = PasswordHasher }

    var passwordHasher: PasswordHasher {
        get { configured(PasswordHasherKey.self, "the password hasher") }
        set { storage[PasswordHasherKey.self] = newValue }
    }
}
