import Vapor

/// bcrypt, run on the thread pool so a hash (about a quarter second at cost 12) never blocks an event loop.
struct PasswordHasher: Sendable {
    let cost: Int
    let threadPool: NIOThreadPool
    /// A real hash of a random password at the same cost, checked when an email is unknown, so that
    /// a wrong email costs the same time as a wrong password.
    let decoyHash: String

    init(cost: Int, threadPool: NIOThreadPool) throws {
        self.cost = cost
        self.threadPool = threadPool
        self.decoyHash = try Bcrypt.hash(UUID().uuidString, cost: cost)
    }

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
