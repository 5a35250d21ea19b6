@testable import App
import Crypto
import FinanceCore
import Fluent
import Foundation
import PlaidKit
import PlaidSimulator
import Testing
import Vapor

@Suite("Plaid webhooks", .serialized)
struct WebhookTests {
    static let key = P256.Signing.PrivateKey()
    static let kid = "test-key-1"

    static func base64URL<Bytes: DataProtocol>(_ bytes: Bytes) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// A verifier that knows the test key only, as if Plaid served it.
    static var verifier: WebhookVerifier {
        let raw = key.publicKey.rawRepresentation
        let jwk = JSONWebKey(alg: "ES256", kty: "EC", crv: "P-256", kid: kid, use: "sig", x: base64URL(raw.prefix(32)),
                             y: base64URL(raw.suffix(32)), createdAt: 1_700_000_000, expiredAt: nil)
        return WebhookVerifier { id in
            guard id == kid else { throw PlaidClientError.unexpectedStatus(400) }
            return jwk
        }
    }

    /// A `Plaid-Verification` token for `json`, signed now.
    static func signature(_ json: String, at date: Date = Date()) throws -> String {
        let joseHeader = #"{"alg":"ES256","kid":"\#(kid)","typ":"JWT"}"#
        let claims = #"{"iat":\#(Int(date.timeIntervalSince1970)),"request_body_sha256":"\#(WebhookVerifier.sha256Hex(Array(json.utf8)))"}"#
        let input = base64URL(Data(joseHeader.utf8)) + "." + base64URL(Data(claims.utf8))
        return input + "." + base64URL(try key.signature(for: Data(input.utf8)).rawRepresentation)
    }

    /// Posts `json` as Plaid would (2-space indented, signed), or with the given header.
    static func deliver(_ client: TestClient, _ json: String, header: String? = nil, sign: Bool = true) async throws -> TestClient.Reply {
        var headers: [(String, String)] = []
        if sign { headers.append(("Plaid-Verification", try header ?? signature(json))) }
        return try await client.send(.POST, "/api/v1/webhooks/plaid", headers: headers, file: json,
                                     fileType: HTTPMediaType(type: "application", subType: "json"))
    }

    /// A new user with a linked bank: the user, the connection's id and Plaid's item id.
    static func linkedItem(_ app: Application, _ client: TestClient) async throws -> (TestClient.SignedIn, String, String) {
        let user = try await client.signUp()
        let linked = try await ConnectionTests().link(client, user)
        let id = try ConnectionTests().connectionID(linked)
        let stored = try #require(try await app.db.asSystem { db in try await PlaidConnection.find(UUID(uuidString: id), on: db) })
        return (user, id, stored.plaidItemID)
    }

    static func item(_ type: String, _ code: String, item: String, extra: String = "") -> String {
        """
        {
          "environment": "sandbox",\(extra)
          "item_id": "\(item)",
          "webhook_code": "\(code)",
          "webhook_type": "\(type)"
        }
        """
    }

    @Test("A webhook from the simulator, verified against its key, brings the new transactions in", arguments: TestBackend.all)
    func simulatorWebhookTriggersSync(backend: TestBackend) async throws {
        try await ConnectionTests().withLinkedApp(backend) { app, simulator, client in
            try await app.server.start(address: .hostname("127.0.0.1", port: 0))
            let port = try #require(app.http.server.shared.localAddress?.port)
            app.settings.plaid?.webhookURL = "http://127.0.0.1:\(port)/api/v1/webhooks/plaid"
            var options = JobWorker.Options()
            options.pollInterval = .milliseconds(20)
            let worker = JobWorker(app: app, options: options, name: "webhook-test")
            worker.start()

            let user = try await client.signUp()
            let linked = try await ConnectionTests().link(client, user)
            #expect(linked.status == .created, "\(linked.json)")
            let before = try await ConnectionTests().ledgerCounts(app, user).0
            // The bank's webhook queues a sync; the worker's sync commits the new transactions.
            let synced = try await app.commit(of: user.id, where: { $0.changes.kinds.contains("transaction") }) {
                let activity = await simulator.advance()
                #expect(activity.added > 0)
            }
            #expect(synced != nil)
            let after = try await ConnectionTests().ledgerCounts(app, user).0
            await worker.stop()
            await app.server.shutdown()
            #expect(after > before)
            #expect(try await app.scalar("SELECT count(*) FROM plaid_webhooks WHERE webhook_code = 'SYNC_UPDATES_AVAILABLE'") == 1)
            let (rows, distinct) = try await ConnectionTests().ledgerCounts(app, user)
            #expect(rows == distinct)
        }
    }

