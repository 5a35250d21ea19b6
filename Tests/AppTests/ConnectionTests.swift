@testable import App
import AsyncHTTPClient
import FinanceCore
import Fluent
import Foundation
import PlaidKit
import PlaidSimulator
import SQLKit
import Testing
import Vapor

/// Linking and syncing through the real Plaid client, over real HTTP, against the Plaid simulator on loopback.
@Suite("Plaid connections and sync", .serialized)
struct ConnectionTests {
    static let transactionsPerItem = 240

    /// Runs `body` with a simulator on loopback and an application configured to use it.
    func withLinkedApp(_ backend: TestBackend, transactions: Int = transactionsPerItem,
                       _ body: (Application, PlaidSimulator, TestClient) async throws -> Void) async throws {
        let simulator = PlaidSimulator(configuration: .init(transactionsPerItem: transactions, today: "2026-11-30", seed: 7))
        let url = try await simulator.start()
        do {
            try await withTestApp(backend, environment: [
                "PLAID_ENV": url.absoluteString, "PLAID_CLIENT_ID": "sim-client-id", "PLAID_SECRET": "sim-secret",
            ]) { app in
                // Quick retries: the tests check behaviour, not Plaid's pacing.
                if var configuration = app.plaid?.configuration {
                    configuration.baseDelay = .milliseconds(5)
                    app.plaid = PlaidClient(configuration: configuration, httpClient: .shared)
                }
                try await body(app, simulator, TestClient(app: app))
            }
        } catch {
            try? await simulator.shutdown()
            throw error
        }
        try await simulator.shutdown()
    }

    /// Links First Platypus Bank for `user` through the API; answers the sync result.
    func link(_ client: TestClient, _ user: TestClient.SignedIn, password: String? = nil) async throws -> TestClient.Reply {
        var json: [String: Any] = ["institution_id": "ins_109508"]
        if let password { json["password"] = password }
        let token = try await client.send(.POST, "/api/v1/plaid/sandbox/public-token", token: user.accessToken, json: json)
        #expect(token.status == .ok, "\(token.json)")
        let publicToken = try #require(token["public_token"] as? String)
        return try await client.send(.POST, "/api/v1/plaid/exchange", token: user.accessToken, json: ["public_token": publicToken])
    }

    func connectionID(_ reply: TestClient.Reply) throws -> String {
        try #require((reply["connection"] as? [String: Any])?["id"] as? String)
    }

    /// (rows, distinct Plaid ids) of the user's transactions.
    func ledgerCounts(_ app: Application, _ user: TestClient.SignedIn) async throws -> (Int, Int) {
        let rows = try await app.db.asSystem { db in try await Transaction.query(on: db).filter(\.$userID == user.id).all() }
        return (rows.count, Set(rows.compactMap(\.plaidTransactionID)).count)
    }

