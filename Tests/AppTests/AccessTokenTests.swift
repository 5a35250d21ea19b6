@testable import App
import Foundation
import JWT
import Testing
import Vapor

@Suite("Access tokens")
struct AccessTokenTests {
    @Test("The bearer token is read as Vapor reads it: two words apart, the scheme in any case")
    func bearerToken() {
        func token(_ value: String?) -> String? {
            var headers = HTTPHeaders()
            if let value { headers.add(name: .authorization, value: value) }
            #expect(Authentication.bearerToken(headers) == headers.bearerAuthorization?.token, "\(value ?? "none")")
            return Authentication.bearerToken(headers)
        }
        #expect(token("Bearer abc.def.ghi") == "abc.def.ghi")
        #expect(token("bearer abc") == "abc")
        #expect(token("BEARER  abc ") == "abc")
        #expect(token(nil) == nil)
        #expect(token("Basic YWxhZGRpbjpvcGVu") == nil)
        #expect(token("Bearer") == nil)
        #expect(token("Bearer a b") == nil)
        #expect(token("Bearerx abc") == nil)
        #expect(token("Bearer\u{0} abc") == nil)
        #expect(token("Béarer abc") == nil)
    }

    func claims(expiring exp: Date) -> AccessTokenClaims {
        AccessTokenClaims(sub: SubjectClaim(value: UUID().uuidString), sid: UUID().uuidString,
                          iss: IssuerClaim(value: AccessTokenClaims.issuer), iat: IssuedAtClaim(value: exp.addingTimeInterval(-900)),
                          exp: ExpirationClaim(value: exp))
    }

    @Test("A remembered token is answered until it expires, and the memory stays within its bound")
    func verifiedTokens() {
        let now = Date()
        let verified = VerifiedTokens(capacity: 3)
        let live = claims(expiring: now.addingTimeInterval(60))
        verified.remember("a", live, now: now)
        #expect(verified.claims(for: "a", now: now)?.sid == live.sid)
        #expect(verified.claims(for: "a", now: now.addingTimeInterval(61)) == nil)
        #expect(verified.claims(for: "b", now: now) == nil)

        // Full: the expired go first.
        verified.remember("b", claims(expiring: now.addingTimeInterval(1)), now: now)
        verified.remember("c", live, now: now)
        verified.remember("d", live, now: now.addingTimeInterval(2))
        #expect(verified.count == 3)
        #expect(verified.claims(for: "b", now: now) == nil)
        #expect(verified.claims(for: "a", now: now) != nil)
        // Full of live ones: everything goes.
        verified.remember("e", live, now: now.addingTimeInterval(2))
        #expect(verified.count == 1)
        #expect(verified.claims(for: "e", now: now) != nil)
    }

    @Test("A token is verified once; a changed signature is not taken for the remembered token")
    func verifiedOnce() async throws {
        try await withTestApp(.sqlite, migrate: false) { app in
            let userID = UUID(), sessionID = UUID()
            let token = try await AccessTokens.issue(userID: userID, sessionID: sessionID, on: app)
            #expect(await AccessTokens.verify(token, on: app)?.userID == userID)
            #expect(await AccessTokens.verify(token, on: app)?.sessionID == sessionID)
            var tampered = Array(token.utf8)
            tampered[tampered.count - 2] = tampered[tampered.count - 2] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            #expect(await AccessTokens.verify(String(decoding: tampered, as: UTF8.self), on: app) == nil)
            let expired = try await AccessTokens.issue(userID: userID, sessionID: sessionID, on: app, now: Date().addingTimeInterval(-3_600))
            #expect(await AccessTokens.verify(expired, on: app) == nil)
        }
    }
}