    @Test("Refused: no header, a bad signature, a body changed after signing; nothing happens", arguments: TestBackend.all)
    func refusals(backend: TestBackend) async throws {
        try await ConnectionTests().withLinkedApp(backend) { app, _, client in
            app.webhookVerifier = Self.verifier
            let json = Self.item("TRANSACTIONS", "SYNC_UPDATES_AVAILABLE", item: "item-x")
            let unsigned = try await Self.deliver(client, json, sign: false)
            #expect(unsigned.status == .unauthorized)
            #expect(unsigned.errorCode == "invalid_webhook")
            let forged = try await Self.deliver(client, json, header: "eyJhbGciOiJub25lIiwia2lkIjoidGVzdC1rZXktMSJ9.eyJpYXQiOjB9.")
            #expect(forged.status == .unauthorized)
            #expect(try await app.scalar("SELECT count(*) FROM plaid_webhooks") == 0)
            #expect(try await app.scalar("SELECT count(*) FROM jobs") == 0)
        }
    }

    @Test("Item errors, repairs and revocations change the connection; the same delivery twice is acted on once", arguments: TestBackend.all)
    func itemWebhooks(backend: TestBackend) async throws {
        try await ConnectionTests().withLinkedApp(backend) { app, _, client in
            app.webhookVerifier = Self.verifier
            let (user, id, item) = try await Self.linkedItem(app, client)
            func status() async throws -> String? {
                try await client.send(.GET, "/api/v1/connections/\(id)", token: user.accessToken)["status"] as? String
            }

            let updates = Self.item("TRANSACTIONS", "SYNC_UPDATES_AVAILABLE", item: item,
                                    extra: "\n  \"historical_update_complete\": true,\n  \"initial_update_complete\": true,")
            let token = try Self.signature(updates)
            let first = try await Self.deliver(client, updates, header: token)
            #expect(first.status == .ok, "\(first.json)")
            #expect(first["action"] as? String == "sync_queued")
            #expect(first["duplicate"] as? Bool == false)
            let again = try await Self.deliver(client, updates, header: token)
            #expect(again["duplicate"] as? Bool == true)
            // The same event sent anew (signed at another moment) joins the sync already waiting.
            let resent = try await Self.deliver(client, updates, header: try Self.signature(updates, at: Date().addingTimeInterval(-2)))
            #expect(resent["duplicate"] as? Bool == false)
            #expect(resent["action"] as? String == "sync_queued")
            #expect(try await app.scalar("SELECT count(*) FROM jobs") == 1)

            let error = Self.item("ITEM", "ERROR", item: item, extra: """

              "error": {"error_type": "ITEM_ERROR", "error_code": "ITEM_LOGIN_REQUIRED", "error_message": "the login details of this item have changed", "display_message": null, "status": 400},
            """)
            #expect(try await Self.deliver(client, error)["action"] as? String == "marked_login_required")
            #expect(try await status() == "login_required")
            // A sync asked for while the login is broken is not queued.
            let ignored = Self.item("HOLDINGS", "DEFAULT_UPDATE", item: item, extra: "\n  \"new_holdings\": 1,")
            #expect(try await Self.deliver(client, ignored)["action"] as? String == "ignored")

            #expect(try await Self.deliver(client, Self.item("ITEM", "LOGIN_REPAIRED", item: item))["action"] as? String == "repaired")
            #expect(try await status() == "healthy")
            // One account no longer shared: closed, its history kept; an account the item lacks changes nothing.
            let accounts = try await client.send(.GET, "/api/v1/accounts", token: user.accessToken)["items"] as? [[String: Any]] ?? []
            let shared = try #require(accounts.first { $0["plaid_connection_id"] as? String == id || $0["is_manual"] as? Bool == false })
            let sharedID = try #require(shared["id"] as? String)
            let plaidAccountID = try #require(try await app.db.asSystem { db in try await Account.find(UUID(uuidString: sharedID), on: db) }?.plaidAccountID)
            let before = try await client.send(.GET, "/api/v1/transactions?account_id=\(sharedID)", token: user.accessToken)["totals"] as? [[String: Any]]
            let revoked = Self.item("ITEM", "USER_ACCOUNT_REVOKED", item: item, extra: "\n  \"account_id\": \"\(plaidAccountID)\",")
            #expect(try await Self.deliver(client, revoked)["action"] as? String == "account_closed")
            let closed = try await client.send(.GET, "/api/v1/accounts/\(sharedID)", token: user.accessToken)
            #expect(closed["is_closed"] as? Bool == true)
            let after = try await client.send(.GET, "/api/v1/transactions?account_id=\(sharedID)", token: user.accessToken)["totals"] as? [[String: Any]]
            #expect(after?.first?["count"] as? Int == before?.first?["count"] as? Int)
            let unknown = Self.item("ITEM", "USER_ACCOUNT_REVOKED", item: item, extra: "\n  \"account_id\": \"no-such-account\",")
            #expect(try await Self.deliver(client, unknown)["action"] as? String == "ignored")
            #expect(try await Self.deliver(client, Self.item("ITEM", "USER_PERMISSION_REVOKED", item: item))["action"] as? String == "disabled")
            #expect(try await status() == "disabled")
            let refused = try await client.send(.POST, "/api/v1/connections/\(id)/sync", token: user.accessToken)
            #expect(refused.status == .conflict)
            #expect(refused.errorCode == "connection_disabled")
        }
    }

