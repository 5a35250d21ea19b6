@testable import App
import Foundation
import SQLKit
import Testing
import Vapor

@Suite("Isolation between users")
struct IsolationTests {
    /// Operations anyone may call without signing in.
    static let publicOperations: Set<String> = [
        "POST /api/v1/auth/register", "POST /api/v1/auth/login", "POST /api/v1/auth/refresh",
        // A browser's session: its cookie, checked with its Origin, stands for the token (DashboardTests).
        "POST /api/v1/auth/web/login", "POST /api/v1/auth/web/refresh", "POST /api/v1/auth/web/logout",
        // Verified by Plaid's signature instead.
        "POST /api/v1/webhooks/plaid",
    ]

    /// For each collection with ids in the API (the path segment before the id), how to make an object
    /// of a user's and get its id. A route whose collection has no entry fails the matrix: new id routes must join it.
    static let fixtures: [String: @Sendable (RawFixtures, UUID) async throws -> UUID] = [
        "accounts": { db, user in try await db.account(user: user) },
        "transactions": { db, user in try await db.transaction(user: user, account: db.account(user: user)) },
        "rules": { db, user in try await db.rule(user: user) },
        "investments": { db, user in try await db.investment(user: user) },
        "portfolios": { db, user in try await db.portfolio(user: user) },
        "connections": { db, user in try await db.connection(user: user) },
    ]

    /// For a route with a second id (`/portfolios/{id}/items/{item_id}`), how to make a child object
    /// of the first, keyed by the two collections.
    static let childFixtures: [String: @Sendable (RawFixtures, UUID, UUID) async throws -> UUID] = [
        "portfolios/items": { db, user, portfolio in
            try await db.holding(user: user, portfolio: portfolio, investment: db.investment(user: user))
        },
        "portfolios/transactions": { db, user, portfolio in
            try await db.investmentTransaction(user: user, portfolio: portfolio, investment: db.investment(user: user))
        },
    ]

    static func describe(_ route: Route) -> String { AuthenticationGate.operation(route) }

