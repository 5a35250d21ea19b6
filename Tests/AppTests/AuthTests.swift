@testable import App
import Foundation
import JWT
import Testing
import Vapor

@Suite("Registration, login and sessions")
struct AuthTests {
    @Test("Register, log in, read the profile, refresh, log out", arguments: TestBackend.all)
    func fullCycle(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let registered = try await client.send(.POST, "/api/v1/auth/register",
                                                   json: ["email": "Ada@Example.com", "password": "analytical engine", "full_name": "Ada Lovelace"])
            #expect(registered.status == .created)
            #expect(registered["email"] as? String == "ada@example.com")
            #expect(registered["base_currency"] as? String == "USD")
            #expect(registered.json.keys.contains { $0.contains("password") || $0.contains("hash") } == false)

            let login = try await client.send(.POST, "/api/v1/auth/login", json: ["email": "ADA@example.com", "password": "analytical engine"])
            #expect(login.status == .ok)
            #expect(login["token_type"] as? String == "bearer")
            #expect(login["expires_in"] as? Int == 900)
            let access = try #require(login["access_token"] as? String)
            let refresh = try #require(login["refresh_token"] as? String)

            let me = try await client.send(.GET, "/api/v1/users/me", token: access)
            #expect(me.status == .ok)
            #expect(me["full_name"] as? String == "Ada Lovelace")

            let refreshed = try await client.send(.POST, "/api/v1/auth/refresh", json: ["refresh_token": refresh])
            #expect(refreshed.status == .ok)
            let newAccess = try #require(refreshed["access_token"] as? String)
            let newRefresh = try #require(refreshed["refresh_token"] as? String)
            #expect(newRefresh != refresh)
            #expect(try await client.send(.GET, "/api/v1/users/me", token: newAccess).status == .ok)

            #expect(try await client.send(.POST, "/api/v1/auth/logout", token: newAccess).status == .noContent)
            #expect(try await client.send(.GET, "/api/v1/users/me", token: newAccess).status == .unauthorized)
            #expect(try await client.send(.GET, "/api/v1/users/me", token: access).status == .unauthorized)
            let afterLogout = try await client.send(.POST, "/api/v1/auth/refresh", json: ["refresh_token": newRefresh])
            #expect(afterLogout.status == .unauthorized)
            #expect(afterLogout.errorCode == "invalid_refresh_token")
        }
    }

    @Test("Registration refuses bad input with field errors, and taken emails whatever their capitals", arguments: TestBackend.all)
    func registrationRules(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            func register(_ email: String, _ password: String, currency: String? = nil) async throws -> TestClient.Reply {
                var json: [String: Any] = ["email": email, "password": password, "full_name": "X"]
                if let currency { json["base_currency"] = currency }
                return try await client.send(.POST, "/api/v1/auth/register", json: json)
            }
            let short = try await register("a@example.com", "too short")
            #expect(short.status == .unprocessableEntity)
            #expect(short.errorFields["password"]?.contains("at least 10") == true)
            let long = try await register("a@example.com", String(repeating: "x", count: 129))
            #expect(long.errorFields["password"]?.contains("at most 128") == true)
            let sameAsEmail = try await register("longname@example.com", "LongName@Example.com")
            #expect(sameAsEmail.errorFields["password"] == "must not be the email address")
            let badEmail = try await register("not-an-email", "long enough password")
            #expect(badEmail.errorFields["email"] != nil)
            let badCurrency = try await register("c@example.com", "long enough password", currency: "usd")
            #expect(badCurrency.errorFields["base_currency"] != nil)
            #expect(try await app.scalar("SELECT count(*) FROM users") == 0)

            #expect(try await register("grace@example.com", "long enough password", currency: "EUR").status == .created)
            let taken = try await register("GRACE@example.com", "another long password")
            #expect(taken.status == .conflict)
            #expect(taken.errorCode == "email_taken")
            #expect(try await app.scalar("SELECT count(*) FROM users") == 1)

            let missing = try await client.send(.POST, "/api/v1/auth/register", json: ["email": "x@example.com"])
            #expect(missing.status.code >= 400 && missing.status.code < 500)
            #expect(missing.errorCode != nil)
        }
    }

    @Test("Wrong email and wrong password get the same answer; the decoy hash costs what a real one does", arguments: TestBackend.all)
    func noEnumeration(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let user = try await client.signUp()
            let wrongPassword = try await client.send(.POST, "/api/v1/auth/login", json: ["email": user.email, "password": "wrong password!"])
            let wrongEmail = try await client.send(.POST, "/api/v1/auth/login", json: ["email": "nobody@example.com", "password": "wrong password!"])
            #expect(wrongPassword.status == .unauthorized)
            #expect(wrongEmail.status == wrongPassword.status)
            #expect(wrongEmail.errorCode == wrongPassword.errorCode)
            #expect((wrongEmail.json["error"] as? [String: Any])?["message"] as? String == (wrongPassword.json["error"] as? [String: Any])?["message"] as? String)
            #expect(try await app.passwordHasher.decoyHash().hasPrefix("$2b$04$"))
        }
    }

    @Test("The sixth failed login within 15 minutes is refused with Retry-After, even with the right password", arguments: TestBackend.all)
    func throttling(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let user = try await client.signUp()
            for _ in 0..<5 {
                let reply = try await client.send(.POST, "/api/v1/auth/login", json: ["email": user.email, "password": "wrong password!"])
                #expect(reply.status == .unauthorized)
            }
            let sixth = try await client.send(.POST, "/api/v1/auth/login", json: ["email": user.email, "password": user.password])
            #expect(sixth.status == .tooManyRequests)
            #expect(sixth.errorCode == "too_many_attempts")
            let retryAfter = try #require(sixth.headers.first(name: "Retry-After").flatMap(Int.init))
            #expect(retryAfter > 0 && retryAfter <= 900)
        }
    }

    @Test("Throttling by client address counts failures across emails, and ages out", arguments: TestBackend.all)
    func throttlingByAddress(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let now = Date()
            try await app.db.asSystem { db in
                for index in 0..<5 {
                    try await LoginThrottle.record(email: "victim\(index)@example.com", clientAddress: "203.0.113.9", succeeded: false, on: db)
                }
                let wait = try await LoginThrottle.retryAfter(email: "new@example.com", clientAddress: "203.0.113.9", on: db, now: now)
                #expect(wait != nil)
                #expect(try await LoginThrottle.retryAfter(email: "new@example.com", clientAddress: "198.51.100.1", on: db, now: now) == nil)
                // Sixteen minutes later the failures are out of the window.
                #expect(try await LoginThrottle.retryAfter(email: "new@example.com", clientAddress: "203.0.113.9", on: db,
                                                           now: now.addingTimeInterval(16 * 60)) == nil)
            }
        }
    }

    @Test("Forged, expired, unsigned and tampered access tokens are refused", arguments: TestBackend.all)
    func tokenAttacks(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let user = try await client.signUp()
            #expect(try await client.send(.GET, "/api/v1/users/me", token: user.accessToken).status == .ok)

            let parts = user.accessToken.split(separator: ".").map(String.init)
            let header = try JSONSerialization.jsonObject(with: base64URLDecode(parts[0])) as? [String: Any] ?? [:]
            var claims = try JSONSerialization.jsonObject(with: base64URLDecode(parts[1])) as? [String: Any] ?? [:]
            #expect(header["kid"] as? String == AccessTokens.keyID(for: app.secrets.jwtSigningKey))

            // Tampered payload, original signature.
            let other = try await client.signUp()
            claims["sub"] = other.id.uuidString
            let tampered = [parts[0], base64URLEncode(try JSONSerialization.data(withJSONObject: claims)), parts[2]].joined(separator: ".")
            #expect(try await client.send(.GET, "/api/v1/users/me", token: tampered).status == .unauthorized)

            // alg: none, no signature.
            let noneHeader = base64URLEncode(try JSONSerialization.data(withJSONObject: ["alg": "none", "typ": "JWT", "kid": header["kid"] ?? ""]))
            let unsigned = [noneHeader, parts[1], ""].joined(separator: ".")
            #expect(try await client.send(.GET, "/api/v1/users/me", token: unsigned).status == .unauthorized)

            // Signed with another key under our key id.
            let foreignKeys = JWTKeyCollection()
            await foreignKeys.add(hmac: HMACKey(from: String(repeating: "k", count: 48)), digestAlgorithm: .sha256,
                                  kid: JWKIdentifier(string: header["kid"] as? String ?? ""))
            let sessionID = try #require(claims["sid"] as? String)
            let forged = try await foreignKeys.sign(AccessTokenClaims(
                sub: .init(value: user.id.uuidString), sid: sessionID, iss: .init(value: AccessTokenClaims.issuer),
                iat: .init(value: Date()), exp: .init(value: Date().addingTimeInterval(600))))
            #expect(try await client.send(.GET, "/api/v1/users/me", token: forged).status == .unauthorized)

            // Our key, but expired.
            let expired = try await app.jwt.keys.sign(AccessTokenClaims(
                sub: .init(value: user.id.uuidString), sid: sessionID, iss: .init(value: AccessTokenClaims.issuer),
                iat: .init(value: Date().addingTimeInterval(-1_000)), exp: .init(value: Date().addingTimeInterval(-100))),
                kid: JWKIdentifier(string: header["kid"] as? String ?? ""))
            #expect(try await client.send(.GET, "/api/v1/users/me", token: expired).status == .unauthorized)

            // Garbage and a missing header.
            #expect(try await client.send(.GET, "/api/v1/users/me", token: "not.a.token").status == .unauthorized)
            let anonymous = try await client.send(.GET, "/api/v1/users/me")
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.errorCode == "unauthorized")
            #expect(anonymous.headers.first(name: "WWW-Authenticate") == "Bearer")
        }
    }

    @Test("Tokens signed with a rotated-out secret still verify while it is listed as previous")
    func keyRotation() async throws {
        let oldSecret = String(repeating: "o", count: 40), newSecret = String(repeating: "n", count: 40)
        let app = try await Application.make(.testing)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rotation-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        do {
        try await configure(app, settings: Settings.load(from: [
            "FINANCE_DATA_DIR": folder, "FINANCE_JWT_SECRET": newSecret, "FINANCE_JWT_PREVIOUS_SECRETS": oldSecret,
        ]))
        let oldKeys = JWTKeyCollection()
        await oldKeys.add(hmac: HMACKey(from: oldSecret), digestAlgorithm: .sha256, kid: JWKIdentifier(string: AccessTokens.keyID(for: Array(oldSecret.utf8))))
        let claims = AccessTokenClaims(sub: .init(value: UUID().uuidString), sid: UUID().uuidString, iss: .init(value: AccessTokenClaims.issuer),
                                       iat: .init(value: Date()), exp: .init(value: Date().addingTimeInterval(600)))
        let oldToken = try await oldKeys.sign(claims, kid: JWKIdentifier(string: AccessTokens.keyID(for: Array(oldSecret.utf8))))
        #expect(await AccessTokens.verify(oldToken, on: app) != nil)
        let newToken = try await AccessTokens.issue(userID: UUID(), sessionID: UUID(), on: app)
        #expect(await AccessTokens.verify(newToken, on: app) != nil)
        #expect(AccessTokens.keyID(for: Array(oldSecret.utf8)) != AccessTokens.keyID(for: Array(newSecret.utf8)))
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }

    @Test("A refresh token used twice kills its whole session", arguments: TestBackend.all)
    func refreshReuse(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let user = try await client.signUp()
            let first = try await client.send(.POST, "/api/v1/auth/refresh", json: ["refresh_token": user.refreshToken])
            #expect(first.status == .ok)
            let rotated = try #require(first["refresh_token"] as? String)
            let rotatedAccess = try #require(first["access_token"] as? String)

            // The stolen copy comes back.
            let replay = try await client.send(.POST, "/api/v1/auth/refresh", json: ["refresh_token": user.refreshToken])
            #expect(replay.status == .unauthorized)
            // Now the legitimate holder's newer tokens are dead too.
            #expect(try await client.send(.POST, "/api/v1/auth/refresh", json: ["refresh_token": rotated]).status == .unauthorized)
            #expect(try await client.send(.GET, "/api/v1/users/me", token: rotatedAccess).status == .unauthorized)
            // Both presentations of a used token (the replay, then the holder's own) were caught.
            #expect(try await app.scalar("SELECT count(*) FROM audit_events WHERE action = 'session_revoked'") == 2)
            // Refresh tokens are stored only as hashes.
            #expect(try await app.scalar("SELECT count(*) FROM refresh_tokens WHERE length(token_hash) = 32") == 2)
        }
    }

    @Test("Changing the password needs the current one and ends every other session", arguments: TestBackend.all)
    func passwordChange(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let phone = try await client.signUp(password: "first password 1")
            let laptopLogin = try await client.send(.POST, "/api/v1/auth/login", json: ["email": phone.email, "password": phone.password])
            let laptop = try #require(laptopLogin["access_token"] as? String)
            let laptopRefresh = try #require(laptopLogin["refresh_token"] as? String)

            let wrong = try await client.send(.POST, "/api/v1/users/me/password", token: phone.accessToken,
                                              json: ["current_password": "not it at all", "new_password": "second password 2"])
            #expect(wrong.status == .unprocessableEntity)
            #expect(wrong.errorFields["current_password"] != nil)
            let weak = try await client.send(.POST, "/api/v1/users/me/password", token: phone.accessToken,
                                             json: ["current_password": phone.password, "new_password": "short"])
            #expect(weak.errorFields["new_password"] != nil)

            let changed = try await client.send(.POST, "/api/v1/users/me/password", token: phone.accessToken,
                                                json: ["current_password": phone.password, "new_password": "second password 2"])
            #expect(changed.status == .noContent)
            #expect(try await client.send(.GET, "/api/v1/users/me", token: phone.accessToken).status == .ok)
            #expect(try await client.send(.GET, "/api/v1/users/me", token: laptop).status == .unauthorized)
            #expect(try await client.send(.POST, "/api/v1/auth/refresh", json: ["refresh_token": laptopRefresh]).status == .unauthorized)
            #expect(try await client.send(.POST, "/api/v1/auth/login", json: ["email": phone.email, "password": phone.password]).status == .unauthorized)
            #expect(try await client.send(.POST, "/api/v1/auth/login", json: ["email": phone.email, "password": "second password 2"]).status == .ok)
        }
    }

    @Test("Deleting the user removes them and all their data; their tokens stop working", arguments: TestBackend.all)
    func deleteUser(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let ada = try await client.signUp(), bob = try await client.signUp()
            try await RawFixtures(app: app).everything(for: ada.id)
            #expect(try await client.send(.DELETE, "/api/v1/users/me", token: ada.accessToken).status == .noContent)
            #expect(try await client.send(.GET, "/api/v1/users/me", token: ada.accessToken).status == .unauthorized)
            for table in ["users"] + UserOwnedTable.all {
                let column = table == "users" ? "id" : "user_id"
                #expect(try await app.scalar("SELECT count(*) FROM \(table) WHERE \(column) = \(RawFixtures(app: app).uuid(ada.id))") == 0, "\(table)")
            }
            #expect(try await client.send(.GET, "/api/v1/users/me", token: bob.accessToken).status == .ok)
        }
    }
}

func base64URLDecode(_ text: String) -> Data {
    var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    while base64.count % 4 != 0 { base64 += "=" }
    return Data(base64Encoded: base64) ?? Data()
}

func base64URLEncode(_ data: Data) -> String {
    data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
}
