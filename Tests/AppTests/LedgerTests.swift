@testable import App
import FinanceCore
import Foundation
import Testing
import Vapor

@Suite("Accounts and transactions")
struct LedgerTests {
    @Test("A manual account's balance follows its ledger; a liability's moves the other way", arguments: TestBackend.all)
    func balancesFollowTheLedger(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let ada = try await client.signUp()
            let checking = try await client.account(ada, name: "Checking", type: "checking", opening: "1000.00")
            let card = try await client.account(ada, name: "Visa", type: "credit_card", opening: "200")

            try await client.transaction(ada, account: checking, date: "2024-01-05", amount: "2500.00", description: "Salary")
            let rent = try await client.transaction(ada, account: checking, date: "2024-01-06", amount: "-1200.50", description: "Rent")
            try await client.transaction(ada, account: card, date: "2024-01-07", amount: "-45.99", description: "Groceries")
            try await client.transaction(ada, account: card, date: "2024-01-20", amount: "100", description: "Card payment")

            var reply = try await client.send(.GET, "/api/v1/accounts/\(checking)", token: ada.accessToken)
            #expect(reply["current_balance"] as? String == "2299.50")
            #expect(reply["is_manual"] as? Bool == true)
            reply = try await client.send(.GET, "/api/v1/accounts/\(card)", token: ada.accessToken)
            // Owed: 200 + 45.99 spent − 100 paid.
            #expect(reply["current_balance"] as? String == "145.99")
            #expect(reply["is_liability"] as? Bool == true)

            // Editing and deleting a past transaction moves the balance by the difference.
            #expect(try await client.send(.PATCH, "/api/v1/transactions/\(rent)", token: ada.accessToken, json: ["amount": "-1250.50"]).status == .ok)
            #expect(try await client.send(.GET, "/api/v1/accounts/\(checking)", token: ada.accessToken)["current_balance"] as? String == "2249.50")
            #expect(try await client.send(.DELETE, "/api/v1/transactions/\(rent)", token: ada.accessToken).status == .noContent)
            #expect(try await client.send(.GET, "/api/v1/accounts/\(checking)", token: ada.accessToken)["current_balance"] as? String == "3500.00")
            #expect(try await client.send(.PATCH, "/api/v1/accounts/\(checking)", token: ada.accessToken, json: ["opening_balance": "0"]).status == .ok)
            #expect(try await client.send(.GET, "/api/v1/accounts/\(checking)", token: ada.accessToken)["current_balance"] as? String == "2500.00")
        }
    }

    @Test("Filters combine, pages walk the whole set once, and totals cover the whole filtered set", arguments: TestBackend.all)
    func searchAndPaging(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let ada = try await client.signUp()
            let checking = try await client.account(ada, name: "Checking", type: "checking")
            let savings = try await client.account(ada, name: "Savings", type: "savings")
            for day in 1...9 {
                try await client.transaction(ada, account: checking, date: "2024-03-0\(day)", amount: "-\(day).25",
                                      description: "Corner Coffee #\(day)", merchant: "Corner Coffee", category: "FOOD_AND_DRINK")
            }
            try await client.transaction(ada, account: checking, date: "2024-03-05", amount: "3000", description: "Salary", category: "INCOME")
            try await client.transaction(ada, account: savings, date: "2024-03-05", amount: "500",
                                  description: "Transfer 100% in_full", category: "TRANSFER_IN")

            // Everything, two by two.
            var ids: [String] = [], dates: [String] = []
            var cursor: String?
            repeat {
                let page = try await client.send(.GET, "/api/v1/transactions?limit=2" + (cursor.map { "&cursor=\($0)" } ?? ""), token: ada.accessToken)
                #expect(page.status == .ok)
                let items = page["items"] as? [[String: Any]] ?? []
                ids += items.compactMap { $0["id"] as? String }
                dates += items.compactMap { $0["date"] as? String }
                cursor = page["next_cursor"] as? String
            } while cursor != nil
            #expect(ids.count == 11)
            #expect(Set(ids).count == 11)
            #expect(dates == dates.sorted(by: >))

            let all = try await client.send(.GET, "/api/v1/transactions", token: ada.accessToken)
            let totals = (all["totals"] as? [[String: Any]])?.first
            #expect(totals?["money_in"] as? String == "3500.00")
            #expect(totals?["money_out"] as? String == "-47.25")
            #expect(totals?["count"] as? Int == 11)

            let search = "/api/v1/transactions?account_id=\(checking)&category=FOOD_AND_DRINK&from=2024-03-03&to=2024-03-06&min_amount=-5.25&q=corner%20COFFEE"
            let coffees = try await client.send(.GET, search + "&totals=always", token: ada.accessToken)
            #expect((coffees["items"] as? [[String: Any]])?.compactMap { $0["amount"] as? String } == ["-5.25", "-4.25", "-3.25"])
            #expect(((coffees["totals"] as? [[String: Any]])?.first)?["money_out"] as? String == "-12.75")
            // Text and amounts need the rows summed: by default the page comes without totals.
            let unsummed = try await client.send(.GET, search, token: ada.accessToken)
            #expect((unsummed["items"] as? [[String: Any]])?.count == 3)
            #expect(unsummed["totals"] == nil)
            #expect(try await client.send(.GET, "/api/v1/transactions?totals=never", token: ada.accessToken)["totals"] == nil)
            #expect((try await client.send(.GET, "/api/v1/transactions?category=FOOD_AND_DRINK", token: ada.accessToken)["totals"] as? [[String: Any]])?.count == 1)
            #expect(try await client.send(.GET, "/api/v1/transactions?totals=sometimes", token: ada.accessToken).status == .badRequest)

            // % and _ in the search text match themselves, not anything.
            let literal = try await client.send(.GET, "/api/v1/transactions?q=100%25%20in_full", token: ada.accessToken)
            #expect((literal["items"] as? [[String: Any]])?.count == 1)
            let wildcard = try await client.send(.GET, "/api/v1/transactions?q=%25", token: ada.accessToken)
            #expect((wildcard["items"] as? [[String: Any]])?.count == 1)

            let bothAccounts = try await client.send(.GET, "/api/v1/transactions?account_id=\(checking)&account_id=\(savings)&category=INCOME&category=TRANSFER_IN", token: ada.accessToken)
            #expect((bothAccounts["items"] as? [[String: Any]])?.count == 2)
        }
    }

    @Test("PostgreSQL: a page decoded by position equals the same page decoded by column name, every field and filter included",
          .enabled(if: TestBackend.postgresURL != nil, "needs TEST_DATABASE_URL"))
    func pageDecodedByPosition() async throws {
        try await withTestApp(.postgres) { app in
            let client = TestClient(app: app)
            let ada = try await client.signUp()
            let checking = try await client.account(ada, name: "Checking", type: "checking")
            for (index, day) in ["2024-05-01", "2024-05-02", "2024-05-02", "2024-05-20"].enumerated() {
                var json: [String: Any] = ["account_id": checking, "date": day, "amount": "-\(index + 3).25", "description": "Coffee \\ tab\t\(index)"]
                if index % 2 == 0 {
                    // Every optional field set on half the rows, left out on the others.
                    json.merge(["merchant_name": "Bean Co", "authorized_date": "2024-04-30", "detailed_category": "FOOD_AND_DRINK_COFFEE",
                                "notes": "née ☕", "category": "FOOD_AND_DRINK", "pending": true]) { $1 }
                }
                #expect(try await client.send(.POST, "/api/v1/transactions", token: ada.accessToken, json: json).status == .created)
            }
            let search = try TransactionSearch(accountIDs: [checking], from: "2024-05-01", to: "2024-05-31", categories: nil,
                                               minAmount: "-100", maxAmount: "0", pending: nil, text: "coffee")
            let after = TransactionSearch.Position(date: LocalDate(year: 2024, month: 5, day: 30)!, id: UUID())
            let (byPosition, byName) = try await app.db.asUser(ada.id) { db in
                let query = search.pageQuery(userID: ada.id, after: after, limit: 10, engine: db.engine)
                // Every bind of the page goes to PostgreSQL as its own type, so the page takes this path.
                let rows = try #require(try await PostgresRows.all(query, on: db))
                return (try rows.map(TransactionRecord.init(postgres:)), try await db.sql.raw(query).all().map(TransactionRecord.init(row:)))
            }
            #expect(byPosition.count == 4)
            #expect(byPosition == byName)
            #expect(byPosition.contains { $0.notes == "née ☕" && $0.authorizedDate != nil && $0.pending && $0.category == .foodAndDrink })
            #expect(byPosition.contains { $0.notes == nil && $0.merchantName == nil && !$0.pending })
        }
    }

    @Test("Totals of any filter add up month rollups and the partial months at either end, exactly as the rows do", arguments: TestBackend.all)
    func totalsFromMonthRollups(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let ada = try await client.signUp()
            let accounts = [try await client.account(ada, name: "Checking", type: "checking"),
                            try await client.account(ada, name: "Card", type: "credit_card")]
            let categories = ["FOOD_AND_DRINK", "INCOME", "TRANSFER_OUT", "TRAVEL"]
            var random = SplitMix64(seed: 14)
            struct Row { let id: String; let account: String; var date: LocalDate; let amount: Amount; var category: String; var pending: Bool }
            var rows: [Row] = []
            let start = LocalDate(year: 2024, month: 1, day: 15)!
            for index in 0..<60 {
                let account = accounts[Int(random.next() % 2)]
                let date = start.adding(days: Int(random.next() % 120))
                let cents = Int(random.next() % 40_000) - 20_000
                let amount = Amount(units: Int64(cents) * 100)!
                let category = categories[Int(random.next() % UInt64(categories.count))]
                let pending = random.next() % 5 == 0
                let reply = try await client.send(.POST, "/api/v1/transactions", token: ada.accessToken, json: [
                    "account_id": account, "date": date.description, "amount": Money(amount, .usd).formattedAmount, "description": "Row \(index)",
                    "category": category, "pending": pending])
                #expect(reply.status == .created, "\(reply.json)")
                rows.append(Row(id: reply["id"] as? String ?? "", account: account, date: date, amount: amount, category: category, pending: pending))
            }
            // Edits of every kind the rollups follow: a category, a pending flag, a day across months, a deletion.
            for index in stride(from: 0, to: 20, by: 4) {
                rows[index].category = "TRAVEL"
                rows[index + 1].pending.toggle()
                rows[index + 2].date = rows[index + 2].date.adding(days: 45)
                _ = try await client.send(.PATCH, "/api/v1/transactions/\(rows[index].id)", token: ada.accessToken, json: ["category": "TRAVEL"])
                _ = try await client.send(.PATCH, "/api/v1/transactions/\(rows[index + 1].id)", token: ada.accessToken, json: ["pending": rows[index + 1].pending])
                _ = try await client.send(.PATCH, "/api/v1/transactions/\(rows[index + 2].id)", token: ada.accessToken, json: ["date": rows[index + 2].date.description])
                #expect(try await client.send(.DELETE, "/api/v1/transactions/\(rows[index + 3].id)", token: ada.accessToken).status == .noContent)
            }
            rows = rows.enumerated().filter { $0.offset >= 20 || $0.offset % 4 != 3 }.map(\.element)

            for round in 0..<40 {
                var query: [String] = [], kept = rows
                if random.next() % 2 == 0 {
                    let from = start.adding(days: Int(random.next() % 170) - 10)
                    query.append("from=\(from)")
                    kept = kept.filter { $0.date >= from }
                }
                if random.next() % 2 == 0 {
                    let to = start.adding(days: Int(random.next() % 170) - 10)
                    query.append("to=\(to)")
                    kept = kept.filter { $0.date <= to }
                }
                if random.next() % 3 == 0 {
                    query.append("account_id=\(accounts[round % 2])")
                    kept = kept.filter { $0.account == accounts[round % 2] }
                }
                if random.next() % 3 == 0 {
                    let category = categories[Int(random.next() % UInt64(categories.count))]
                    query.append("category=\(category)")
                    kept = kept.filter { $0.category == category }
                }
                if random.next() % 4 == 0 {
                    query.append("pending=true")
                    kept = kept.filter(\.pending)
                }
                let reply = try await client.send(.GET, "/api/v1/transactions?limit=1&" + query.joined(separator: "&"), token: ada.accessToken)
                if reply.status == .unprocessableEntity { continue } // to before from
                let totals = (reply["totals"] as? [[String: Any]])?.first
                let moneyIn = Amount.sum(kept.map(\.amount).filter { $0 > .zero }), moneyOut = Amount.sum(kept.map(\.amount).filter { $0 < .zero })
                #expect(totals?["count"] as? Int ?? 0 == kept.count, "\(query)")
                if !kept.isEmpty {
                    #expect(totals?["money_in"] as? String == Money(moneyIn ?? .zero, .usd).formattedAmount, "\(query)")
                    #expect(totals?["money_out"] as? String == Money(moneyOut ?? .zero, .usd).formattedAmount, "\(query)")
                }
            }
            #expect(try await LedgerCheck.differences(userID: ada.id, app: app) == [])
        }
    }

    @Test("Bad input gets field errors and changes nothing", arguments: TestBackend.all)
    func badInput(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let ada = try await client.signUp(), bob = try await client.signUp()
            let checking = try await client.account(ada, name: "Checking", type: "checking")
            let bobs = try await client.account(bob, name: "Bob's", type: "checking")
            func create(_ json: [String: Any]) async throws -> TestClient.Reply {
                try await client.send(.POST, "/api/v1/transactions", token: ada.accessToken, json: json)
            }
            let base: [String: Any] = ["account_id": checking, "date": "2024-02-29", "amount": "-1.00", "description": "x"]
            var bad = base; bad["amount"] = "12,50"
            #expect(try await create(bad).errorFields["amount"] != nil)
            bad = base; bad["amount"] = "1e3"
            #expect(try await create(bad).errorFields["amount"] != nil)
            bad = base; bad["date"] = "2024-02-30"
            #expect(try await create(bad).errorFields["date"] != nil)
            bad = base; bad["category"] = "SNACKS"
            let unknownCategory = try await create(bad)
            #expect(unknownCategory.status.code >= 400 && unknownCategory.status.code < 500)
            bad = base; bad["account_id"] = bobs
            #expect(try await create(bad).status == .notFound)
            bad = base; bad["currency"] = "EUR"
            #expect(try await create(bad).errorFields["currency"] != nil)
            let badAccount = try await client.send(.POST, "/api/v1/accounts", token: ada.accessToken,
                                                   json: ["name": " ", "type": "checking", "currency": "usd", "credit_limit": "-5"])
            #expect(badAccount.status == .unprocessableEntity)
            #expect(Set(badAccount.errorFields.keys) == ["name", "currency", "credit_limit"])
            #expect(try await app.scalar("SELECT count(*) FROM transactions") == 0)
            #expect(try await client.send(.GET, "/api/v1/transactions?from=2024-13-01", token: ada.accessToken).errorFields["from"] != nil)
            #expect(try await client.send(.GET, "/api/v1/transactions?limit=501", token: ada.accessToken).errorFields["limit"] != nil)
            #expect(try await client.send(.GET, "/api/v1/transactions/not-a-uuid", token: ada.accessToken).status == .notFound)
        }
    }

    @Test("Bulk update sets the category by hand on all or none", arguments: TestBackend.all)
    func bulkUpdate(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let ada = try await client.signUp(), bob = try await client.signUp()
            let checking = try await client.account(ada, name: "Checking", type: "checking")
            let first = try await client.transaction(ada, account: checking, date: "2024-01-01", amount: "-3", description: "A")
            let second = try await client.transaction(ada, account: checking, date: "2024-01-02", amount: "-4", description: "B")
            let bobsAccount = try await client.account(bob, name: "B", type: "checking")
            let bobs = try await client.transaction(bob, account: bobsAccount, date: "2024-01-02", amount: "-4", description: "B")

            let mixed = try await client.send(.POST, "/api/v1/transactions/bulk-update", token: ada.accessToken,
                                              json: ["ids": [first, second, bobs], "category": "TRAVEL"])
            #expect(mixed.status == .notFound)
            #expect(try await app.scalar("SELECT count(*) FROM transactions WHERE category = 'TRAVEL'") == 0)

            let done = try await client.send(.POST, "/api/v1/transactions/bulk-update", token: ada.accessToken,
                                             json: ["ids": [first, second], "category": "TRAVEL", "notes": "Trip"])
            #expect(done["updated"] as? Int == 2)
            let one = try await client.send(.GET, "/api/v1/transactions/\(first)", token: ada.accessToken)
            #expect(one["category"] as? String == "TRAVEL")
            #expect(one["category_source"] as? String == "user")
            #expect(one["notes"] as? String == "Trip")
        }
    }

    @Test("Export streams the filtered ledger as CSV across many pages, formulas defused", arguments: TestBackend.all)
    func exportCSV(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let ada = try await client.signUp()
            let checking = try await client.account(ada, name: "Checking, main", type: "checking")
            let accountID = try #require(UUID(uuidString: checking))
            let start = try #require(LocalDate(iso8601: "2020-01-01"))
            let rows = try (0..<2_345).map { index in
                NewTransactionRow(userID: ada.id, accountID: accountID, date: start.adding(days: index / 3),
                                  amount: try Amount(parsing: "-\(index % 50).0\(index % 10)"), currency: .usd,
                                  description: index == 0 ? "=HYPERLINK(\"x\")" : "Shop, \"quoted\" #\(index)",
                                  merchantName: nil, category: .generalMerchandise, pending: false)
            }
            try await TransactionBulkInsert.insert(rows, on: app.db)

            var text = ""
            try await app.testing().test(.GET, "/api/v1/transactions/export.csv", headers: ["Authorization": "Bearer \(ada.accessToken)"]) { response async throws in
                #expect(response.status == .ok)
                #expect(response.headers.contentType?.subType == "csv")
                #expect(response.headers.first(name: .contentDisposition)?.contains("transactions.csv") == true)
                text = response.body.string
            }
            let lines = text.components(separatedBy: "\r\n").filter { !$0.isEmpty }
            #expect(lines.first == TransactionExport.header.trimmingCharacters(in: .newlines))
            #expect(lines.count == 2_346)
            #expect(lines.contains { $0.contains("\"'=HYPERLINK(\"\"x\"\")\"") })
            #expect(lines.contains { $0.contains("\"Shop, \"\"quoted\"\" #7\"") && $0.contains("\"Checking, main\"") })
            // Newest first, as the search.
            let dates = lines.dropFirst().map { $0.split(separator: ",")[1] }
            #expect(dates.elementsEqual(dates.sorted(by: >)))

            var filtered = ""
            try await app.testing().test(.GET, "/api/v1/transactions/export.csv?from=2020-01-02&to=2020-01-02",
                                         headers: ["Authorization": "Bearer \(ada.accessToken)"]) { response async throws in
                filtered = response.body.string
            }
            #expect(filtered.components(separatedBy: "\r\n").filter { !$0.isEmpty }.count == 4)
        }
    }
}
