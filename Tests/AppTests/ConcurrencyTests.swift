@testable import App
import FinanceCore
import Fluent
import NIOConcurrencyHelpers
import Foundation
import Testing
import Vapor

/// Many clients at once, through the one write path: every answer is 2xx, what the answers said
/// happened is in the database and nothing else is, and every derived table equals a rebuild from
/// the ledger (`LedgerCheck`).
@Suite("Concurrent writes")
struct ConcurrencyTests {
    /// What one request came back with: its status, the id it made or named, its error code.
    struct Outcome: Sendable {
        let status: UInt
        let id: String?
        let code: String?

        init(_ reply: TestClient.Reply, id: String? = nil) {
            status = reply.status.code
            self.id = id ?? reply["id"] as? String
            code = reply.errorCode
        }

        var succeeded: Bool { (200..<300).contains(status) }
    }

    /// Runs `count` requests at once and answers their outcomes in order.
    static func concurrently(_ count: Int, _ request: @escaping @Sendable (Int) async throws -> Outcome) async throws -> [Outcome] {
        try await withThrowingTaskGroup(of: (Int, Outcome).self) { group in
            for index in 0..<count { group.addTask { (index, try await request(index)) } }
            var outcomes = [Outcome?](repeating: nil, count: count)
            for try await (index, outcome) in group { outcomes[index] = outcome }
            return outcomes.compactMap { $0 }
        }
    }

    /// Each account's balance as the API shows it, against its opening balance and its ledger.
    static func expectBalancesFollowLedgers(_ app: Application, _ client: TestClient, _ user: TestClient.SignedIn) async throws {
        let accounts = try await client.send(.GET, "/api/v1/accounts?include_hidden=true&include_closed=true", token: user.accessToken)
        let portfolios = try await client.send(.GET, "/api/v1/portfolios", token: user.accessToken)
        // An account tied to a portfolio is worth the portfolio, not its ledger.
        let tied = Set((portfolios["items"] as? [[String: Any]] ?? []).compactMap { $0["account_id"] as? String })
        let rows = try await app.transactions().filter { $0.userID == user.id }
        for account in try #require(accounts["items"] as? [[String: Any]])
        where account["is_manual"] as? Bool == true && !tied.contains(account["id"] as? String ?? "") {
            let id = try #require(UUID(uuidString: account["id"] as? String ?? ""))
            let opening = try #require(Amount(account["opening_balance"] as? String ?? ""))
            var sum = Amount.zero
            for row in rows where row.accountID == id { sum = try #require(sum.adding(row.amount)) }
            let expected = try #require(AccountBalance.current(opening: opening, ledgerSum: sum, type: AccountType(rawValue: account["type"] as? String ?? "")!))
            #expect(account["current_balance"] as? String == Money(expected, CurrencyCode("USD")!).formattedAmount, "\(account["name"] ?? "")")
        }
    }

    /// The balances follow the ledgers, and every derived table equals a rebuild.
    static func expectLedgerExact(_ app: Application, _ client: TestClient, _ user: TestClient.SignedIn) async throws {
        try await expectBalancesFollowLedgers(app, client, user)
        #expect(try await LedgerCheck.differences(userID: user.id, app: app) == [])
    }

    @Test("Writers at once on one account and one user: every 2xx write is there, none other is, and the balances are exact",
          arguments: TestBackend.all)
    func writersOnOneAccount(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let ada = try await client.signUp()
            let token = ada.accessToken
            let checking = try await client.account(ada, name: "Checking", type: "checking", opening: "100.00")
            let card = try await client.account(ada, name: "Card", type: "credit_card", opening: "50.00")

            let created = try await Self.concurrently(40) { index in
                let reply = try await client.send(.POST, "/api/v1/transactions", token: token, json: [
                    "account_id": index % 4 == 0 ? card : checking, "date": "2024-03-\(10 + index % 10)",
                    "amount": "-\(index).25", "description": "Write \(index)",
                ])
                return Outcome(reply)
            }
            #expect(created.allSatisfy { $0.status == 201 }, "\(created.filter { $0.status != 201 })")
            let ids = created.compactMap(\.id)
            #expect(ids.count == 40)

            // Edits, deletes, category changes and reads of the same rows and days, all at once.
            let mixed = try await Self.concurrently(60) { index in
                let row = index / 5
                switch index % 5 {
                case 0:
                    return Outcome(try await client.send(.PATCH, "/api/v1/transactions/\(ids[row])", token: token, json: ["amount": "-\(row).99"]))
                case 1:
                    return Outcome(try await client.send(.DELETE, "/api/v1/transactions/\(ids[20 + row])", token: token), id: ids[20 + row])
                case 2:
                    return Outcome(try await client.send(.PATCH, "/api/v1/transactions/\(ids[row])", token: token, json: ["category": "GENERAL_MERCHANDISE"]))
                case 3:
                    return Outcome(try await client.send(.GET, "/api/v1/balances/overview", token: token))
                default:
                    return Outcome(try await client.send(.GET, "/api/v1/transactions?limit=20", token: token))
                }
            }
            #expect(mixed.allSatisfy { $0.succeeded }, "\(mixed.filter { !$0.succeeded })")

            let rows = try await app.transactions()
            let deleted = Set(ids[20..<32])
            #expect(Set(rows.compactMap { $0.id?.uuidString.lowercased() }) == Set(ids.filter { !deleted.contains($0) }.map { $0.lowercased() }))
            for row in 0..<12 {
                let stored = try #require(rows.first { $0.id?.uuidString.lowercased() == ids[row].lowercased() })
                // Neither concurrent change of the row was lost.
                #expect(stored.amount == Amount("-\(row).99"))
                #expect(stored.category == .generalMerchandise)
            }
            try await Self.expectLedgerExact(app, client, ada)
        }
    }

