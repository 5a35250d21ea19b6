import Fluent
import Vapor

/// The user an access token speaks for, and the session it belongs to.
struct AuthenticatedUser: Sendable {
    let id: UUID
    let sessionID: UUID
    /// The user's data version when the request was authenticated, before it read anything.
    let dataVersion: Int64
    /// When the access token expires.
    var expiresAt: Date = .distantFuture
}

/// Resolves the bearer token of the current request. Every operation that needs a user starts here;
/// a missing, foreign, expired or tampered token, a revoked session and a deleted or inactive user
/// all get the same 401.
enum Authentication {
    static func requireUser(_ app: Application) async throws -> AuthenticatedUser {
        let context = try RequestContext.require()
        if let cached = context.request.storage[CachedUserKey.self] { return cached }
        guard let token = bearerToken(context.request.headers),
              let claims = await AccessTokens.verify(token, on: app),
              let userID = claims.userID, let sessionID = claims.sessionID else { throw unauthorized }
        // One statement on its own, on either database, shared with the same session's requests of the moment.
        guard let version = try await Sessions.liveVersion(familyID: sessionID, userID: userID, app: app) else {
            throw unauthorized
        }
        let user = AuthenticatedUser(id: userID, sessionID: sessionID, dataVersion: version, expiresAt: claims.exp.value)
        context.request.storage[CachedUserKey.self] = user
        return user
    }

    /// The token of an `Authorization: Bearer …` header, as Vapor's `bearerAuthorization` reads it
    /// (two words apart, the scheme in any case), nil without one. Vapor splits the header by
    /// characters, a few percent of a cached read's CPU; this splits its bytes.
    static func bearerToken(_ headers: HTTPHeaders) -> String? {
        guard let value = headers.first(name: .authorization) else { return nil }
        let parts = value.utf8.split(separator: UInt8(ascii: " "))
        guard parts.count == 2, parts[0].count == 6,
              zip(parts[0], "bearer".utf8).allSatisfy({ ($0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0) == $1 }) else { return nil }
        return String(Substring(parts[1]))
    }

    /// Runs `body` for the signed-in user, in one database transaction scoped to them. A request
    /// that may write (anything but GET and HEAD) runs as one unit of work of the ledger
    /// (`LedgerWriter`); a read runs beside the writers and never waits for them.
    /// `batched`: the write reads nothing the derived tables hold, so it may share its unit of
    /// work's end with the user's other writes of the moment (see `LedgerWriter`).
    static func withUser<T: Sendable>(
        _ app: Application, batched: Bool = false, _ body: @escaping @Sendable (UserScope, AuthenticatedUser) async throws -> T
    ) async throws -> T {
        let user = try await requireUser(app)
        // Read the request's details here: task-local values do not reach into the database's transaction closure.
        let audit = AuditContext.current(userID: user.id)
        let method = RequestContext.current?.request.method
        guard method == .GET || method == .HEAD else {
            return try await app.ledger.write(for: user.id, audit: audit, batched: batched) { scope in try await body(scope, user) }
        }
        let clock = app.clock
        return try await app.db.asUser(user.id) { db in
            let scope = UserScope(userID: user.id, db: db, audit: audit, clock: clock)
            let result = try await body(scope, user)
            // A read that wrote would have skipped the unit of work and left derived tables behind.
            guard !scope.changes.hasPending else { throw APIError.internalError }
            return result
        }
    }

    /// The request acts for `user`, authenticated some other way than its bearer token (a ticket).
    static func adopt(_ user: AuthenticatedUser, for request: Request) {
        request.storage[CachedUserKey.self] = user
    }

    static let unauthorized: APIError = {
        var error = APIError(.unauthorized, code: "unauthorized", message: "A valid access token is required.")
        error.headers = [("WWW-Authenticate", "Bearer")]
        return error
    }()

    private struct CachedUserKey: StorageKey { typealias Value = AuthenticatedUser }
}

/// Enforces the document's `security` before anything else of the operation runs (its body is not
/// even decoded): an operation that requires a bearer token gets a 401 without a valid one.
struct AuthenticationGate: AsyncMiddleware {
    let protectedOperations: Set<String>

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let route = request.route, case let operation = Self.operation(route), protectedOperations.contains(operation) else {
            return try await next.respond(to: request)
        }
        guard operation == EventsEndpoint.operation else {
            _ = try await Authentication.requireUser(request.application)
            return try await next.respond(to: request)
        }
        // Opening a stream reads the database a few times and then holds nothing more. When every
        // client reconnects at once (a server restarted), they are let through a few at a time: the
        // rest wait here holding no database request, and the other routes keep their connections.
        return try await request.application.eventHub.openings.run {
            if Authentication.bearerToken(request.headers) == nil,
               let ticket = request.query[String.self, at: "ticket"] {
                // A browser's stream: a single-use ticket stands in for the header it cannot set.
                Authentication.adopt(try await EventTickets.redeem(ticket, app: request.application), for: request)
            } else {
                _ = try await Authentication.requireUser(request.application)
            }
            return try await next.respond(to: request)
        }
    }

    /// The route as the document names it: `GET /api/v1/accounts/{id}`.
    static func operation(_ route: Route) -> String {
        "\(route.method.rawValue) /" + route.path.map { component in
            if case .parameter(let name) = component { return "{\(name)}" }
            return component.description
        }.joined(separator: "/")
    }
}
