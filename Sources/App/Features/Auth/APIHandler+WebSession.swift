import FinanceAPI
import Fluent
import Vapor

/// Sessions for browsers: the refresh token lives in an `HttpOnly` cookie the page's code never
/// reads, scoped to these routes; the access token lives in the page's memory. A cookie goes with
/// every request the browser makes to its server, whoever's page asks, so these routes also check
/// who asked: a browser names the asking page in `Origin`.
extension APIHandler {
    func webLogin(_ input: Operations.WebLogin.Input) async throws -> Operations.WebLogin.Output {
        guard case .json(let body) = input.body else { throw APIError.malformedBody("expected JSON") }
        let request = try RequestContext.require().request
        try WebSessionCookie.checkOrigin(of: request, required: false)
        let tokens = try await signIn(email: body.email, password: body.password)
        WebSessionCookie.send(WebSessionCookie.setting(tokens.refreshToken, for: request), with: request)
        return .ok(.init(body: .json(WebSessionRepresentation.make(tokens))))
    }

    func webRefresh(_ input: Operations.WebRefresh.Input) async throws -> Operations.WebRefresh.Output {
        let request = try RequestContext.require().request
        guard let presented = WebSessionCookie.value(in: request) else {
            throw APIError(.unauthorized, code: "not_signed_in", message: "There is no session cookie; sign in.")
        }
        try WebSessionCookie.checkOrigin(of: request, required: true)
        do {
            let tokens = try await useRefreshToken(presented)
            WebSessionCookie.send(WebSessionCookie.setting(tokens.refreshToken, for: request), with: request)
            return .ok(.init(body: .json(WebSessionRepresentation.make(tokens))))
        } catch var error as APIError where error.status == .unauthorized {
            error.headers.append(("Set-Cookie", WebSessionCookie.clearing(for: request)))
            throw error
        }
    }

    func webLogout(_ input: Operations.WebLogout.Input) async throws -> Operations.WebLogout.Output {
        let request = try RequestContext.require().request
        guard let presented = WebSessionCookie.value(in: request) else {
            WebSessionCookie.send(WebSessionCookie.clearing(for: request), with: request)
            return .noContent(.init())
        }
        try WebSessionCookie.checkOrigin(of: request, required: true)
        let hash = Sessions.hashToken(presented)
        let session = try await app.db.asSystem { db in try await RefreshToken.query(on: db).filter(\.$tokenHash == hash).first() }
        if let session {
            try await endSession(session.familyID, of: session.userID, action: .logout, reason: "logout", revoking: true)
        }
        WebSessionCookie.send(WebSessionCookie.clearing(for: request), with: request)
        return .noContent(.init())
    }
}

enum WebSessionRepresentation {
    static func make(_ tokens: Sessions.Tokens) -> Components.Schemas.WebSession {
        .init(accessToken: tokens.accessToken, tokenType: .bearer, expiresIn: Int(AccessTokenClaims.lifetime))
    }
}

/// The browser's refresh cookie and the origin check of the routes that read it.
enum WebSessionCookie {
    static let name = "finance_refresh"
    static let path = "/api/v1/auth/web"

    /// The generated response types would percent-encode a header's value, so the cookie goes on
    /// the answer by `Writer`, from the request's storage.
    static func send(_ cookie: String, with request: Request) {
        request.storage[Pending.self] = cookie
    }

    private struct Pending: StorageKey { typealias Value = String }

    struct Writer: Middleware {
        func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
            next.respond(to: request).map { response in
                if let cookie = request.storage[Pending.self] { response.headers.replaceOrAdd(name: .setCookie, value: cookie) }
                return response
            }
        }
    }

    static func value(in request: Request) -> String? {
        guard let value = request.cookies[name]?.string, !value.isEmpty, value.count <= 200 else { return nil }
        return value
    }

    static func setting(_ token: String, for request: Request) -> String {
        cookie(token, maxAge: Int(Sessions.refreshLifetime), secure: isHTTPS(request))
    }

    static func clearing(for request: Request) -> String {
        cookie("", maxAge: 0, secure: isHTTPS(request))
    }

    private static func cookie(_ value: String, maxAge: Int, secure: Bool) -> String {
        "\(name)=\(value); Path=\(path); Max-Age=\(maxAge); HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }

    /// Whether the browser reached us over HTTPS: the server itself speaks plain HTTP, behind a proxy
    /// that ends TLS and says so in `X-Forwarded-Proto`.
    static func isHTTPS(_ request: Request) -> Bool {
        request.headers.first(name: "X-Forwarded-Proto")?.lowercased() == "https"
    }

    /// The origin this server is reached at by the browser: the scheme it came over and the `Host` it
    /// asked for (a proxy passes both on: `X-Forwarded-Proto` and the original `Host`).
    static func expectedOrigin(of request: Request) -> String? {
        guard let host = request.headers.first(name: .host)?.lowercased(), !host.isEmpty else { return nil }
        return (isHTTPS(request) ? "https://" : "http://") + host
    }

    /// 403 unless the request's `Origin` names this server. A browser always sends `Origin` on a
    /// `POST` from a page; other clients may leave it out where `required` is false.
    static func checkOrigin(of request: Request, required: Bool) throws {
        guard let origin = request.headers.first(name: "Origin") else {
            if required { throw forbidden("This request must come from a page of this server (it has no Origin header).") }
            return
        }
        let expected = expectedOrigin(of: request)
        guard let expected, normalized(origin) == normalized(expected) else {
            throw forbidden("This request came from another site's page (\(origin.prefix(200))).")
        }
    }

    /// An origin with its default port left out, as browsers send it.
    private static func normalized(_ origin: String) -> String {
        let lower = origin.lowercased()
        if lower.hasPrefix("http://"), lower.hasSuffix(":80") { return String(lower.dropLast(3)) }
        if lower.hasPrefix("https://"), lower.hasSuffix(":443") { return String(lower.dropLast(4)) }
        return lower
    }

    private static func forbidden(_ message: String) -> APIError {
        APIError(.forbidden, code: "cross_origin", message: message, fields: ["Origin": "does not name this server"])
    }
}
