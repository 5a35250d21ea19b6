import Crypto
import Foundation
import JWT
import Vapor

/// The claims of an access token: who (`sub`), which session (`sid`), and until when.
struct AccessTokenClaims: JWTPayload {
    static let issuer = "finance-dashboard"
    static let lifetime: TimeInterval = 15 * 60

    let sub: SubjectClaim
    let sid: String
    let iss: IssuerClaim
    let iat: IssuedAtClaim
    let exp: ExpirationClaim

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
        guard iss.value == Self.issuer else { throw JWTError.claimVerificationFailure(failedClaim: iss, reason: "wrong issuer") }
    }

    var userID: UUID? { UUID(uuidString: sub.value) }
    var sessionID: UUID? { UUID(uuidString: sid) }
}

/// Signs access tokens with the current secret and verifies them with the current or an earlier one.
/// Each secret is registered under a key id derived from it, carried in the token's `kid` header,
/// so a rotated-out secret keeps verifying the tokens it signed until they expire.
enum AccessTokens {
    static func keyID(for secret: [UInt8]) -> String {
        "hs256-" + SHA256.hash(data: secret).prefix(6).hex
    }

    static func configure(_ app: Application, current: [UInt8], previous: [[UInt8]]) async {
        for secret in previous {
            await app.jwt.keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256, kid: JWKIdentifier(string: keyID(for: secret)))
        }
        await app.jwt.keys.add(hmac: HMACKey(from: current), digestAlgorithm: .sha256, kid: JWKIdentifier(string: keyID(for: current)))
        app.storage[SigningKeyIDKey.self] = keyID(for: current)
    }

    static func issue(userID: UUID, sessionID: UUID, on app: Application, now: Date = Date()) async throws -> String {
        let claims = AccessTokenClaims(
            sub: SubjectClaim(value: userID.uuidString), sid: sessionID.uuidString, iss: IssuerClaim(value: AccessTokenClaims.issuer),
            iat: IssuedAtClaim(value: now), exp: ExpirationClaim(value: now.addingTimeInterval(AccessTokenClaims.lifetime))
        )
        let kid = app.storage[SigningKeyIDKey.self].map { JWKIdentifier(string: $0) }
        return try await app.jwt.keys.sign(claims, kid: kid)
    }

    /// The verified claims, or `nil` for any token that is not ours, is expired or was tampered with.
    static func verify(_ token: String, on app: Application) async -> AccessTokenClaims? {
        try? await app.jwt.keys.verify(token, as: AccessTokenClaims.self)
    }

    private struct SigningKeyIDKey: StorageKey { typealias Value = String }
}
