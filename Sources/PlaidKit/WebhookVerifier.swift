import Crypto
import Foundation

/// Checks that a webhook came from Plaid, as Plaid specifies: the `Plaid-Verification` header is a
/// compact JWS signed with ES256 by a key Plaid serves from `/webhook_verification_key/get` (found
/// by the header's `kid`); its claims carry `iat`, which must be at most five minutes old, and the
/// SHA-256 of the raw body, compared in constant time. Anything else is refused.
public struct WebhookVerifier: Sendable {
    /// How a key is found by its id: Plaid's `/webhook_verification_key/get`, through a cache.
    public typealias KeyLookup = @Sendable (String) async throws -> JSONWebKey

    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        case missingHeader
        case malformed
        case unsupportedAlgorithm(String)
        case unknownKey
        case expiredKey
        case badSignature
        case stale
        case bodyMismatch

        public var description: String {
            switch self {
            case .missingHeader: "no Plaid-Verification header"
            case .malformed: "the Plaid-Verification header is not a compact JWS"
            case .unsupportedAlgorithm(let alg): "the token is signed with \(alg), not ES256"
            case .unknownKey: "no verification key has the token's key id"
            case .expiredKey: "the verification key has expired"
            case .badSignature: "the signature does not verify"
            case .stale: "the token was issued more than five minutes ago (or in the future)"
            case .bodyMismatch: "the body's SHA-256 is not the one signed"
            }
        }
    }

    public static let maxAge: TimeInterval = 5 * 60

    private let lookup: KeyLookup

    public init(lookup: @escaping KeyLookup) {
        self.lookup = lookup
    }

    public func verify(header: String?, body: [UInt8], now: Date = Date()) async throws(Failure) {
        guard let header, !header.isEmpty else { throw .missingHeader }
        let parts = header.split(separator: ".", omittingEmptySubsequences: false)
        // Only canonical base64url: no padding, no `+` or `/`, so one token has one spelling.
        guard parts.count == 3, !header.contains(where: { $0 == "=" || $0 == "+" || $0 == "/" }), let headerData = Self.base64URLDecode(parts[0]), let claimsData = Self.base64URLDecode(parts[1]),
              let signatureData = Self.base64URLDecode(parts[2]),
              let joseHeader = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any] else { throw .malformed }
        // The algorithm is fixed, never taken from the token: `none` and HMAC tricks end here.
        guard let alg = joseHeader["alg"] as? String else { throw .malformed }
        guard alg == "ES256" else { throw .unsupportedAlgorithm(alg) }
        guard let kid = joseHeader["kid"] as? String, (1...64).contains(kid.count),
              kid.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else { throw .malformed }

        let key: JSONWebKey
        do { key = try await lookup(kid) } catch { throw .unknownKey }
        guard key.expiredAt == nil else { throw .expiredKey }
        guard key.kty == "EC", key.crv == "P-256", let x = Self.base64URLDecode(key.x), let y = Self.base64URLDecode(key.y),
              x.count == 32, y.count == 32, let publicKey = try? P256.Signing.PublicKey(rawRepresentation: x + y) else { throw .unknownKey }
        guard let signature = try? P256.Signing.ECDSASignature(rawRepresentation: signatureData),
              publicKey.isValidSignature(signature, for: Data((parts[0] + "." + parts[1]).utf8)) else { throw .badSignature }

        guard let claims = try? JSONSerialization.jsonObject(with: claimsData) as? [String: Any],
              let issuedAt = (claims["iat"] as? NSNumber)?.doubleValue,
              let signedHash = claims["request_body_sha256"] as? String else { throw .malformed }
        let age = now.timeIntervalSince1970 - issuedAt
        guard age <= Self.maxAge, age >= -Self.maxAge else { throw .stale }
        guard Self.constantTimeEqual(Array(Self.sha256Hex(body).utf8), Array(signedHash.lowercased().utf8)) else { throw .bodyMismatch }
    }

    /// What identifies one delivery: the SHA-256 of the token's signed part (its key id, `iat` and
    /// body hash). The signature is left out: ECDSA signatures can be re-spelled without the key.
    public static func deliveryID(header: String) -> String {
        sha256Hex(Array(header.split(separator: ".", omittingEmptySubsequences: false).prefix(2).joined(separator: ".").utf8))
    }

    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// Compares every byte whatever the first difference, so the time taken tells nothing.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    static func base64URLDecode(_ text: some StringProtocol) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}

/// Webhook verification keys by id, fetched from Plaid and kept for an hour, so that a key Plaid
/// retires (`expired_at` set) stops verifying within the hour.
public actor WebhookKeyCache {
    private let client: PlaidClient
    private let lifetime: TimeInterval
    private var keys: [String: (key: JSONWebKey, fetched: Date)] = [:]

    public init(client: PlaidClient, lifetime: TimeInterval = 3600) {
        self.client = client
        self.lifetime = lifetime
    }

    public func key(id: String, now: Date = Date()) async throws -> JSONWebKey {
        if let known = keys[id], now.timeIntervalSince(known.fetched) < lifetime { return known.key }
        let key = try await client.webhookVerificationKey(id: id).key
        keys[id] = (key, now)
        return key
    }
}
