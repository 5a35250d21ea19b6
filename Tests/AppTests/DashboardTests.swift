@testable import App
import Foundation
import Testing
import Vapor

@Suite("The web dashboard: its files, its headers and its cookie session")
struct DashboardTests {
    static let host = "127.0.0.1:8080"
    static let origin = "http://127.0.0.1:8080"

    /// The cookie's value in a `Set-Cookie` answer, and its attributes.
    static func cookie(_ reply: TestClient.Reply) throws -> (value: String, attributes: [String]) {
        let header = try #require(reply.headers.first(name: .setCookie), "no Set-Cookie in \(reply.status)")
        let parts = header.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        let pair = try #require(parts.first?.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false))
        #expect(pair.first == "finance_refresh")
        return (pair.count > 1 ? String(pair[1]) : "", Array(parts.dropFirst()))
    }

    static func browser(cookie: String? = nil, origin: String? = Self.origin, extra: [(String, String)] = []) -> [(String, String)] {
        var headers = [("Host", host)] + extra
        if let origin { headers.append(("Origin", origin)) }
        if let cookie { headers.append(("Cookie", "finance_refresh=\(cookie)")) }
        return headers
    }

    @Test("A browser signs in with a cookie it cannot read, refreshes once per cookie, and signs out", arguments: TestBackend.all)
    func cookieSession(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let user = try await client.signUp()
            let login = try await client.send(.POST, "/api/v1/auth/web/login", json: ["email": user.email, "password": user.password],
                                              headers: Self.browser())
            #expect(login.status == .ok)
            #expect(login["refresh_token"] == nil, "the page's code never sees the refresh token")
            let access = try #require(login["access_token"] as? String)
            let first = try Self.cookie(login)
            #expect(first.value.count >= 40)
            #expect(Set(first.attributes) == ["Path=/api/v1/auth/web", "Max-Age=2592000", "HttpOnly", "SameSite=Strict"])
            #expect(try await client.send(.GET, "/api/v1/users/me", token: access).status == .ok)

            // Another site's page, or no page at all, cannot spend the cookie; it still works after.
            let foreign = try await client.send(.POST, "/api/v1/auth/web/refresh", headers: Self.browser(cookie: first.value, origin: "http://evil.example"))
            #expect(foreign.status == .forbidden)
            #expect(foreign.errorCode == "cross_origin")
            #expect(foreign.errorFields["Origin"] != nil)
            let otherPort = try await client.send(.POST, "/api/v1/auth/web/refresh", headers: Self.browser(cookie: first.value, origin: "http://127.0.0.1:9999"))
            #expect(otherPort.status == .forbidden)
            let bare = try await client.send(.POST, "/api/v1/auth/web/refresh", headers: Self.browser(cookie: first.value, origin: nil))
            #expect(bare.status == .forbidden)

            let refreshed = try await client.send(.POST, "/api/v1/auth/web/refresh", headers: Self.browser(cookie: first.value))
            #expect(refreshed.status == .ok)
            let second = try Self.cookie(refreshed)
            #expect(second.value != first.value)
            let renewed = try #require(refreshed["access_token"] as? String)
            #expect(try await client.send(.GET, "/api/v1/users/me", token: renewed).status == .ok)

            // A cookie used twice means a copy exists: the session ends, and the cookie is cleared.
            let replay = try await client.send(.POST, "/api/v1/auth/web/refresh", headers: Self.browser(cookie: first.value))
            #expect(replay.status == .unauthorized)
            #expect(try Self.cookie(replay).attributes.contains("Max-Age=0"))
            #expect(try await client.send(.GET, "/api/v1/users/me", token: renewed).status == .unauthorized)

            // A fresh sign-in, then out: the session ends and the cookie goes.
            let again = try await client.send(.POST, "/api/v1/auth/web/login", json: ["email": user.email, "password": user.password],
                                              headers: Self.browser())
            let third = try Self.cookie(again).value
            let token = try #require(again["access_token"] as? String)
            let out = try await client.send(.POST, "/api/v1/auth/web/logout", headers: Self.browser(cookie: third))
            #expect(out.status == .noContent)
            #expect(try Self.cookie(out) == ("", ["Path=/api/v1/auth/web", "Max-Age=0", "HttpOnly", "SameSite=Strict"]))
            #expect(try await client.send(.GET, "/api/v1/users/me", token: token).status == .unauthorized)
            let afterwards = try await client.send(.POST, "/api/v1/auth/web/refresh", headers: Self.browser(cookie: third))
            #expect(afterwards.status == .unauthorized)
            let trail = try await client.send(.GET, "/api/v1/audit-events?limit=50", token: user.accessToken)
            let actions = (trail["items"] as? [[String: Any]] ?? []).compactMap { $0["action"] as? String }
            #expect(actions.filter { $0 == "logout" }.count == 1)
            #expect(actions.contains("session_revoked"))

            // No cookie: 401 to refresh, and signing out is already done.
            let none = try await client.send(.POST, "/api/v1/auth/web/refresh", headers: Self.browser())
            #expect(none.status == .unauthorized)
            #expect(none.errorCode == "not_signed_in")
            #expect(try await client.send(.POST, "/api/v1/auth/web/logout", headers: Self.browser()).status == .noContent)
        }
    }

    @Test("Behind a TLS proxy the cookie is Secure and browsers are told to keep to HTTPS; a wrong password sets no cookie")
    func behindTLSProxy() async throws {
        try await withTestApp(.sqlite) { app in
            let client = TestClient(app: app)
            let user = try await client.signUp()
            let proxied = Self.browser(origin: "https://127.0.0.1:8080", extra: [("X-Forwarded-Proto", "https")])
            let login = try await client.send(.POST, "/api/v1/auth/web/login", json: ["email": user.email, "password": user.password],
                                              headers: proxied)
            #expect(login.status == .ok)
            #expect(try Self.cookie(login).attributes.contains("Secure"))
            #expect(login.headers.first(name: .strictTransportSecurity) == "max-age=31536000")
            // The page said http while the proxy says https: not this server's page.
            let mixed = try await client.send(.POST, "/api/v1/auth/web/login", json: ["email": user.email, "password": user.password],
                                              headers: Self.browser(extra: [("X-Forwarded-Proto", "https")]))
            #expect(mixed.status == .forbidden)
            let wrong = try await client.send(.POST, "/api/v1/auth/web/login", json: ["email": user.email, "password": "not the password"],
                                              headers: Self.browser())
            #expect(wrong.status == .unauthorized)
            #expect(wrong.headers.first(name: .setCookie) == nil)
            // A client that is not a browser sends no Origin, and may sign in this way too.
            let script = try await client.send(.POST, "/api/v1/auth/web/login", json: ["email": user.email, "password": user.password],
                                               headers: [("Host", Self.host)])
            #expect(script.status == .ok)
        }
    }

    @Test("Signing out everywhere ends every session of the user, and only theirs", arguments: TestBackend.all)
    func logoutEverywhere(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let user = try await client.signUp()
            let other = try await client.signUp()
            let browser = try await client.send(.POST, "/api/v1/auth/web/login", json: ["email": user.email, "password": user.password],
                                                headers: Self.browser())
            let browserToken = try #require(browser["access_token"] as? String)
            #expect(try await client.send(.POST, "/api/v1/auth/logout-all", token: user.accessToken).status == .noContent)
            #expect(try await client.send(.GET, "/api/v1/users/me", token: user.accessToken).status == .unauthorized)
            #expect(try await client.send(.GET, "/api/v1/users/me", token: browserToken).status == .unauthorized)
            let cookie = try Self.cookie(browser).value
            #expect(try await client.send(.POST, "/api/v1/auth/web/refresh", headers: Self.browser(cookie: cookie)).status == .unauthorized)
            #expect(try await client.send(.POST, "/api/v1/auth/refresh", json: ["refresh_token": user.refreshToken]).status == .unauthorized)
            #expect(try await client.send(.GET, "/api/v1/users/me", token: other.accessToken).status == .ok)
        }
    }

    @Test("The page is served at / and at each of its routes, its files with an ETag, under a strict CSP")
    func servesThePage() async throws {
        try await withTestApp(.sqlite) { app in
            let client = TestClient(app: app)
            let page = try await client.send(.GET, "/")
            #expect(page.status == .ok)
            #expect(page.headers.contentType?.description.hasPrefix("text/html") == true)
            #expect(page.text.contains(#"<script type="module" src="/app/main.js"></script>"#))
            let csp = try #require(page.headers.first(name: "Content-Security-Policy"))
            for directive in ["default-src 'self'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"] {
                #expect(csp.contains(directive))
            }
            #expect(!csp.contains("unsafe"))
            #expect(page.headers.first(name: "X-Content-Type-Options") == "nosniff")
            #expect(page.headers.first(name: "X-Frame-Options") == "DENY")
            for route in ["/signin", "/accounts", "/accounts/\(UUID())", "/transactions", "/investments", "/banks", "/rules", "/settings"] {
                let other = try await client.send(.GET, route)
                #expect(other.status == .ok, "\(route)")
                #expect(other.text == page.text, "\(route)")
            }
            let module = try await client.send(.GET, "/app/main.js")
            #expect(module.status == .ok)
            #expect(module.headers.contentType?.description.hasPrefix("text/javascript") == true)
            let tag = try #require(module.headers.first(name: .eTag))
            #expect(module.headers.first(name: .cacheControl) == "no-cache")
            let again = try await client.send(.GET, "/app/main.js", headers: [("If-None-Match", tag)])
            #expect(again.status == .notModified)
            #expect(again.text.isEmpty)
            #expect(try await client.send(.GET, "/app/styles.css").headers.contentType?.description.hasPrefix("text/css") == true)
            // Nothing outside the folder, nothing that is not there, and API errors keep their shape.
            for path in ["/app/../Package.swift", "/app/%2e%2e/Package.swift", "/app/nothing.js", "/app/", "/nowhere"] {
                let missing = try await client.send(.GET, path)
                #expect(missing.status == .notFound, "\(path)")
                #expect(missing.errorCode == "not_found", "\(path)")
            }
            // The API reference keeps to the same policy: its styles are a file.
            let docs = try await client.send(.GET, "/docs")
            #expect(!docs.text.contains("<style") && docs.text.contains("/app/docs.css"))
            #expect(try await client.send(.GET, "/app/docs.css").status == .ok)
        }
    }

    /// The promise the policy makes, checked on the files themselves: the browser suite checks the
    /// same in a real browser (no violation reported, no request leaving the origin).
    @Test("The page's files hold no inline code or style, fetch nothing from elsewhere, and weigh at most 150 KB")
    func filesKeepThePolicy() throws {
        let files = try DashboardFiles.read(folder: try #require(DashboardFiles.bundledFolder))
        #expect(files["index.html"] != nil)
        var total = 0
        for (path, file) in files {
            let text = try #require(String(data: file.body, encoding: .utf8), "\(path)")
            total += file.body.count
            if path.hasSuffix(".html") {
                #expect(!text.contains("<style"), "\(path)")
                #expect(!text.contains("style="), "\(path)")
                for script in text.components(separatedBy: "<script").dropFirst() {
                    #expect(script.prefix(while: { $0 != ">" }).contains("src="), "an inline script in \(path)")
                }
                #expect(text.range(of: #"\son[a-z]+="#, options: .regularExpression) == nil, "an inline handler in \(path)")
            }
            if path.hasSuffix(".js") {
                for banned in ["eval(", "new Function", "setAttribute('style'", "setAttribute(\"style\"", "document.write"] {
                    #expect(!text.contains(banned), "\(banned) in \(path)")
                }
            }
            // Only the SVG namespace may name another origin, and it is not fetched.
            let urls = text.matches(of: /https?:\/\/[A-Za-z0-9.\-]+/).map { String($0.output) }
            #expect(urls.allSatisfy { $0 == "http://www.w3.org" }, "\(path): \(urls)")
        }
        #expect(total - (files["app/docs.css"]?.body.count ?? 0) == (try DashboardFiles(root: nil)).totalBytes)
        #expect((try DashboardFiles(root: nil)).totalBytes <= 150 * 1024, "\(total) bytes")
    }
}
