import Crypto
import FinanceCore
import Fluent
import PostgresNIO
import SQLKit
import Vapor

/// A login session: a family of refresh tokens, each used once and replaced by the next.
/// Access tokens name their family (`sid`) and stop working when it is revoked.
enum Sessions {
    static let refreshLifetime: TimeInterval = 30 * 24 * 60 * 60

    struct Tokens: Sendable {
        let accessToken: String
        let refreshToken: String
    }

    /// Starts a new session for `userID` on `db` (a transaction of the caller's).
    static func start(userID: UUID, client: AuditContext, on db: any Database, app: Application) async throws -> Tokens {
        let familyID = UUID.timeOrdered()
        let refresh = try await createRefreshToken(userID: userID, familyID: familyID, client: client, on: db)
        return Tokens(accessToken: try await AccessTokens.issue(userID: userID, sessionID: familyID, on: app), refreshToken: refresh)
    }

    enum RefreshOutcome: Sendable {
        case rotated(Tokens, userID: UUID)
        /// The token was already used: somebody else may hold a copy, so the whole session was revoked.
        case reused(userID: UUID, familyID: UUID)
        case invalid
    }

    /// Uses a refresh token once. Whatever the outcome, its effects are committed before it is reported.
    static func refresh(_ presented: String, app: Application) async throws -> RefreshOutcome {
        let hash = hashToken(presented)
        let client = AuditContext.current(userID: nil)
        return try await app.write(as: .system) { db in
            guard let token = try await RefreshToken.query(on: db).filter(\.$tokenHash == hash).first(),
                  let tokenID = token.id else { return .invalid }
            let now = Date()
            if token.revokedAt != nil {
                try await revokeFamily(token.familyID, userID: token.userID, on: db, now: now)
                return .reused(userID: token.userID, familyID: token.familyID)
            }
            guard token.expiresAt > now,
                  let user = try await User.find(token.userID, on: db), user.isActive else { return .invalid }
            // Claim the token atomically: of two concurrent refreshes, one wins and the other sees a reuse.
            let claimed = try await db.sql.raw("""
                UPDATE refresh_tokens SET revoked_at = \(bind: now), updated_at = \(bind: now)
                WHERE id = \(bind: tokenID) AND revoked_at IS NULL RETURNING id
                """).all()
            guard claimed.count == 1 else {
                try await revokeFamily(token.familyID, userID: token.userID, on: db, now: now)
                return .reused(userID: token.userID, familyID: token.familyID)
            }
            let next = try await createRefreshToken(userID: token.userID, familyID: token.familyID, client: client, on: db)
            let access = try await AccessTokens.issue(userID: token.userID, sessionID: token.familyID, on: app)
            return .rotated(Tokens(accessToken: access, refreshToken: next), userID: token.userID)
        }
    }

    /// Whether an access token of session `familyID` still speaks for `userID`: the user is active
    /// and some token of the session's family is neither revoked nor expired. When it does, the answer
    /// is the user's data version (0 before their first change), which caches compare against; `nil`
    /// when it does not. One statement: every request asks it.
    static func liveVersion(familyID: UUID, userID: UUID, now: Date, on db: any Database) async throws -> Int64? {
        // PostgreSQL: the same query in a function that reads as the server (migration 0031), so that
        // it needs no transaction to set up row-level security; a statement each connection prepares
        // once, so that each request only binds and runs it.
        if db.engine == .postgres {
            guard let postgres = db as? any PostgresDatabase else {
                return try await db.sql.raw("SELECT finance_session_version(\(bind: userID), \(bind: familyID), \(bind: now)) AS version")
                    .first()?.decode(column: "version", as: Int64?.self)
            }
            let statement = SessionVersionStatement(userID: userID, familyID: familyID, now: now)
            let logger = db.logger
            return try await postgres.withConnection { connection in
                connection.eventLoop.makeFutureWithTask {
                    var version: Int64?
                    for try await row in try await connection.execute(statement, logger: logger) { version = row }
                    return version
                }
            }.get()
        }
        return try await db.sql.raw("""
            SELECT coalesce((SELECT d.version FROM data_versions d WHERE d.user_id = u.id), 0) AS version FROM users u
            WHERE u.id = \(bind: userID) AND u.is_active = \(bind: true) AND EXISTS (
                SELECT 1 FROM refresh_tokens r
                WHERE r.family_id = \(bind: familyID) AND r.user_id = u.id AND r.revoked_at IS NULL AND r.expires_at > \(bind: now))
            """).first()?.decode(column: "version", as: Int64.self)
    }

    /// `liveVersion` as every request asks it: the concurrent checks of one session share a
    /// statement (`SharedChecks`), each answered by a check that began after it was asked.
    static func liveVersion(familyID: UUID, userID: UUID, app: Application) async throws -> Int64? {
        try await app.sessionChecks.value(for: SessionCheckKey(userID: userID, familyID: familyID)) {
            try await liveVersion(familyID: familyID, userID: userID, now: app.clock.now(), on: app.sessionCheckDatabase)
        }
    }

    static func revokeFamily(_ familyID: UUID, userID: UUID, on db: any Database, now: Date = Date()) async throws {
        try await RefreshToken.query(on: db)
            .filter(\.$familyID == familyID).filter(\.$userID == userID).filter(\.$revokedAt == nil)
            .set(\.$revokedAt, to: now).set(\.$updatedAt, to: now)
            .update()
    }

    /// Revokes every session of the user but `kept`.
    static func revokeAll(userID: UUID, except kept: UUID?, on db: any Database, now: Date = Date()) async throws {
        var query = RefreshToken.query(on: db).filter(\.$userID == userID).filter(\.$revokedAt == nil)
        if let kept { query = query.filter(\.$familyID != kept) }
        try await query.set(\.$revokedAt, to: now).set(\.$updatedAt, to: now).update()
    }

    private static func createRefreshToken(userID: UUID, familyID: UUID, client: AuditContext, on db: any Database) async throws -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let token = Data(bytes).base64URLEncodedString
        let row = RefreshToken()
        row.id = UUID.timeOrdered()
        row.userID = userID
        row.familyID = familyID
        row.tokenHash = hashToken(token)
        row.expiresAt = Date().addingTimeInterval(refreshLifetime)
        row.userAgent = client.userAgent
        row.clientAddress = client.clientAddress
        try await row.create(on: db)
        return token
    }

    /// Only this is stored: a leaked database does not hand out sessions.
    static func hashToken(_ token: String) -> Data {
        Data(SHA256.hash(data: Data(token.utf8)))
    }
}

/// What a session check asks about: one session of one user.
struct SessionCheckKey: Hashable, Sendable {
    let userID: UUID
    let familyID: UUID
}

/// `finance_session_version` as a prepared statement: parsed and planned once per connection.
struct SessionVersionStatement: PostgresPreparedStatement {
    static let name = "finance_session_version"
    static let sql = "SELECT finance_session_version($1, $2, $3)"
    static let bindingDataTypes: [PostgresDataType] = [.uuid, .uuid, .timestamptz]

    let userID: UUID
    let familyID: UUID
    let now: Date

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 3)
        bindings.append(userID)
        bindings.append(familyID)
        bindings.append(now)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Int64? {
        try row.decode(Int64?.self)
    }
}