    @Test("New accounts at the bank: the connection says so, its link token asks which accounts to share, the sync after settles it",
          arguments: TestBackend.all)
    func newAccountsAvailable(backend: TestBackend) async throws {
        try await ConnectionTests().withLinkedApp(backend) { app, simulator, client in
            app.webhookVerifier = Self.verifier
            let (user, id, item) = try await Self.linkedItem(app, client)
            func flagged() async throws -> Bool? {
                try await client.send(.GET, "/api/v1/connections/\(id)", token: user.accessToken)["new_accounts_available"] as? Bool
            }
            func sync() async throws -> TestClient.Reply {
                try await client.send(.POST, "/api/v1/connections/\(id)/sync", token: user.accessToken)
            }
            #expect(try await flagged() == false)
            let listed = try await client.send(.GET, "/api/v1/connections", token: user.accessToken)
            let listTag = try #require(listed.headers.first(name: .eTag))

            let notice = Self.item("ITEM", "NEW_ACCOUNTS_AVAILABLE", item: item)
            #expect(try await Self.deliver(client, notice)["action"] as? String == "new_accounts_available")
            #expect(try await flagged() == true)
            // The user's open dashboards are told, as of any change.
            let told = try await app.db.asSystem { db in try await EventOutbox.after(0, userID: user.id, limit: 1_000, on: db) }
            #expect(told.last?.type == "connections.changed")
            // The webhook changed a read of the user's: the tag they hold no longer answers 304.
            let relisted = try await client.send(.GET, "/api/v1/connections", token: user.accessToken, headers: [("If-None-Match", listTag)])
            #expect(relisted.status == .ok)
            #expect(((relisted["items"] as? [[String: Any]])?.first)?["new_accounts_available"] as? Bool == true)
            #expect(try await app.scalar("SELECT count(*) FROM audit_events WHERE entity_type = 'connection' AND CAST(changes AS TEXT) LIKE '%new_accounts_available%'") == 1)
            // Announced again (a new delivery, signed at another moment): still one flag, one event.
            let again = try await Self.deliver(client, notice, header: try Self.signature(notice, at: Date().addingTimeInterval(-2)))
            #expect(again["duplicate"] as? Bool == false)
            #expect(again["action"] as? String == "new_accounts_available")
            #expect(try await app.scalar("SELECT count(*) FROM audit_events WHERE entity_type = 'connection' AND CAST(changes AS TEXT) LIKE '%new_accounts_available%'") == 1)

            // A sync before the person was offered the new accounts leaves the flag up.
            #expect(try await sync().status == .ok)
            #expect(try await flagged() == true)

            // The connection's link token opens Link's update mode with account selection...
            #expect(await simulator.accountSelectionOffers(itemID: item) == 0)
            let offer = try await client.send(.POST, "/api/v1/plaid/link-token?connection_id=\(id)", token: user.accessToken)
            #expect(offer.status == .ok, "\(offer.json)")
            #expect(await simulator.accountSelectionOffers(itemID: item) == 1)
            // ...and the sync after it settles the question.
            let settled = try await sync()
            #expect(settled.status == .ok, "\(settled.json)")
            #expect((settled["connection"] as? [String: Any])?["new_accounts_available"] as? Bool == false)
            #expect(try await flagged() == false)

            // With nothing new to share, the link token opens plain update mode.
            #expect(try await client.send(.POST, "/api/v1/plaid/link-token?connection_id=\(id)", token: user.accessToken).status == .ok)
            #expect(await simulator.accountSelectionOffers(itemID: item) == 1)
        }
    }
}