    @Test("Labels moved at once, on rows made in the same moment and on one row again and again: the month totals equal a rebuild",
          arguments: TestBackend.all)
    func labelMovesAtOnce(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let ada = try await client.signUp()
            let token = ada.accessToken
            let checking = try await client.account(ada, name: "Checking", type: "checking")
            let card = try await client.account(ada, name: "Card", type: "credit_card")
            let shared = try await client.transaction(ada, account: checking, date: "2024-04-02", amount: "-8.00", description: "Shared")
            // Each chain makes a row and moves its labels three times while the others do the same:
            // writes of one user queued together settle as one batch, so some rows' creations and
            // other rows' moves in the same months, and several moves of one row, share a unit's end.
            let chains = try await Self.concurrently(16) { index in
                let made = try await client.send(.POST, "/api/v1/transactions", token: token, json: [
                    "account_id": index % 3 == 0 ? card : checking, "date": "2024-04-0\(1 + index % 3)",
                    "amount": index % 2 == 0 ? "-12.50" : "30", "description": "Chain \(index)"])
                guard made.status == .created, let id = made["id"] as? String else { return Outcome(made) }
                let moves: [[String: Any]] = [["category": "TRAVEL"], ["pending": true],
                                              ["category": index % 2 == 0 ? "FOOD_AND_DRINK" : "INCOME", "pending": false]]
                for body in moves {
                    let moved = try await client.send(.PATCH, "/api/v1/transactions/\(id)", token: token, json: body)
                    guard moved.status == .ok else { return Outcome(moved) }
                }
                // And one row that every chain moves back and forth.
                let shuttle = try await client.send(.PATCH, "/api/v1/transactions/\(shared)", token: token,
                                                    json: ["category": index % 2 == 0 ? "TRAVEL" : "ENTERTAINMENT", "pending": index % 4 < 2])
                return Outcome(shuttle, id: id)
            }
            #expect(chains.allSatisfy { $0.succeeded }, "\(chains.filter { !$0.succeeded })")
            try await Self.expectLedgerExact(app, client, ada)
        }
    }

    @Test("Random sequences of every kind of write, some at once: the derived tables equal a rebuild from the ledger",
          arguments: TestBackend.all)
    func randomWritesAgainstARebuild(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let ada = try await client.signUp()
            let token = ada.accessToken
            var accounts = [
                try await client.account(ada, name: "Checking", type: "checking", opening: "2500"),
                try await client.account(ada, name: "Savings", type: "savings", opening: "10000"),
                try await client.account(ada, name: "Card", type: "credit_card", opening: "300"),
            ]
            let brokerage = try await client.account(ada, name: "Brokerage", type: "investment")
            let acme = try #require(try await client.send(.POST, "/api/v1/investments", token: token,
                                                          json: ["symbol": "ACME", "name": "Acme", "type": "stock", "currency": "USD"])["id"] as? String)
            let portfolio = try #require(try await client.send(.POST, "/api/v1/portfolios", token: token,
                                                               json: ["name": "Brokerage", "currency": "USD", "account_id": brokerage])["id"] as? String)
            var generator = SplitMix64(seed: 2024)
            var live: [String] = []

            for round in 0..<6 {
                // Each round's requests touch rows no other request of the round deletes.
                live.shuffle(using: &generator)
                let edits = Array(live.prefix(4)), deletions = Array(live.dropFirst(4).prefix(2))
                let plan: [(Int, Int, String)] = (0..<14).map { slot in
                    (slot, Int.random(in: 0..<1_000, using: &generator), accounts[Int.random(in: 0..<accounts.count, using: &generator)])
                }
                let snapshotAccounts = accounts
                let outcomes = try await Self.concurrently(plan.count) { index in
                    let (slot, draw, account) = plan[index]
                    let day = "2024-0\(1 + draw % 6)-\(String(format: "%02d", 1 + draw % 28))"
                    switch slot {
                    case 0..<4:
                        return Outcome(try await client.send(.POST, "/api/v1/transactions", token: token, json: [
                            "account_id": account, "date": day, "amount": draw % 3 == 0 ? "\(draw).10" : "-\(draw).35",
                            "description": "Round \(round) #\(slot)", "merchant_name": draw % 2 == 0 ? "Corner Coffee" : "Grocer",
                        ]))
                    case 4:
                        // A transfer: out of one account and into another, same day and amount.
                        let other = snapshotAccounts.first { $0 != account } ?? account
                        let out = try await client.send(.POST, "/api/v1/transactions", token: token,
                                                        json: ["account_id": account, "date": day, "amount": "-\(draw).00", "description": "Move out"])
                        guard out.status == .created else { return Outcome(out) }
                        return Outcome(try await client.send(.POST, "/api/v1/transactions", token: token,
                                                             json: ["account_id": other, "date": day, "amount": "\(draw).00", "description": "Move in"]))
                    case 5..<9 where slot - 5 < edits.count:
                        let body: [String: Any] = switch draw % 3 {
                        case 0: ["amount": "-\(draw).45"]
                        case 1: ["date": day, "account_id": account]
                        default: ["category": "TRAVEL"]
                        }
                        return Outcome(try await client.send(.PATCH, "/api/v1/transactions/\(edits[slot - 5])", token: token, json: body))
                    case 9..<11 where slot - 9 < deletions.count:
                        return Outcome(try await client.send(.DELETE, "/api/v1/transactions/\(deletions[slot - 9])", token: token),
                                       id: deletions[slot - 9])
                    case 11:
                        let csv = "Date,Description,Amount\n\(day),Imported \(round) a,-\(draw).01\n\(day),Imported \(round) b,\(draw).02\n"
                        let path = "/api/v1/accounts/\(account)/imports?format=csv&date_column=Date&description_column=Description&amount_column=Amount"
                        return Outcome(try await client.send(.POST, path, token: token, file: csv))
                    case 12:
                        switch round % 3 {
                        case 0:
                            let rule = try await client.send(.POST, "/api/v1/rules", token: token, json: [
                                "match_field": "merchant", "match_kind": "contains", "match_value": "coffee", "category": "FOOD_AND_DRINK",
                            ])
                            guard rule.status == .created else { return Outcome(rule) }
                            return Outcome(try await client.send(.POST, "/api/v1/rules/apply", token: token))
                        case 1:
                            return Outcome(try await client.send(.PATCH, "/api/v1/accounts/\(account)", token: token, json: ["opening_balance": "\(draw)"]))
                        default:
                            let ids = edits.isEmpty ? [] : [edits[0]]
                            guard !ids.isEmpty else { return Outcome(try await client.send(.GET, "/api/v1/accounts", token: token)) }
                            return Outcome(try await client.send(.POST, "/api/v1/transactions/bulk-update", token: token,
                                                                 json: ["ids": ids, "category": "ENTERTAINMENT"]))
                        }
                    case 13:
                        if round % 2 == 0 {
                            let prices = try await client.send(.POST, "/api/v1/investments/\(acme)/prices", token: token,
                                                               json: ["prices": [["date": day, "close": "\(10 + draw % 7)"]]])
                            guard prices.status == .ok else { return Outcome(prices) }
                        }
                        return Outcome(try await client.send(.POST, "/api/v1/portfolios/\(portfolio)/transactions", token: token,
                                                             json: ["date": day, "activity": "buy", "investment_id": acme, "quantity": "\(1 + draw % 5)", "price": "10"]))
                    default:
                        return Outcome(try await client.send(.GET, "/api/v1/balances/overview", token: token))
                    }
                }
                #expect(outcomes.allSatisfy { $0.succeeded }, "round \(round): \(outcomes.filter { !$0.succeeded })")
                live.removeAll { deletions.contains($0) }
                // The transactions made by slots 0 to 4 (the others made imports, rules and trades).
                live += outcomes.prefix(5).compactMap { $0.status == 201 ? $0.id : nil }
                if round == 3 {
                    // A new account joins, and one with transactions leaves.
                    accounts.append(try await client.account(ada, name: "Second card", type: "credit_card", opening: "0"))
                    let leaving = accounts.remove(at: 1)
                    #expect(try await client.send(.DELETE, "/api/v1/accounts/\(leaving)", token: token).status == .noContent)
                    let remaining = Set(try await app.transactions().compactMap { $0.id?.uuidString.lowercased() })
                    live = live.filter { remaining.contains($0.lowercased()) }
                }
                #expect(try await LedgerCheck.differences(userID: ada.id, app: app) == [], "after round \(round)")
            }
            try await Self.expectBalancesFollowLedgers(app, client, ada)
        }
    }

    @Test("A Plaid sync, an import and single writes of one user race: all land, once each, and the ledger stays exact",
          arguments: TestBackend.all)
    func syncAndImportRace(backend: TestBackend) async throws {
        try await ConnectionTests().withLinkedApp(backend) { app, simulator, client in
            let ada = try await client.signUp()
            let linked = try await ConnectionTests().link(client, ada)
            #expect(linked.status == .created, "\(linked.json)")
            let connection = try ConnectionTests().connectionID(linked)
            let cash = try await client.account(ada, name: "Cash", type: "checking", opening: "40")
            let activity = await simulator.advance()
            #expect(activity.added > 0)
            var csv = "Date,Description,Amount\n"
            for index in 0..<300 { csv += "2026-10-\(String(format: "%02d", 1 + index % 28)),Statement row \(index),-\(index % 90).\(index % 10)5\n" }
            let statement = csv, token = ada.accessToken
            let path = "/api/v1/accounts/\(cash)/imports?format=csv&date_column=Date&description_column=Description&amount_column=Amount"
            let outcomes = try await Self.concurrently(12) { index in
                switch index {
                case 0: return Outcome(try await client.send(.POST, "/api/v1/connections/\(connection)/sync", token: token))
                case 1: return Outcome(try await client.send(.POST, path, token: token, file: statement))
                default:
                    return Outcome(try await client.send(.POST, "/api/v1/transactions", token: token, json: [
                        "account_id": cash, "date": "2026-11-\(10 + index)", "amount": "-\(index).75", "description": "Beside the sync \(index)",
                    ]))
                }
            }
            #expect(outcomes.allSatisfy { $0.succeeded }, "\(outcomes.filter { !$0.succeeded })")
            // The bank's rows, each once; the cash account's, every one.
            let all = try await app.transactions().filter { $0.userID == ada.id }
            let banked = all.compactMap(\.plaidTransactionID)
            #expect(!banked.isEmpty && banked.count == Set(banked).count)
            let mine = all.filter { $0.accountID.uuidString == cash }
            #expect(mine.count == 300 + 10)
            try await Self.expectLedgerExact(app, client, ada)
        }
    }

    @Test("Writes at once where some fail after writing: each failure leaves nothing, and every other write lands",
          arguments: TestBackend.all)
    func failuresAmongWritersAtOnce(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let ada = try await client.signUp()
            let checking = try await client.account(ada, name: "Checking", type: "checking")
            // The balance stands at the largest amount there is: a deposit is written, then refused
            // when the balance is brought up to date (on SQLite, inside the same group commit as
            // the writes around it).
            let windfall = try await client.transaction(ada, account: checking, date: "2024-05-01", amount: Amount.max.description, description: "Windfall")
            let before = try await app.scalar("SELECT count(*) FROM audit_events")
            let outcomes = try await Self.concurrently(36) { index in
                let deposit = index % 3 == 0
                return Outcome(try await client.send(.POST, "/api/v1/transactions", token: ada.accessToken, json: [
                    "account_id": checking, "date": "2024-05-\(10 + index % 9)", "amount": deposit ? "1000.00" : "-1.00",
                    "description": deposit ? "Deposit \(index)" : "Coffee \(index)",
                ]))
            }
            for (index, outcome) in outcomes.enumerated() {
                if index % 3 == 0 {
                    #expect(outcome.status == 422 && outcome.code == "validation_failed", "\(index): \(outcome.status) \(outcome.code ?? "")")
                } else {
                    #expect(outcome.status == 201, "\(index): \(outcome.status) \(outcome.code ?? "")")
                }
            }
            let rows = try await app.transactions().filter { $0.userID == ada.id }
            // Exactly the writes that answered 2xx are there.
            #expect(Set(rows.compactMap { $0.id?.uuidString.lowercased() }) ==
                    Set(outcomes.compactMap { $0.succeeded ? $0.id?.lowercased() : nil } + [windfall.lowercased()]))
            #expect(rows.count == 1 + 24)
            // Each write that landed left its audit event; the refused ones left none.
            #expect(try await app.scalar("SELECT count(*) FROM audit_events") == before + 24)
            try await Self.expectLedgerExact(app, client, ada)
        }
    }

    @Test("The data version rises once per committed write, observers hear each commit, and a refused write changes nothing",
          arguments: TestBackend.all)
    func dataVersion(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let heard = NIOLockedValueBox<[LedgerCommit]>([])
            app.ledgerCommits.observe { commit in heard.withLockedValue { $0.append(commit) } }
            let client = TestClient(app: app)
            let ada = try await client.signUp()
            let version: @Sendable () async throws -> Int64 = {
                try await app.db.asSystem { db in try await DataVersions.current(ada.id, on: db) }
            }
            // Signing in raised it once (the audit trail shows the sign-in), outside the ledger.
            #expect(try await version() == 1)
            #expect(heard.withLockedValue { $0 }.isEmpty)
            let checking = try await client.account(ada, name: "Checking", type: "checking")
            #expect(try await version() == 2)
            try await client.transaction(ada, account: checking, date: "2024-05-01", amount: "-12.00", description: "Lunch")
            #expect(try await version() == 3)
            let commits = heard.withLockedValue { $0 }
            #expect(commits.map(\.version) == [2, 3])
            #expect(commits.last?.userID == ada.id)
            #expect(commits.last?.changes.kinds.contains("transaction") == true)
            #expect(commits.last?.changes.accounts == [try #require(UUID(uuidString: checking))])
            #expect(commits.last?.changes.days == LocalDate(year: 2024, month: 5, day: 1)!...LocalDate(year: 2024, month: 5, day: 1)!)

            // Refused inside its unit of work, after the version was raised (the new account is somebody
            // else's): nothing of it stays, and the version does not move.
            let bob = try await client.signUp()
            let bobs = try await client.account(bob, name: "Bob's", type: "checking")
            let refused = try await client.send(.PATCH, "/api/v1/transactions/\(try await Self.firstTransaction(app, ada))", token: ada.accessToken,
                                                json: ["amount": "-99.00", "account_id": bobs])
            #expect(refused.status == .notFound)
            #expect(try await version() == 3)
            #expect(try await app.transactions().first { $0.userID == ada.id }?.amount == Amount("-12.00"))
            #expect(heard.withLockedValue { $0.count } == 3) // Ada's two and Bob's account; none for the refusal.
        }
    }

    static func firstTransaction(_ app: Application, _ user: TestClient.SignedIn) async throws -> String {
        try #require(try await app.transactions().first { $0.userID == user.id }?.id?.uuidString)
    }

    @Test("A write that cannot have its turn in time answers 503 with Retry-After and writes nothing")
    func busyWriter() async throws {
        try await withTestApp(.sqlite, environment: [Settings.Key.writeWait.rawValue: "50"]) { app in
            let client = TestClient(app: app)
            let ada = try await client.signUp()
            let checking = try await client.account(ada, name: "Checking", type: "checking")
            // Another writer holds the turn for longer than the bound.
            try await app.writeTransactions.turn.acquire(within: .seconds(1))
            let reply = try await client.send(.POST, "/api/v1/transactions", token: ada.accessToken,
                                              json: ["account_id": checking, "date": "2024-05-01", "amount": "-1.00", "description": "Waits"])
            await app.writeTransactions.turn.release()
            #expect(reply.status == .serviceUnavailable)
            #expect(reply.errorCode == "busy")
            #expect(reply.headers.first(name: "Retry-After") == "1")
            #expect(try await app.scalar("SELECT count(*) FROM transactions") == 0)
            // Its turn come, the same write goes through.
            try await client.transaction(ada, account: checking, date: "2024-05-01", amount: "-1.00", description: "Waits")
            #expect(try await app.scalar("SELECT count(*) FROM transactions") == 1)
        }
    }

    @Test("Two server processes on one PostgreSQL write one user's ledger at once; it stays exact",
          .enabled(if: TestBackend.postgresURL != nil, "needs TEST_DATABASE_URL"))
    func twoServersOnePostgres() async throws {
        let secret = "a signing secret both servers share, of 32 bytes or more"
        try await withTestApp(.postgres, environment: [Settings.Key.jwtSecret.rawValue: secret]) { first in
            let second = try await Application.make(.testing)
            second.logger.logLevel = .warning
            do {
                let directory = FileManager.default.temporaryDirectory.appendingPathComponent("finance-second-\(UUID().uuidString)").path
                // The same secrets as the first server, as processes of one deployment share them.
                try await configure(second, settings: Settings.load(from: [
                    Settings.Key.dataDirectory.rawValue: directory, Settings.Key.bcryptCost.rawValue: "4",
                    Settings.Key.databaseURL.rawValue: try #require(TestBackend.postgresURL),
                    Settings.Key.jwtSecret.rawValue: secret,
                ]))
                let one = TestClient(app: first), two = TestClient(app: second)
                let ada = try await one.signUp()
                let checking = try await one.account(ada, name: "Checking", type: "checking", opening: "10")
                let outcomes = try await Self.concurrently(48) { index in
                    let client = index % 2 == 0 ? one : two
                    return Outcome(try await client.send(.POST, "/api/v1/transactions", token: ada.accessToken, json: [
                        "account_id": checking, "date": "2024-06-\(10 + index % 5)", "amount": "-\(index).50", "description": "Server \(index % 2)",
                    ]))
                }
                #expect(outcomes.allSatisfy { $0.status == 201 }, "\(outcomes.filter { $0.status != 201 })")
                #expect(try await first.scalar("SELECT count(*) FROM transactions") == 48)
                try await Self.expectBalancesFollowLedgers(first, one, ada)
                #expect(try await LedgerCheck.differences(userID: ada.id, app: second) == [])
            } catch {
                try? await second.asyncShutdown()
                throw error
            }
            try await second.asyncShutdown()
        }
    }
}
