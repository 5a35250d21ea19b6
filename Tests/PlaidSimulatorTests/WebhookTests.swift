import Crypto
import Foundation
import PlaidKit
@testable import PlaidSimulator
import Testing

@Suite("Signed webhooks")
struct WebhookTests {
    /// Verifies a `Plaid-Verification` header as a receiver following Plaid's steps would; answers the claims.
    static func verify(_ header: String, body: Data, client: PlaidClient) async throws -> [String: Any] {
        let parts = header.split(separator: ".", omittingEmptySubsequences: false)
        try #require(parts.count == 3)
        let joseData = try #require(WebhookSigner.base64URLDecode(parts[0]))
        let jose = try #require(try JSONSerialization.jsonObject(with: joseData) as? [String: Any])
        #expect(jose["alg"] as? String == "ES256" && jose["typ"] as? String == "JWT")
        let kid = try #require(jose["kid"] as? String)

        let key = try await client.webhookVerificationKey(id: kid).key
        #expect(key.alg == "ES256" && key.kty == "EC" && key.crv == "P-256" && key.use == "sig" && key.kid == kid && key.expiredAt == nil)
        let x = try #require(WebhookSigner.base64URLDecode(key.x))
        let y = try #require(WebhookSigner.base64URLDecode(key.y))
        let publicKey = try P256.Signing.PublicKey(rawRepresentation: x + y)
        let signature = try P256.Signing.ECDSASignature(rawRepresentation: try #require(WebhookSigner.base64URLDecode(parts[2])))
        #expect(publicKey.isValidSignature(signature, for: Data("\(parts[0]).\(parts[1])".utf8)))

        let claimsData = try #require(WebhookSigner.base64URLDecode(parts[1]))
        let claims = try #require(try JSONSerialization.jsonObject(with: claimsData) as? [String: Any])
        let bodyHash = SHA256.hash(data: body).map { String(format: "%02x", $0) }.joined()
        #expect(claims["request_body_sha256"] as? String == bodyHash)
        let issuedAt = try #require(claims["iat"] as? Int)
        #expect(abs(Int(Date().timeIntervalSince1970) - issuedAt) < 300)
        return claims
    }

    @Test("fire_webhook sends a 2-space-indented body whose signature verifies against the served JWK")
    func signatureVerifies() async throws {
        let receiver = try await WebhookReceiver.start()
        do {
            try await SimulatorHarness.with { harness in
                let client = harness.client()
                let (accessToken, itemID) = try await harness.link(webhook: receiver.url)
                let fired = try await client.sandboxFireWebhook(SandboxItemFireWebhookRequest(accessToken: accessToken,
                                                                                            webhookCode: "SYNC_UPDATES_AVAILABLE"))
                #expect(fired.webhookFired)
                let delivery = try #require(try await receiver.waitFor(1).first)
                #expect(delivery.contentType?.hasPrefix("application/json") == true)
                let text = String(decoding: delivery.body, as: UTF8.self)
                #expect(text.hasPrefix("{\n  \"webhook_type\": \"TRANSACTIONS\",\n"))
                let body = try #require(try JSONSerialization.jsonObject(with: delivery.body) as? [String: Any])
                #expect(body["webhook_code"] as? String == "SYNC_UPDATES_AVAILABLE" && body["item_id"] as? String == itemID)
                #expect(body["environment"] as? String == "sandbox")
                #expect(body["initial_update_complete"] as? Bool == true && body["historical_update_complete"] as? Bool == true)
                _ = try await Self.verify(try #require(delivery.verification), body: delivery.body, client: client)

                // One changed byte and the hash no longer matches.
                var tampered = delivery.body
                tampered[tampered.count - 2] = UInt8(ascii: " ")
                let claims = try await Self.verify(try #require(delivery.verification), body: delivery.body, client: client)
                let tamperedHash = SHA256.hash(data: tampered).map { String(format: "%02x", $0) }.joined()
                #expect(claims["request_body_sha256"] as? String != tamperedHash)

                await #expect {
                    try await client.webhookVerificationKey(id: "6c5516e1-92dc-479e-a8ff-5a51992e0001")
                } throws: { isPlaidError($0, code: "INVALID_WEBHOOK_VERIFICATION_KEY_ID", type: "INVALID_INPUT", status: 400) }
            }
        } catch {
            try await receiver.stop()
            throw error
        }
        try await receiver.stop()
    }

    @Test("advance, reset_login and repairLogin send SYNC_UPDATES_AVAILABLE, ERROR and LOGIN_REPAIRED")
    func lifecycleWebhooks() async throws {
        let receiver = try await WebhookReceiver.start()
        do {
            try await SimulatorHarness.with { harness in
                let client = harness.client()
                let (accessToken, itemID) = try await harness.link(webhook: receiver.url)
                await harness.simulator.advance(itemID: itemID)
                #expect(try await receiver.waitFor(1).count == 1)
                _ = try await client.sandboxResetLogin(accessToken: accessToken)
                #expect(try await receiver.waitFor(2).count == 2)
                await harness.simulator.repairLogin(itemID: itemID)
                let deliveries = try await receiver.waitFor(3)
                try #require(deliveries.count == 3)
                let bodies = try deliveries.map { try #require(try JSONSerialization.jsonObject(with: $0.body) as? [String: Any]) }
                #expect(bodies.map { "\($0["webhook_type"] ?? "")/\($0["webhook_code"] ?? "")" }
                    == ["TRANSACTIONS/SYNC_UPDATES_AVAILABLE", "ITEM/ERROR", "ITEM/LOGIN_REPAIRED"])
                let error = try #require(bodies[1]["error"] as? [String: Any])
                #expect(error["error_code"] as? String == "ITEM_LOGIN_REQUIRED" && error["status"] as? Int == 400 && error["request_id"] == nil)
                for delivery in deliveries { _ = try await Self.verify(try #require(delivery.verification), body: delivery.body, client: client) }

                let holdings = try await client.sandboxFireWebhook(SandboxItemFireWebhookRequest(accessToken: accessToken, webhookCode: "DEFAULT_UPDATE",
                                                                                               webhookType: "HOLDINGS"))
                #expect(holdings.webhookFired)
                let fourth = try await receiver.waitFor(4)
                let last = try #require(fourth.last)
                let body = try #require(try JSONSerialization.jsonObject(with: last.body) as? [String: Any])
                #expect(body["webhook_type"] as? String == "HOLDINGS" && body["updated_holdings"] as? Int == 6 && body["new_holdings"] as? Int == 0)
                let (_, item, _) = try await harness.raw("/item/get", ["access_token": accessToken])
                #expect(((item["status"] as? [String: Any])?["last_webhook"] as? [String: Any])?["code_sent"] as? String == "DEFAULT_UPDATE")
            }
        } catch {
            try await receiver.stop()
            throw error
        }
        try await receiver.stop()
    }

    @Test("Without a webhook URL fire_webhook is SANDBOX_WEBHOOK_INVALID; without the product, SANDBOX_PRODUCT_NOT_ENABLED")
    func fireWebhookErrors() async throws {
        try await SimulatorHarness.with { harness in
            let client = harness.client()
            let (accessToken, _) = try await harness.link()
            await #expect {
                try await client.sandboxFireWebhook(SandboxItemFireWebhookRequest(accessToken: accessToken, webhookCode: "SYNC_UPDATES_AVAILABLE"))
            } throws: { isPlaidError($0, code: "SANDBOX_WEBHOOK_INVALID", type: "SANDBOX_ERROR", status: 400) }
            let (transactionsOnly, _) = try await harness.link(products: ["transactions"], webhook: "http://127.0.0.1:9/hook")
            await #expect {
                try await client.sandboxFireWebhook(SandboxItemFireWebhookRequest(accessToken: transactionsOnly, webhookCode: "DEFAULT_UPDATE",
                                                                                  webhookType: "HOLDINGS"))
            } throws: { isPlaidError($0, code: "SANDBOX_PRODUCT_NOT_ENABLED", type: "SANDBOX_ERROR", status: 400) }
        }
    }

    @Test("The signer's header verifies with its own public key, and a changed body does not match its hash")
    func signerAlone() throws {
        let signer = WebhookSigner(keyID: "kid-1")
        let body = Array("{\n  \"a\": 1\n}".utf8)
        let header = try signer.verificationHeader(body: body, issuedAt: 1_700_000_000)
        let parts = header.split(separator: ".")
        #expect(String(decoding: WebhookSigner.base64URLDecode(parts[0])!, as: UTF8.self) == #"{"alg":"ES256","kid":"kid-1","typ":"JWT"}"#)
        #expect(String(decoding: WebhookSigner.base64URLDecode(parts[1])!, as: UTF8.self)
            == #"{"iat":1700000000,"request_body_sha256":"\#(WebhookSigner.sha256Hex(body))"}"#)
        let signature = try P256.Signing.ECDSASignature(rawRepresentation: WebhookSigner.base64URLDecode(parts[2])!)
        #expect(signature.rawRepresentation.count == 64)
        #expect(signer.privateKey.publicKey.isValidSignature(signature, for: Data("\(parts[0]).\(parts[1])".utf8)))
        #expect(!signer.privateKey.publicKey.isValidSignature(signature, for: Data("\(parts[0]).x".utf8)))
        #expect(!header.contains("=") && !header.contains("+") && !header.contains("/"))
    }
}
