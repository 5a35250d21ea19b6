import Crypto
import Foundation
@testable import PlaidKit
import Testing

@Suite("Webhook verification")
struct WebhookVerifierTests {
    static let privateKey = P256.Signing.PrivateKey()
    static let kid = "6c5516e1-92dc-479e-a8ff-5a51992e0001"

    static func base64URL<Bytes: DataProtocol>(_ bytes: Bytes) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func jwk(_ key: P256.Signing.PrivateKey = privateKey, kid: String = kid, expiredAt: Int? = nil) -> JSONWebKey {
        let raw = key.publicKey.rawRepresentation
        return JSONWebKey(alg: "ES256", kty: "EC", crv: "P-256", kid: kid, use: "sig", x: base64URL(raw.prefix(32)),
                          y: base64URL(raw.suffix(32)), createdAt: 1_700_000_000, expiredAt: expiredAt)
    }

    /// A `Plaid-Verification` header as Plaid makes one.
    static func header(body: [UInt8], iat: Date = Date(), alg: String = "ES256", key: P256.Signing.PrivateKey = privateKey) throws -> String {
        let joseHeader = #"{"alg":"\#(alg)","kid":"\#(kid)","typ":"JWT"}"#
        let claims = #"{"iat":\#(Int(iat.timeIntervalSince1970)),"request_body_sha256":"\#(WebhookVerifier.sha256Hex(body))"}"#
        let input = base64URL(Data(joseHeader.utf8)) + "." + base64URL(Data(claims.utf8))
        return input + "." + base64URL(try key.signature(for: Data(input.utf8)).rawRepresentation)
    }

    static let body = Array("""
        {
          "environment": "sandbox",
          "item_id": "item-1",
          "webhook_code": "SYNC_UPDATES_AVAILABLE",
          "webhook_type": "TRANSACTIONS"
        }
        """.utf8)

    func verifier(_ key: JSONWebKey = jwk()) -> WebhookVerifier {
        WebhookVerifier { id in
            guard id == key.kid else { throw PlaidClientError.unexpectedStatus(400) }
            return key
        }
    }

    func refusal(_ header: String?, body: [UInt8] = body, key: JSONWebKey = jwk()) async -> WebhookVerifier.Failure? {
        do {
            try await verifier(key).verify(header: header, body: body)
            return nil
        } catch {
            return error
        }
    }

    @Test("A webhook signed as Plaid signs passes")
    func valid() async throws {
        #expect(await refusal(try Self.header(body: Self.body)) == nil)
    }

    @Test("Wrong key, stale iat, a body changed by one byte, no header, alg none, an expired key: each refused")
    func refusals() async throws {
        let good = try Self.header(body: Self.body)
        #expect(await refusal(try Self.header(body: Self.body, key: P256.Signing.PrivateKey())) == .badSignature)
        #expect(await refusal(try Self.header(body: Self.body, iat: Date().addingTimeInterval(-301))) == .stale)
        #expect(await refusal(try Self.header(body: Self.body, iat: Date().addingTimeInterval(600))) == .stale)
        var changed = Self.body
        changed[changed.count - 3] ^= 0x01
        #expect(await refusal(good, body: changed) == .bodyMismatch)
        #expect(await refusal(nil) == .missingHeader)
        #expect(await refusal("") == .missingHeader)
        #expect(await refusal("not.a-jws") == .malformed)

        // alg none: an unsigned token naming the right key and the right body.
        let none = Self.base64URL(Data(#"{"alg":"none","kid":"\#(Self.kid)","typ":"JWT"}"#.utf8)) + "."
            + Self.base64URL(Data(#"{"iat":\#(Int(Date().timeIntervalSince1970)),"request_body_sha256":"\#(WebhookVerifier.sha256Hex(Self.body))"}"#.utf8)) + "."
        #expect(await refusal(none) == .unsupportedAlgorithm("none"))
        #expect(await refusal(try Self.header(body: Self.body, alg: "HS256")) == .unsupportedAlgorithm("HS256"))
        #expect(await refusal(good, key: Self.jwk(expiredAt: 1_700_000_100)) == .expiredKey)
        #expect(await refusal(good, key: Self.jwk(kid: "another-key")) == .unknownKey)
    }

    @Test("One delivery has one id, however its signature is spelled; a non-canonical spelling is refused")
    func deliveryIdentity() async throws {
        let first = try Self.header(body: Self.body, iat: Date(timeIntervalSince1970: 1_796_000_000))
        let second = try Self.header(body: Self.body, iat: Date(timeIntervalSince1970: 1_796_000_000))
        #expect(first != second)  // ECDSA signs with a fresh nonce each time
        #expect(WebhookVerifier.deliveryID(header: first) == WebhookVerifier.deliveryID(header: second))
        let later = try Self.header(body: Self.body, iat: Date(timeIntervalSince1970: 1_796_000_001))
        #expect(WebhookVerifier.deliveryID(header: later) != WebhookVerifier.deliveryID(header: first))
        let good = try Self.header(body: Self.body)
        #expect(await refusal(good + "==") == .malformed)
        #expect(await refusal(good + "+") == .malformed)
        #expect(await refusal(good + "/") == .malformed)
    }

    @Test("Constant-time comparison answers equality like ==")
    func constantTime() {
        #expect(WebhookVerifier.constantTimeEqual(Array("abc".utf8), Array("abc".utf8)))
        #expect(!WebhookVerifier.constantTimeEqual(Array("abc".utf8), Array("abd".utf8)))
        #expect(!WebhookVerifier.constantTimeEqual(Array("abc".utf8), Array("ab".utf8)))
    }
}