    @Test("Link, exchange and sync bring accounts, balances, transactions and holdings; a second sync changes nothing", arguments: TestBackend.all)
    func linkAndSync(backend: TestBackend) async throws {
        try await withLinkedApp(backend) { app, simulator, client in
            let user = try await client.signUp()
            let linked = try await link(client, user)
            #expect(linked.status == .created, "\(linked.json)")
            let connection = linked["connection"] as? [String: Any]
            #expect(connection?["status"] as? String == "healthy")
            #expect(connection?["institution_name"] as? String == "First Platypus Bank")
            let added = try #require(linked["added"] as? Int)
            #expect(added >= Self.transactionsPerItem)
            #expect(linked["modified"] as? Int == 0)
            #expect((linked["holdings"] as? Int ?? 0) > 0)

            let accounts = try await client.send(.GET, "/api/v1/accounts", token: user.accessToken)
            let items = try #require(accounts["items"] as? [[String: Any]])
            let types = Set(items.compactMap { $0["type"] as? String })
            #expect(types.isSuperset(of: ["checking", "savings", "credit_card", "mortgage", "investment"]), "\(types)")
            #expect(items.count == (connection?["account_ids"] as? [Any])?.count)

            let (rows, distinct) = try await ledgerCounts(app, user)
            #expect(rows == added)
            #expect(distinct == rows)

            // The reported balance is the account's balance, and its history ends there.
            let checking = try #require(items.first { $0["type"] as? String == "checking" })
            let history = try await client.send(.GET, "/api/v1/balances/history?account_id=\(checking["id"] as! String)&interval=day&from=2026-11-01&to=2026-11-30", token: user.accessToken)
            #expect(history.status == .ok, "\(history.json)")
            let last = (history["points"] as? [[String: Any]])?.last
            #expect((last?["balance"] as? String).flatMap { Amount($0) } == (checking["current_balance"] as? String).flatMap { Amount($0) },
                    "\(String(describing: last)) vs \(checking)")

            // An account Plaid reports no transactions for holds its balance over the connection's history.
            let mortgage = try #require(items.first { $0["type"] as? String == "mortgage" })
            let mortgageHistory = try await client.send(.GET, "/api/v1/balances/history?account_id=\(mortgage["id"] as! String)&interval=month&from=2025-01-01&to=2026-11-30", token: user.accessToken)
            let months = try #require(mortgageHistory["points"] as? [[String: Any]])
            #expect(months.count == 23)
            #expect(months.allSatisfy { $0["balance"] as? String == mortgage["current_balance"] as? String }, "\(months.prefix(2))")

            // Holdings: a portfolio tied to the brokerage account.
            let portfolios = try await client.send(.GET, "/api/v1/portfolios", token: user.accessToken)
            let portfolio = try #require((portfolios["items"] as? [[String: Any]])?.first)
            #expect(portfolio["account_id"] as? String != nil)
            let holdings = try await client.send(.GET, "/api/v1/portfolios/\(portfolio["id"] as! String)/items", token: user.accessToken)
            #expect((holdings["items"] as? [Any])?.isEmpty == false)

            // Valued from its holdings and cash, the tied account is worth what the institution reports.
            let id = try connectionID(linked)
            let stored = try #require(try await app.db.asSystem { db in try await PlaidConnection.find(UUID(uuidString: id), on: db) })
            let accessToken = try app.tokenVault.open(stored.sealedToken, userID: user.id, itemID: stored.plaidItemID)
            let reported = try await #require(app.plaid).balances(accessToken: accessToken).accounts
            let brokerage = try #require(reported.first { $0.type == "investment" })
            let tied = try #require(items.first { $0["id"] as? String == portfolio["account_id"] as? String })
            #expect((tied["current_balance"] as? String).flatMap { Amount($0) } == brokerage.balances.current.map { try! PlaidMapping.exact($0, as: Amount.self) })

            let again = try await client.send(.POST, "/api/v1/connections/\(id)/sync", token: user.accessToken)
            #expect(again.status == .ok, "\(again.json)")
            #expect(again["added"] as? Int == 0)
            #expect(again["modified"] as? Int == 0)
            #expect(again["removed"] as? Int == 0)
            #expect(again["investment_transactions"] as? Int == 0)
            #expect(try await ledgerCounts(app, user) == (rows, distinct))
            let holdingsAgain = try await client.send(.GET, "/api/v1/portfolios/\(portfolio["id"] as! String)/items", token: user.accessToken)
            let quantities = { (reply: TestClient.Reply) in ((reply["items"] as? [[String: Any]]) ?? []).compactMap { $0["quantity"] as? String }.sorted() }
            #expect(quantities(holdingsAgain) == quantities(holdings))
            _ = simulator
        }
    }

    @Test("New activity: added, modified and removed arrive; a pending transaction that posts keeps the user's category and notes", arguments: TestBackend.all)
    func activityAndPendingToPosted(backend: TestBackend) async throws {
        try await withLinkedApp(backend) { app, simulator, client in
            let user = try await client.signUp()
            let linked = try await link(client, user)
            let id = try connectionID(linked)
            let pending = try await client.send(.GET, "/api/v1/transactions?pending=true&limit=500", token: user.accessToken)
            let pendingIDs = try #require(pending["items"] as? [[String: Any]]).compactMap { $0["id"] as? String }
            #expect(!pendingIDs.isEmpty)
            let marked = try await client.send(.POST, "/api/v1/transactions/bulk-update", token: user.accessToken,
                                               json: ["ids": pendingIDs, "category": "ENTERTAINMENT", "notes": "mine"])
            #expect(marked["updated"] as? Int == pendingIDs.count)
            let (before, _) = try await ledgerCounts(app, user)

            let activity = await simulator.advance()
            #expect(activity.added > 0 && activity.modified > 0 && activity.removed > 0)
            let synced = try await client.send(.POST, "/api/v1/connections/\(id)/sync", token: user.accessToken)
            #expect(synced.status == .ok, "\(synced.json)")
            #expect((synced["added"] as? Int ?? 0) > 0)
            #expect((synced["modified"] as? Int ?? 0) > 0)
            #expect((synced["removed"] as? Int ?? 0) > 0)
            let (after, distinct) = try await ledgerCounts(app, user)
            #expect(after == distinct)
            #expect(after == before + (synced["added"] as! Int) - (synced["removed"] as! Int))

            // One of the rows that were pending is now posted, under the same id, with what the user gave it.
            var posted: [[String: Any]] = []
            for transactionID in pendingIDs {
                let reply = try await client.send(.GET, "/api/v1/transactions/\(transactionID)", token: user.accessToken)
                if reply.status == .ok, reply["pending"] as? Bool == false { posted.append(reply.json) }
            }
            #expect(!posted.isEmpty)
            for row in posted {
                #expect(row["category"] as? String == "ENTERTAINMENT")
                #expect(row["category_source"] as? String == "user")
                #expect(row["notes"] as? String == "mine")
            }
        }
    }

    @Test("A sync that fails between pages changes nothing; the next one brings everything once", arguments: TestBackend.all)
    func failureBetweenPages(backend: TestBackend) async throws {
        // 1,200 transactions: three pages of 500.
        try await withLinkedApp(backend, transactions: 1_200) { app, simulator, client in
            let user = try await client.signUp()
            // The second page fails on the first attempt and on each of the client's three retries:
            // the first sync stops part way, after one page.
            await simulator.injectFault(.httpStatus(500), on: "/transactions/sync", times: 4, afterCalls: 1)
            let linked = try await link(client, user)
            #expect(linked.status == .created, "\(linked.json)")
            let connection = try #require(linked["connection"] as? [String: Any])
            #expect(connection["status"] as? String == "error")
            #expect(connection["error_code"] as? String == "INTERNAL_SERVER_ERROR")
            #expect(try await ledgerCounts(app, user).0 == 0)
            #expect((connection["account_ids"] as? [Any])?.isEmpty == true)

            let id = try connectionID(linked)
            let synced = try await client.send(.POST, "/api/v1/connections/\(id)/sync", token: user.accessToken)
            #expect(synced.status == .ok, "\(synced.json)")
            #expect((synced["connection"] as? [String: Any])?["status"] as? String == "healthy")
            let (rows, distinct) = try await ledgerCounts(app, user)
            #expect(rows == synced["added"] as? Int)
            #expect(rows == distinct)
            #expect(rows >= 1_200)
        }
    }

    @Test("Faults: a 429 is retried, login required marks the connection and keeps its data, mutation during pagination restarts", arguments: TestBackend.all)
    func faults(backend: TestBackend) async throws {
        // Three pages, so that the data can change between two of them.
        try await withLinkedApp(backend, transactions: 1_200) { app, simulator, client in
            let user = try await client.signUp()
            // Call 1 answers 429 (the client retries); call 3, the second page, reports that the data
            // changed: the update is fetched again from its first page.
            await simulator.injectFault(.httpStatus(429), on: "/transactions/sync", times: 1)
            await simulator.injectFault(.plaidError(code: "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION"), on: "/transactions/sync", times: 1, afterCalls: 2)
            let linked = try await link(client, user)
            #expect(linked.status == .created, "\(linked.json)")
            #expect((linked["connection"] as? [String: Any])?["status"] as? String == "healthy")
            let (rows, distinct) = try await ledgerCounts(app, user)
            #expect(rows == linked["added"] as? Int)
            #expect(rows == distinct)
            #expect(rows >= 1_200)
            let id = try connectionID(linked)

            await simulator.injectFault(.plaidError(code: "ITEM_LOGIN_REQUIRED"), on: "/accounts/balance/get", times: 1)
            let refused = try await client.send(.POST, "/api/v1/connections/\(id)/sync", token: user.accessToken)
            #expect(refused.status == .badGateway)
            #expect(refused.errorCode == "plaid_item_login_required")
            let marked = try await client.send(.GET, "/api/v1/connections/\(id)", token: user.accessToken)
            #expect(marked["status"] as? String == "login_required")
            #expect(marked["error_code"] as? String == "ITEM_LOGIN_REQUIRED")
            #expect(try await ledgerCounts(app, user).0 == rows)

            await simulator.injectFault(.plaidError(code: "PRODUCT_NOT_READY"), on: "/transactions/sync", times: 1)
            let notReady = try await client.send(.POST, "/api/v1/connections/\(id)/sync", token: user.accessToken)
            #expect(notReady.errorCode == "plaid_product_not_ready")
            #expect(try await client.send(.GET, "/api/v1/connections/\(id)", token: user.accessToken)["status"] as? String == "error")

            // Once the login is repaired, a sync marks it healthy again.
            let repaired = try await client.send(.POST, "/api/v1/connections/\(id)/sync", token: user.accessToken)
            #expect(repaired.status == .ok, "\(repaired.json)")
            #expect((repaired["connection"] as? [String: Any])?["status"] as? String == "healthy")
            #expect((repaired["connection"] as? [String: Any])?["error_code"] == nil)
        }
    }

    @Test("Access tokens are sealed at rest, and key rotation seals them anew", arguments: TestBackend.all)
    func tokensSealedAndRotated(backend: TestBackend) async throws {
        try await withLinkedApp(backend) { app, simulator, client in
            let user = try await client.signUp()
            let linked = try await link(client, user)
            let id = try #require(UUID(uuidString: try connectionID(linked)))
            let stored = try await app.db.asSystem { db in try await PlaidConnection.find(id, on: db) }
            let connection = try #require(stored)
            let token = try app.tokenVault.open(connection.sealedToken, userID: user.id, itemID: connection.plaidItemID)
            #expect(token.hasPrefix("access-"))
            #expect(await simulator.itemID(accessToken: token) == connection.plaidItemID)
            #expect(!connection.accessTokenCiphertext.contains(Data(token.utf8)))

            if case .sqlite(let path) = app.settings.database {
                // Everything SQLite holds: the database file and its write-ahead log.
                _ = try await app.db.sql.raw("PRAGMA wal_checkpoint(FULL)").all()
                for file in [path, path + "-wal"] where FileManager.default.fileExists(atPath: file) {
                    let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
                    #expect(bytes.range(of: Data(token.utf8)) == nil, "\(file) holds the token in clear")
                    #expect(bytes.range(of: Data("access-sandbox".utf8)) == nil)
                }
            } else {
                let clear = try await app.scalar("SELECT count(*) FROM plaid_connections WHERE position('access-' in encode(access_token_ciphertext, 'escape')) > 0")
                #expect(clear == 0)
            }

            // Rotation: a new key seals every token; the old key alone no longer opens it; sync still works.
            let oldKeyID = connection.accessTokenKeyID
            let vault = try KeysCommand.generateKey(app)
            #expect(vault.currentKeyID != oldKeyID)
            let (resealed, total) = try await KeysCommand.reseal(app, with: vault)
            #expect(resealed == 1 && total == 1)
            let rotated = try #require(try await app.db.asSystem { db in try await PlaidConnection.find(id, on: db) })
            #expect(rotated.accessTokenKeyID == vault.currentKeyID)
            #expect(try vault.open(rotated.sealedToken, userID: user.id, itemID: rotated.plaidItemID) == token)
            #expect(throws: AccessTokenVault.Failure.self) {
                try AccessTokenVault(current: app.secrets.encryptionKey).open(rotated.sealedToken, userID: user.id, itemID: rotated.plaidItemID)
            }
            // A sealed token does not open for another user or item.
            #expect(throws: AccessTokenVault.Failure.self) {
                try vault.open(rotated.sealedToken, userID: UUID(), itemID: rotated.plaidItemID)
            }
            let second = try await KeysCommand.reseal(app, with: vault)
            #expect(second.0 == 0 && second.1 == 1)
            app.tokenVault = vault
            let synced = try await client.send(.POST, "/api/v1/connections/\(id.uuidString)/sync", token: user.accessToken)
            #expect(synced.status == .ok, "\(synced.json)")
        }
    }

    @Test("Another user's connection is 404 everywhere; bad input is refused; unlinking keeps or deletes the history", arguments: TestBackend.all)
    func isolationInputAndUnlink(backend: TestBackend) async throws {
        try await withLinkedApp(backend) { app, _, client in
            let owner = try await client.signUp()
            let other = try await client.signUp()
            let linked = try await link(client, owner)
            let id = try connectionID(linked)
            for (method, path) in [(HTTPMethod.GET, "/api/v1/connections/\(id)"), (.POST, "/api/v1/connections/\(id)/sync"),
                                   (.DELETE, "/api/v1/connections/\(id)")] {
                let reply = try await client.send(method, path, token: other.accessToken)
                #expect(reply.status == .notFound, "\(method) \(path)")
            }
            #expect((try await client.send(.GET, "/api/v1/connections", token: other.accessToken)["items"] as? [Any])?.isEmpty == true)
            let repair = try await client.send(.POST, "/api/v1/plaid/link-token?connection_id=\(id)", token: other.accessToken)
            #expect(repair.status == .notFound)

            let empty = try await client.send(.POST, "/api/v1/plaid/exchange", token: owner.accessToken, json: ["public_token": ""])
            #expect(empty.status == .unprocessableEntity)
            #expect(empty.errorFields["public_token"] != nil)
            let unknown = try await client.send(.POST, "/api/v1/plaid/exchange", token: owner.accessToken, json: ["public_token": "public-sandbox-nope"])
            #expect(unknown.status == .unprocessableEntity)
            #expect(unknown.errorCode == "plaid_invalid_public_token")
            #expect(unknown.errorFields["public_token"] != nil)
            let noBank = try await client.send(.POST, "/api/v1/plaid/sandbox/public-token", token: owner.accessToken, json: ["institution_id": "ins_nope"])
            #expect(noBank.status == .unprocessableEntity)
            #expect(noBank.errorFields["institution_id"] != nil)
            let emptyBank = try await client.send(.POST, "/api/v1/plaid/sandbox/public-token", token: owner.accessToken, json: ["institution_id": ""])
            #expect(emptyBank.status == .unprocessableEntity)
            // A bank that refuses the test login: Plaid's error code comes back, and no connection is made.
            let locked = try await client.send(.POST, "/api/v1/plaid/sandbox/public-token", token: other.accessToken,
                                               json: ["institution_id": "ins_109508", "password": "error_ITEM_LOCKED"])
            #expect(locked.status == .unprocessableEntity)
            #expect(locked.errorCode == "plaid_item_locked")
            #expect(locked.errorFields["password"] != nil)
            #expect((try await client.send(.GET, "/api/v1/connections", token: other.accessToken)["items"] as? [Any])?.isEmpty == true)
            let linkToken = try await client.send(.POST, "/api/v1/plaid/link-token", token: owner.accessToken)
            #expect(linkToken.status == .ok, "\(linkToken.json)")
            #expect((linkToken["link_token"] as? String)?.hasPrefix("link-") == true)
            let update = try await client.send(.POST, "/api/v1/plaid/link-token?connection_id=\(id)", token: owner.accessToken)
            #expect(update.status == .ok, "\(update.json)")
            let badID = try await client.send(.POST, "/api/v1/plaid/link-token?connection_id=nope", token: owner.accessToken)
            #expect(badID.status == .unprocessableEntity)

            // Keep the history: the accounts stay, as manual accounts with the same balances.
            let before = try #require(try await client.send(.GET, "/api/v1/accounts", token: owner.accessToken)["items"] as? [[String: Any]])
            let (rows, _) = try await ledgerCounts(app, owner)
            let kept = try await client.send(.DELETE, "/api/v1/connections/\(id)?keep_history=true", token: owner.accessToken)
            #expect(kept.status == .noContent)
            let after = try #require(try await client.send(.GET, "/api/v1/accounts", token: owner.accessToken)["items"] as? [[String: Any]])
            #expect(after.map { $0["current_balance"] as? String } == before.map { $0["current_balance"] as? String })
            #expect(try await ledgerCounts(app, owner).0 == rows)
            #expect(try await client.send(.GET, "/api/v1/connections/\(id)", token: owner.accessToken).status == .notFound)

            // Link again, and unlink without keeping: the new accounts and their transactions go.
            let again = try await link(client, owner)
            let second = try connectionID(again)
            let dropped = try await client.send(.DELETE, "/api/v1/connections/\(second)?keep_history=false", token: owner.accessToken)
            #expect(dropped.status == .noContent)
            let remaining = try #require(try await client.send(.GET, "/api/v1/accounts", token: owner.accessToken)["items"] as? [[String: Any]])
            #expect(remaining.count == before.count)
            #expect(try await ledgerCounts(app, owner).0 == rows)
        }
    }

    /// Finishes Link on the simulator's Hosted Link page, as a person would, and answers where Plaid
    /// sent them back.
    func finishOnPlaidsPage(_ url: String, institution: String = "ins_109508") async throws -> String? {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        let browser = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        defer { _ = browser.shutdown() }
        let page = try await browser.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        #expect(page.status == .ok)
        var post = HTTPClientRequest(url: url)
        post.method = .POST
        post.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        post.body = .bytes(ByteBuffer(string: "institution_id=\(institution)"))
        let answer = try await browser.execute(post, timeout: .seconds(10))
        #expect(answer.status == .seeOther)
        return answer.headers.first(name: "Location")
    }

    @Test("Hosted Link: Plaid's page links the bank, the app finishes with the token and its state; nobody else can, and not twice", arguments: TestBackend.all)
    func hostedLink(backend: TestBackend) async throws {
        try await withLinkedApp(backend) { app, simulator, client in
            let ada = try await client.signUp(), bob = try await client.signUp()
            let made = try await client.send(.POST, "/api/v1/plaid/link-token?hosted=true", token: ada.accessToken)
            #expect(made.status == .ok, "\(made.json)")
            let linkToken = try #require(made["link_token"] as? String)
            let state = try #require(made["state"] as? String)
            let page = try #require(made["hosted_link_url"] as? String)
            let finish = ["link_token": linkToken, "state": state]

            let early = try await client.send(.POST, "/api/v1/plaid/hosted-link/complete", token: ada.accessToken, json: finish)
            #expect(early.status == .conflict)
            #expect(early.errorCode == "link_not_finished")

            #expect(try await finishOnPlaidsPage(page) == "http://127.0.0.1:8080/banks?link=done")
            // Somebody else's session, or a state not made for it, is unknown.
            #expect(try await client.send(.POST, "/api/v1/plaid/hosted-link/complete", token: bob.accessToken, json: finish).status == .notFound)
            let forged = try await client.send(.POST, "/api/v1/plaid/hosted-link/complete", token: ada.accessToken,
                                               json: ["link_token": linkToken, "state": String(state.reversed())])
            #expect(forged.status == .notFound)
            #expect((try await client.send(.GET, "/api/v1/connections", token: bob.accessToken)["items"] as? [Any])?.isEmpty == true)

            let done = try await client.send(.POST, "/api/v1/plaid/hosted-link/complete", token: ada.accessToken, json: finish)
            #expect(done.status == .ok, "\(done.json)")
            let result = try #require((done["results"] as? [[String: Any]])?.first)
            let connection = try #require(result["connection"] as? [String: Any])
            #expect(connection["institution_name"] as? String == "First Platypus Bank")
            #expect(result["added"] as? Int ?? 0 >= Self.transactionsPerItem)
            #expect(result["holdings"] as? Int ?? 0 > 0, "investments, asked as an optional product, came too")

            let again = try await client.send(.POST, "/api/v1/plaid/hosted-link/complete", token: ada.accessToken, json: finish)
            #expect(again.status == .conflict)
            #expect(again.errorCode == "link_already_completed")
            #expect((try await client.send(.GET, "/api/v1/connections", token: ada.accessToken)["items"] as? [Any])?.count == 1)

            // A repair (update mode) goes the same way, for its connection only.
            let connectionID = try #require(connection["id"] as? String)
            let repair = try await client.send(.POST, "/api/v1/plaid/link-token?hosted=true&connection_id=\(connectionID)", token: ada.accessToken)
            let repairFinish: [String: Any] = ["link_token": try #require(repair["link_token"] as? String),
                                               "state": try #require(repair["state"] as? String), "connection_id": connectionID]
            _ = try await finishOnPlaidsPage(try #require(repair["hosted_link_url"] as? String))
            let elsewhere = try await client.send(.POST, "/api/v1/plaid/hosted-link/complete", token: ada.accessToken,
                                                  json: repairFinish.merging(["connection_id": UUID().uuidString]) { $1 })
            #expect(elsewhere.status == .notFound)
            let repaired = try await client.send(.POST, "/api/v1/plaid/hosted-link/complete", token: ada.accessToken, json: repairFinish)
            #expect(repaired.status == .ok, "\(repaired.json)")
            #expect(((repaired["results"] as? [[String: Any]])?.first?["connection"] as? [String: Any])?["id"] as? String == connectionID)
            #expect((try await client.send(.GET, "/api/v1/connections", token: ada.accessToken)["items"] as? [Any])?.count == 1)
        }
    }
}
