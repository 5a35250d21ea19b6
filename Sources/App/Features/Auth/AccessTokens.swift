import Crypto
import Foundation
import JWT
import NIOConcurrencyHelpers
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
        app.storage[VerifiedTokensKey.self] = VerifiedTokens(capacity: 4_096)
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
    /// A token this process verified lately is not verified again (its signature, its JSON, a hop to
    /// the key collection's actor): a client sends the same token with every request for 15 minutes.
    /// Its expiry is checked on every use all the same, and whether its session is still alive is the
    /// caller's check, made on every request.
    static func verify(_ token: String, on app: Application) async -> AccessTokenClaims? {
        let verified = app.storage[VerifiedTokensKey.self]
        if let claims = verified?.claims(for: token) { return claims }
        guard let claims = try? await app.jwt.keys.verify(token, as: AccessTokenClaims.self) else { return nil }
        verified?.remember(token, claims)
        return claims
    }

    private struct SigningKeyIDKey: StorageKey { typealias Value = String }
    private struct VerifiedTokensKey: StorageKey { typealias Value = VerifiedTokens }
}

/// Access tokens verified lately, by their exact text (signature included), with their claims. At
/// most `capacity`: when full, the expired ones go, and if none had, all of them.
final class VerifiedTokens: Sendable {
    let capacity: Int
    private let entries = NIOLockedValueBox<[String: AccessTokenClaims]>([:])

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// The token's claims if it was verified here and has not expired since.
    func claims(for token: String, now: Date = Date()) -> AccessTokenClaims? {
        guard let claims = entries.withLockedValue({ $0[token] }), now < claims.exp.value else { return nil }
        return claims
    }

    func remember(_ token: String, _ claims: AccessTokenClaims, now: Date = Date()) {
        entries.withLockedValue { entries in
            if entries.count >= capacity {
                entries = entries.filter { now < $0.value.exp.value }
                if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            }
            entries[token] = claims
        }
    }

    var count: Int { entries.withLockedValue { $0.count } }
}