    @Test("Every API route but registration, login, refresh and the browser's cookie session wants a valid access token", arguments: TestBackend.all)
    func everyRouteNeedsAToken(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let apiRoutes = app.routes.all.filter { $0.path.first?.description == "api" }
            #expect(apiRoutes.count >= 8)
            // The document declares the same split the test expects.
            let protected = try OpenAPIDocuments.load().protectedOperations
            #expect(Set(apiRoutes.map(Self.describe)).subtracting(protected) == Self.publicOperations)
            for route in apiRoutes where !Self.publicOperations.contains(Self.describe(route)) {
                let path = "/" + route.path.map { component in
                    if case .parameter = component { return UUID().uuidString }
                    return component.description
                }.joined(separator: "/")
                let reply = try await client.send(route.method, path, token: nil, json: [:])
                #expect(reply.status == .unauthorized, "\(Self.describe(route)) answered \(reply.status.code)")
                #expect(reply.errorCode == "unauthorized", "\(Self.describe(route))")
            }
        }
    }

    @Test("Cross-tenant matrix: for every route that takes an id, another user's object is a 404", arguments: TestBackend.all)
    func crossTenantMatrix(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let ada = try await client.signUp(), bob = try await client.signUp()
            let fixtures = RawFixtures(app: app)
            for route in app.routes.all where route.path.first?.description == "api" && route.method != .POST {
                guard let index = route.path.firstIndex(where: { if case .parameter = $0 { return true } else { return false } }),
                      index > 0 else { continue }
                let collection = route.path[index - 1].description
                let make = try #require(Self.fixtures[collection], "no fixture makes an object for \(Self.describe(route))")
                let adasObject = try await make(fixtures, ada.id)
                var ids = [adasObject]
                for (position, component) in route.path.enumerated() where position > index {
                    guard case .parameter = component else { continue }
                    let key = "\(collection)/\(route.path[position - 1].description)"
                    let makeChild = try #require(Self.childFixtures[key], "no child fixture makes an object for \(Self.describe(route))")
                    ids.append(try await makeChild(fixtures, ada.id, adasObject))
                }
                var next = ids.makeIterator()
                let path = "/" + route.path.map { component in
                    if case .parameter = component { return next.next()!.uuidString }
                    return component.description
                }.joined(separator: "/")
                let asBob = try await client.send(route.method, path, token: bob.accessToken, json: [:])
                #expect(asBob.status == .notFound, "\(Self.describe(route)) let another user through: \(asBob.status.code)")
                let asAda = try await client.send(route.method, path, token: ada.accessToken, json: [:])
                #expect(asAda.status != .notFound, "\(Self.describe(route)) hid Ada's own object from her")
            }

            // Writing into somebody else's account: an import.
            let bobsImport = try await client.send(.POST, "/api/v1/accounts/\(try await fixtures.account(user: ada.id))/imports",
                                                   token: bob.accessToken, file: ImportTests.ofx)
            #expect(bobsImport.status == .notFound)

            // The routes without ids answer for the caller only.
            let bobsView = try await client.send(.GET, "/api/v1/users/me", token: bob.accessToken)
            #expect(bobsView["id"] as? String == bob.id.uuidString)
            let bobsEvents = try await client.send(.GET, "/api/v1/audit-events", token: bob.accessToken)
            let items = bobsEvents["items"] as? [[String: Any]] ?? []
            #expect(!items.isEmpty)
            let adasEventCount = try await app.scalar("SELECT count(*) FROM audit_events WHERE user_id = \(fixtures.uuid(ada.id))")
            #expect(adasEventCount > 0)
            let bobsEventCount = try await app.scalar("SELECT count(*) FROM audit_events WHERE user_id = \(fixtures.uuid(bob.id))")
            #expect(items.count == bobsEventCount)
        }
    }

    @Test("PostgreSQL: a query with no owner filter sees only the current user's rows",
          .enabled(if: TestBackend.postgresURL != nil, "needs TEST_DATABASE_URL"))
    func rowLevelSecurity() async throws {
        try await withTestApp(.postgres) { app in
            // The test role must be bound by the policies, as the server's role is.
            #expect(try await DatabaseRole.bypassesRowSecurity(app.db) == false)

            let fixtures = RawFixtures(app: app)
            let ada = try await fixtures.user(), bob = try await fixtures.user()
            try await fixtures.everything(for: ada)
            try await fixtures.everything(for: bob)

            for table in UserOwnedTable.all {
                let seenByBob = try await app.db.asUser(bob) { db in
                    try await db.sql.raw(SQLQueryString("SELECT user_id FROM \(table)")).all().map { try $0.decode(column: "user_id", as: UUID.self) }
                }
                #expect(!seenByBob.isEmpty, "\(table)")
                #expect(seenByBob.allSatisfy { $0 == bob }, "\(table) showed Bob another user's rows")
                let seenByAda = try await app.db.asUser(ada) { db in
                    try await db.sql.raw(SQLQueryString("SELECT count(*) AS n FROM \(table)")).first()?.decode(column: "n", as: Int.self)
                }
                #expect(seenByAda == seenByBob.count, "\(table)")
                // Outside any user's context (a forgotten scope), nothing at all.
                let seenByNobody = try await app.db.sql.raw(SQLQueryString("SELECT count(*) AS n FROM \(table)")).first()?.decode(column: "n", as: Int.self)
                #expect(seenByNobody == 0, "\(table)")
            }

            // Writing a row for somebody else is refused, and changing theirs changes nothing.
            await #expect(throws: (any Error).self) {
                try await app.db.asUser(bob) { db in
                    try await db.sql.raw("INSERT INTO portfolios (id, user_id, name, currency) VALUES (\(bind: UUID()), \(bind: ada), 'Mine now', 'USD')").run()
                }
            }
            try await app.db.asUser(bob) { db in
                try await db.sql.raw("UPDATE accounts SET name = 'taken' WHERE user_id = \(bind: ada)").run()
                try await db.sql.raw("DELETE FROM transactions WHERE user_id = \(bind: ada)").run()
            }
            #expect(try await app.scalar("SELECT count(*) FROM accounts WHERE name = 'taken'") == 0)
            #expect(try await app.scalar("SELECT count(*) FROM transactions WHERE user_id = \(fixtures.uuid(ada))") == 1)

            // The session check reads as the server while it runs, and not a moment longer: called
            // inside Bob's transaction, it leaves him seeing his rows alone.
            try await app.db.asUser(bob) { db in
                let version = try await Sessions.liveVersion(familyID: UUID(), userID: ada, now: Date(), on: db)
                #expect(version == nil, "no such session")
                let setting = try await db.sql.raw("SELECT coalesce(current_setting('finance.system', true), '') AS s").first()?.decode(column: "s", as: String.self)
                #expect(setting != "on")
                let owners = try await db.sql.raw("SELECT DISTINCT user_id FROM accounts").all().map { try $0.decode(column: "user_id", as: UUID.self) }
                #expect(owners == [bob])
            }
        }
    }
}

