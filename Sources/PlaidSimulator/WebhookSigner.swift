import Crypto
import Foundation

/// Signs webhook bodies as Plaid does (reference §6): a compact JWS over `{iat, request_body_sha256}`
/// with an ES256 key whose public half `/webhook_verification_key/get` serves as a JWK.
struct WebhookSigner: Sendable {
    let privateKey: P256.Signing.PrivateKey
    let keyID: String
    /// Unix seconds, for the JWK's `created_at`.
    let createdAt: Int

    init(keyID: String, privateKey: P256.Signing.PrivateKey = .init(), createdAt: Int = unixNow()) {
        self.privateKey = privateKey
        self.keyID = keyID
        self.createdAt = createdAt
    }

    /// The public key as Plaid's JWK: x and y are the raw 32-byte coordinates, base64url without padding.
    var jwk: JSONValue {
        let raw = privateKey.publicKey.rawRepresentation
        return [
            "alg": "ES256",
            "crv": "P-256",
            "kid": .string(keyID),
            "kty": "EC",
            "use": "sig",
            "x": .string(Self.base64URL(raw.prefix(32))),
            "y": .string(Self.base64URL(raw.suffix(32))),
            "created_at": .int(createdAt),
            "expired_at": .null,
        ]
    }

    /// The `Plaid-Verification` header for `body`, exactly the bytes that will be sent.
    func verificationHeader(body: [UInt8], issuedAt: Int = unixNow()) throws -> String {
        let header = #"{"alg":"ES256","kid":"\#(keyID)","typ":"JWT"}"#
        let claims = #"{"iat":\#(issuedAt),"request_body_sha256":"\#(Self.sha256Hex(body))"}"#
        let signingInput = Self.base64URL(Data(header.utf8)) + "." + Self.base64URL(Data(claims.utf8))
        // ES256 in a JWS is the raw 64-byte r‖s, not DER.
        let signature = try privateKey.signature(for: Data(signingInput.utf8))
        return signingInput + "." + Self.base64URL(signature.rawRepresentation)
    }

    static func sha256Hex(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    static func base64URL<Bytes: DataProtocol>(_ bytes: Bytes) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func base64URLDecode(_ text: some StringProtocol) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