@Suite("Audit trail")
struct AuditTrailTests {
    @Test("A transaction lists its audited fields as its JSON form gives them")
    func transactionFieldsMatchTheirJSON() throws {
        let full = TransactionAuditView(
            accountId: UUID().uuidString, date: "2026-03-04", authorizedDate: "2026-03-03", amount: "-12.5", currency: "USD",
            description: "Coffee \"on\" the way / back", merchantName: "Café", category: "FOOD_AND_DRINK", categorySource: "user",
            detailedCategory: "FOOD_AND_DRINK_COFFEE", pending: true, notes: "with a friend")
        let sparse = TransactionAuditView(
            accountId: UUID().uuidString, date: "2026-03-04", authorizedDate: nil, amount: "100", currency: "EUR",
            description: "Salary", merchantName: nil, category: "INCOME", categorySource: "default",
            detailedCategory: nil, pending: false, notes: nil)
        for view in [full, sparse] {
            #expect(view.auditFields == AuditChanges.flattenJSON(view))
            #expect(AuditChanges.flatten(view) == view.auditFields)
        }
        let changes = AuditChanges.between(old: sparse, new: full)
        #expect(changes["pending"] == FieldChange(old: "false", new: "true"))
        #expect(changes["merchant_name"] == FieldChange(old: nil, new: "Café"))
    }

    @Test("A profile update records old and new values, with the request id", arguments: TestBackend.all)
    func updateRecordsChanges(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let ada = try await client.signUp()
            let updated = try await client.send(.PATCH, "/api/v1/users/me", token: ada.accessToken,
                                                json: ["full_name": "Ada King", "base_currency": "GBP"],
                                                headers: [("X-Request-Id", "audit-test-1")])
            #expect(updated.status == .ok)
            #expect(updated["base_currency"] as? String == "GBP")

            let page = try await client.send(.GET, "/api/v1/audit-events", token: ada.accessToken)
            let events = page["items"] as? [[String: Any]] ?? []
            let update = try #require(events.first)
            #expect(update["action"] as? String == "update")
            #expect(update["entity_type"] as? String == "user")
            #expect(update["request_id"] as? String == "audit-test-1")
            let changes = update["changes"] as? [String: [String: String]] ?? [:]
            #expect(changes["full_name"] == ["old": "Test Person", "new": "Ada King"])
            #expect(changes["base_currency"] == ["old": "USD", "new": "GBP"])
            #expect(changes.count == 2)
            // Newest first: the login and the registration came before.
            #expect(events.map { $0["action"] as? String } == ["update", "login", "create"])
        }
    }

    @Test("A password change is audited without the password or its hash", arguments: TestBackend.all)
    func passwordNeverRecorded(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let ada = try await client.signUp(password: "original secret 1")
            #expect(try await client.send(.POST, "/api/v1/users/me/password", token: ada.accessToken,
                                          json: ["current_password": ada.password, "new_password": "brand new secret 2"]).status == .noContent)
            let events = try await client.send(.GET, "/api/v1/audit-events", token: ada.accessToken)["items"] as? [[String: Any]] ?? []
            let change = try #require(events.first { $0["action"] as? String == "password_change" })
            #expect(change["changes"] as? [String: [String: String]] == ["password_hash": ["old": "[redacted]", "new": "[redacted]"]])

            let hash = try await app.db.asSystem { db in try await User.find(ada.id, on: db)?.passwordHash } ?? ""
            let everything = try await app.db.asSystem { db in
                try await AuditEvent.query(on: db).all().map { String(describing: $0.changes ?? [:]) }.joined()
            }
            #expect(!everything.contains("original secret"))
            #expect(!everything.contains("brand new secret"))
            #expect(!hash.isEmpty && !everything.contains(hash))
            #expect(!everything.contains("$2b$"))
        }
    }

    @Test("Failed logins and logouts are audited; the list pages with a cursor", arguments: TestBackend.all)
    func securityEventsAndPaging(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let ada = try await client.signUp()
            for _ in 0..<3 { try await client.send(.POST, "/api/v1/auth/login", json: ["email": ada.email, "password": "not the password"]) }
            #expect(try await app.scalar("SELECT count(*) FROM audit_events WHERE action = 'login_failed'") == 3)

            var seen: [String] = []
            var cursor: String?
            repeat {
                let query = cursor.map { "&cursor=\($0)" } ?? ""
                let page = try await client.send(.GET, "/api/v1/audit-events?limit=2\(query)", token: ada.accessToken)
                #expect(page.status == .ok)
                seen += (page["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                cursor = page["next_cursor"] as? String
            } while cursor != nil
            let total = try await app.scalar("SELECT count(*) FROM audit_events WHERE user_id = \(RawFixtures(app: app).uuid(ada.id))")
            #expect(seen.count == total)
            #expect(Set(seen).count == seen.count)

            #expect(try await client.send(.GET, "/api/v1/audit-events?limit=0", token: ada.accessToken).status == .unprocessableEntity)
            #expect(try await client.send(.GET, "/api/v1/audit-events?cursor=nonsense", token: ada.accessToken).status == .badRequest)
            #expect(try await client.send(.POST, "/api/v1/auth/logout", token: ada.accessToken).status == .noContent)
            #expect(try await app.scalar("SELECT count(*) FROM audit_events WHERE action = 'logout'") == 1)
        }
    }
}
