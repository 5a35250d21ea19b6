@testable import App
import FinanceCore
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor

@Suite("Balance overview, snapshots and net worth history")
struct BalanceTests {
    /// A checking account, a credit card and a loan over 2024, with a card payment and a loan payment
    /// from checking. Worked by hand:
    ///   checking 1000 +3000 (Jan 15) −1200 (Feb 1) −400 (Apr 1) −250 (Jun 30) −250 (Dec 1) = 1900
    ///   card owes 200 +80.50 (Mar 10) −250 (Jun 30) = 30.50
    ///   loan owes 10000 −400 (Apr 1) = 9600
    struct Household {
        let user: TestClient.SignedIn
        let checking, card, loan: String
    }

    static func household(_ client: TestClient) async throws -> Household {
        let user = try await client.signUp()
        let checking = try await client.account(user, name: "Checking", type: "checking", opening: "1000")
        let card = try await client.account(user, name: "Visa", type: "credit_card", opening: "200")
        let loan = try await client.account(user, name: "Car loan", type: "loan", opening: "10000")
        try await client.transaction(user, account: checking, date: "2024-01-15", amount: "3000", description: "Salary", category: "INCOME")
        try await client.transaction(user, account: checking, date: "2024-02-01", amount: "-1200", description: "Rent", category: "RENT_AND_UTILITIES")
        try await client.transaction(user, account: card, date: "2024-03-10", amount: "-80.50", description: "Groceries", category: "FOOD_AND_DRINK")
        try await client.transaction(user, account: checking, date: "2024-04-01", amount: "-400", description: "Loan payment", category: "LOAN_PAYMENTS")
        try await client.transaction(user, account: loan, date: "2024-04-01", amount: "400", description: "Payment received", category: "LOAN_PAYMENTS")
        try await client.transaction(user, account: checking, date: "2024-06-30", amount: "-250", description: "Card payment", category: "LOAN_PAYMENTS")
        try await client.transaction(user, account: card, date: "2024-06-30", amount: "250", description: "Payment, thank you", category: "LOAN_PAYMENTS")
        try await client.transaction(user, account: checking, date: "2024-12-01", amount: "-250", description: "Hardware store", category: "GENERAL_MERCHANDISE")
        return Household(user: user, checking: checking, card: card, loan: loan)
    }

    @Test("Checking, card and loan: the overview and the monthly history agree with the hand calculation", arguments: TestBackend.all)
    func handCalculation(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let home = try await Self.household(client)

            let overview = try await client.send(.GET, "/api/v1/balances/overview", token: home.user.accessToken)
            #expect(overview.status == .ok, "\(overview.json)")
            #expect(overview["assets"] as? String == "1900.00")
            #expect(overview["liabilities"] as? String == "9630.50")
            #expect(overview["net_worth"] as? String == "-7730.50")
            #expect(overview["base_currency"] as? String == "USD")
            let byType = try #require(overview["by_type"] as? [[String: Any]])
            #expect(Dictionary(uniqueKeysWithValues: byType.map { ($0["type"] as! String, $0["total"] as? String) })
                    == ["checking": "1900.00", "credit_card": "30.50", "loan": "9600.00"])
            // The ledger ended in 2024: nothing moved in the last year.
            let changes = try #require(overview["changes"] as? [[String: Any]])
            #expect(changes.map { $0["days"] as? Int } == [1, 30, 365])
            #expect(changes.allSatisfy { $0["change"] as? String == "0.00" && $0["net_worth_then"] as? String == "-7730.50" })

            let history = try await client.send(.GET, "/api/v1/balances/history?from=2024-01-01&to=2024-12-31&interval=month",
                                                 token: home.user.accessToken)
            #expect(history.status == .ok, "\(history.json)")
            let points = try #require(history["points"] as? [[String: Any]])
            #expect(points.map { $0["date"] as? String } == (1...12).map { month in
                LocalDate(year: 2024, month: month, day: 1)!.endOfMonth.description
            })
            #expect(points.map { $0["net_worth"] as? String } == [
                "4000.00", "2800.00", "-7480.50", "-7480.50", "-7480.50", "-7480.50",
                "-7480.50", "-7480.50", "-7480.50", "-7480.50", "-7480.50", "-7730.50",
            ])
            #expect(points[2]["assets"] as? String == "2800.00")
            #expect(points[2]["liabilities"] as? String == "10280.50")
            #expect(points[5]["liabilities"] as? String == "9630.50")

            // One account's own history: the card before its first transaction had no history.
            let card = try await client.send(.GET, "/api/v1/balances/history?from=2024-03-08&to=2024-03-11&account_id=\(home.card)",
                                             token: home.user.accessToken)
            #expect((card["points"] as? [[String: Any]])?.map { $0["balance"] as? String } == [nil, "200.00", "280.50", "280.50"])
        }
    }

    @Test("Spending and cash flow leave transfers out; savings rate is net over income", arguments: TestBackend.all)
    func analytics(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let home = try await Self.household(client)
            let token = home.user.accessToken

            let spending = try await client.send(.GET, "/api/v1/analytics/spending?from=2024-01-01&to=2024-12-31&group_by=category", token: token)
            #expect(spending.status == .ok, "\(spending.json)")
            let groups = try #require(spending["groups"] as? [[String: Any]])
            // The loan and card payments pair with their other halves: transfers, not spending.
            #expect(groups.map { $0["key"] as? String } == ["RENT_AND_UTILITIES", "GENERAL_MERCHANDISE", "FOOD_AND_DRINK"])
            #expect(groups.map { $0["total"] as? String } == ["1200.00", "250.00", "80.50"])
            #expect(spending["total"] as? String == "1530.50")
            #expect(spending["count"] as? Int == 3)

            let months = try await client.send(.GET, "/api/v1/analytics/spending?from=2024-01-01&to=2024-12-31&group_by=month", token: token)
            #expect((months["groups"] as? [[String: Any]])?.map { $0["key"] as? String } == ["2024-02", "2024-03", "2024-12"])

            let flow = try await client.send(.GET, "/api/v1/analytics/cashflow?from=2024-01-01&to=2024-03-31", token: token)
            #expect(flow.status == .ok, "\(flow.json)")
            let periods = try #require(flow["periods"] as? [[String: Any]])
            #expect(periods.map { $0["income"] as? String } == ["3000.00", "0.00", "0.00"])
            #expect(periods.map { $0["expenses"] as? String } == ["0.00", "1200.00", "80.50"])
            #expect(periods.map { $0["net"] as? String } == ["3000.00", "-1200.00", "-80.50"])
            #expect(periods.map { $0["savings_rate"] as? String } == ["1", nil, nil])

            // Moving the card payment a week away breaks the pair: both halves count again.
            let page = try await client.send(.GET, "/api/v1/transactions?q=thank", token: token)
            let payment = try #require((page["items"] as? [[String: Any]])?.first?["id"] as? String)
            #expect(try await client.send(.PATCH, "/api/v1/transactions/\(payment)", token: token, json: ["date": "2024-07-08"]).status == .ok)
            let after = try await client.send(.GET, "/api/v1/analytics/spending?from=2024-01-01&to=2024-12-31", token: token)
            #expect(after["total"] as? String == "1780.50")
        }
    }

    @Test("A EUR account of a USD user converts each day at that day's rate, and says when it cannot", arguments: TestBackend.all)
    func conversion(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let user = try await client.signUp()
            let euros = try await client.account(user, name: "Girokonto", type: "checking", currency: "EUR")
            try await client.transaction(user, account: euros, date: "2023-12-31", amount: "100", description: "Transfer in")
            let saved = try await client.send(.POST, "/api/v1/fx-rates", token: user.accessToken, json: ["rates": [
                ["date": "2024-01-01", "base": "EUR", "quote": "USD", "rate": "1.10"],
                ["date": "2024-01-03", "base": "USD", "quote": "EUR", "rate": "0.8"],
            ]])
            #expect(saved.status == .ok, "\(saved.json)")
            #expect(saved["saved"] as? Int == 2)

            let history = try await client.send(.GET, "/api/v1/balances/history?from=2023-12-30&to=2024-01-04", token: user.accessToken)
            let points = try #require(history["points"] as? [[String: Any]])
            // Dec 30: no balance yet (zero needs no rate); Dec 31: 100 EUR and no rate; then 1.10, then 1 / 0.8.
            #expect(points.map { $0["net_worth"] as? String } == ["0.00", nil, "110.00", "110.00", "125.00", "125.00"])
            #expect(points.map { $0["unconverted"] as? [String] } == [[], ["EUR"], [], [], [], []])

            let overview = try await client.send(.GET, "/api/v1/balances/overview", token: user.accessToken)
            #expect(overview["net_worth"] as? String == "125.00")
            #expect((overview["accounts"] as? [[String: Any]])?.first?["balance"] as? String == "100.00")
            #expect((overview["accounts"] as? [[String: Any]])?.first?["balance_in_base"] as? String == "125.00")
        }
    }

    @Test("Rates from CSV: a file with a bad line saves nothing and names the line", arguments: TestBackend.all)
    func rateImport(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let user = try await client.signUp()
            let csv = HTTPMediaType(type: "text", subType: "csv")
            let bad = try await client.send(.POST, "/api/v1/fx-rates/import", token: user.accessToken,
                                            file: "date,base,quote,rate\n2024-01-02,EUR,USD,1.1\n2024-02-30,EUR,USD,1.2\n", fileType: csv)
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.errorCode == "import_failed")
            #expect(bad.errorFields["line 3"]?.contains("date") == true)
            #expect(try await app.scalar("SELECT count(*) FROM fx_rates") == 0)

            let good = try await client.send(.POST, "/api/v1/fx-rates/import", token: user.accessToken,
                                             file: "date,base,quote,rate\n2024-01-02,EUR,USD,1.1\n2024-01-02,EUR,USD,1.15\n2024-01-03,GBP,USD,1.27\n",
                                             fileType: csv)
            #expect(good.status == .ok, "\(good.json)")
            #expect(good["saved"] as? Int == 2)
            let listed = try await client.send(.GET, "/api/v1/fx-rates?base=EUR", token: user.accessToken)
            #expect((listed["items"] as? [[String: Any]])?.map { $0["rate"] as? String } == ["1.15"])

            let invalid = try await client.send(.POST, "/api/v1/fx-rates", token: user.accessToken, json: ["rates": [
                ["date": "2024-01-02", "base": "EUR", "quote": "EUR", "rate": "1"],
                ["date": "2024-01-02", "base": "EUR", "quote": "USD", "rate": "-1"],
            ]])
            #expect(invalid.status == .unprocessableEntity)
            #expect(Set(invalid.errorFields.keys) == ["rates[0].quote", "rates[1].rate"])
            #expect(try await app.scalar("SELECT count(*) FROM fx_rates") == 2)
        }
    }

    @Test("Editing a transaction from three months ago moves every later snapshot by the difference, and none before", arguments: TestBackend.all)
    func pastEdit(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let user = try await client.signUp()
            let account = try await client.account(user, name: "Checking", type: "checking", opening: "500")
            var edited = ""
            for month in 1...6 {
                for day in [3, 17] {
                    let id = try await client.transaction(user, account: account, date: String(format: "2024-%02d-%02d", month, day),
                                                          amount: "-\(month * 10 + day).25", description: "Shop")
                    if month == 3, day == 17 { edited = id }
                }
            }
            let before = try await Self.snapshots(app, account: account)
            #expect(try await client.send(.PATCH, "/api/v1/transactions/\(edited)", token: user.accessToken, json: ["amount": "-100.00"]).status == .ok)
            let after = try await Self.snapshots(app, account: account)

            #expect(before.map(\.date) == after.map(\.date))
            let difference = try Amount(parsing: "-100.00").subtracting(try Amount(parsing: "-47.25"))!
            let editDay = LocalDate(iso8601: "2024-03-17")!
            for (old, new) in zip(before, after) {
                let expected = old.date >= editDay ? old.balance.adding(difference)! : old.balance
                #expect(new.balance == expected, "\(old.date)")
            }
            // The opening row and five earlier days stayed as they were.
            #expect(before.filter { $0.date < editDay }.count == 6)
            let current = try await client.send(.GET, "/api/v1/accounts/\(account)", token: user.accessToken)
            #expect((current["current_balance"] as? String).flatMap { try? Amount(parsing: $0) } == after.last?.balance)
        }
    }

    /// `steps` random writes over `accounts` from 2023-01-01 over `days` days: new transactions, and
    /// from the tenth step on, deletions of earlier ones and moves to another day and amount.
    static func randomWrites(_ client: TestClient, _ user: TestClient.SignedIn, accounts: [String], steps: Int, days: Int,
                             random: inout SplitMix64) async throws {
        var ids: [String] = []
        for step in 0..<steps {
            let account = accounts[random.next(below: accounts.count)]
            let date = LocalDate(iso8601: "2023-01-01")!.adding(days: random.next(below: days)).description
            let amount = "\(random.next(below: 2) == 0 ? "-" : "")\(random.next(below: 900)).\(random.next(below: 100))"
            switch (step, random.next(below: 5)) {
            case (10..., 0) where !ids.isEmpty:
                let id = ids.remove(at: random.next(below: ids.count))
                #expect(try await client.send(.DELETE, "/api/v1/transactions/\(id)", token: user.accessToken).status == .noContent)
            case (10..., 1) where !ids.isEmpty:
                let id = ids[random.next(below: ids.count)]
                #expect(try await client.send(.PATCH, "/api/v1/transactions/\(id)", token: user.accessToken,
                                              json: ["date": date, "amount": amount]).status == .ok)
            default:
                ids.append(try await client.transaction(user, account: account, date: date, amount: amount, description: "Step \(step)"))
            }
        }
    }

    @Test("Snapshots rebuilt from the ledger equal the ones kept along the way, over random ledgers", arguments: TestBackend.all)
    func rebuildEqualsIncremental(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let user = try await client.signUp()
            var random = SplitMix64(seed: 2024)
            let types = ["checking", "savings", "credit_card", "mortgage"]
            var accounts: [(id: String, type: AccountType)] = []
            for (index, type) in types.enumerated() {
                accounts.append((try await client.account(user, name: "Account \(index)", type: type, opening: "\(random.next(below: 5000)).\(random.next(below: 100))"),
                                 AccountType(rawValue: type)!))
            }
            try await Self.randomWrites(client, user, accounts: accounts.map(\.id), steps: 60, days: 700, random: &random)

            var kept: [String: [Snapshot]] = [:]
            for account in accounts { kept[account.id] = try await Self.snapshots(app, account: account.id) }
            let rebuilt = try await app.db.asSystem { db in try await BalanceSnapshots.rebuild(userID: user.id, on: db) }
            #expect(rebuilt == accounts.count)
            for account in accounts {
                let fresh = try await Self.snapshots(app, account: account.id)
                #expect(fresh == kept[account.id], "\(account.type)")
                // And both are the ledger replayed from the opening balance, exactly.
                let reply = try await client.send(.GET, "/api/v1/accounts/\(account.id)", token: user.accessToken)
                let opening = try Amount(parsing: reply["opening_balance"] as? String ?? "")
                let entries = try await app.transactions().filter { $0.accountID.uuidString == account.id.uppercased() }
                let replay = try #require(AccountBalance.daily(opening: opening, entries: entries.map { ($0.date, $0.amount) }, type: account.type))
                #expect(fresh.dropFirst().map { Snapshot(date: $0.date, balance: $0.balance) } == replay.map { Snapshot(date: $0.date, balance: $0.balance) })
                #expect(fresh.first?.balance == opening)
                #expect(fresh.last?.balance.description == (reply["current_balance"] as? String).flatMap { try? Amount(parsing: $0) }?.description)
            }
        }
    }

    @Test("Net worth history from the day sums adds up every counted account's own history, through edits, hiding, closing and deleting accounts, and deleting the user",
          arguments: TestBackend.all)
    func netWorthDaysFollowEveryWrite(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let user = try await client.signUp()
            var random = SplitMix64(seed: 35)
            var accounts: [(id: String, liability: Bool)] = []
            for (index, type) in ["checking", "savings", "credit_card", "mortgage"].enumerated() {
                let id = try await client.account(user, name: "Account \(index)", type: type, opening: "\(random.next(below: 5000)).\(random.next(below: 100))")
                accounts.append((id, type == "credit_card" || type == "mortgage"))
            }
            try await Self.randomWrites(client, user, accounts: accounts.map(\.id), steps: 50, days: 150, random: &random)

            // Net worth each day against the counted accounts' own histories (read from their snapshots), added up.
            let range = "from=2022-12-25&to=2023-06-10&interval=day"
            func expectHistoryAddsUp(counted: [(id: String, liability: Bool)], _ label: String) async throws {
                let history = try await client.send(.GET, "/api/v1/balances/history?\(range)", token: user.accessToken)
                let points = history["points"] as? [[String: Any]] ?? []
                #expect(points.count == 168, "\(label)")
                var expected = Array(repeating: Amount.zero, count: points.count)
                for account in counted {
                    let own = try await client.send(.GET, "/api/v1/balances/history?account_id=\(account.id)&\(range)", token: user.accessToken)
                    for (index, point) in (own["points"] as? [[String: Any]] ?? []).enumerated() {
                        guard let text = point["balance"] as? String else { continue } // before the account's history
                        let balance = try Amount(parsing: text)
                        expected[index] = try #require(expected[index].adding(account.liability ? balance.negated : balance))
                    }
                }
                for (index, point) in points.enumerated() {
                    #expect(point["net_worth"] as? String == Money(expected[index], .usd).formattedAmount, "\(label): \(point["date"] ?? "")")
                }
                #expect(try await LedgerCheck.differences(userID: user.id, app: app) == [], "\(label)")
            }
            try await expectHistoryAddsUp(counted: accounts, "after the writes")
            #expect(try await client.send(.PATCH, "/api/v1/accounts/\(accounts[1].id)", token: user.accessToken, json: ["is_hidden": true]).status == .ok)
            try await expectHistoryAddsUp(counted: [accounts[0], accounts[2], accounts[3]], "one account hidden")
            #expect(try await client.send(.PATCH, "/api/v1/accounts/\(accounts[2].id)", token: user.accessToken, json: ["is_closed": true]).status == .ok)
            try await expectHistoryAddsUp(counted: [accounts[0], accounts[3]], "and one closed")
            #expect(try await client.send(.DELETE, "/api/v1/accounts/\(accounts[0].id)", token: user.accessToken).status == .noContent)
            try await expectHistoryAddsUp(counted: [accounts[3]], "and one deleted")

            // The user goes, with every day's sums.
            #expect(try await client.send(.DELETE, "/api/v1/users/me", token: user.accessToken).status == .noContent)
            let left = try await app.db.asSystem { db in
                try await db.sql.raw("SELECT count(*) AS n FROM net_worth_days WHERE user_id = \(bind: user.id)").first()?.decode(column: "n", as: Int.self)
            }
            #expect(left == 0)
        }
    }

    @Test("Snapshots updated to another side, day or currency move their sums in the day sums with them (the database's own trigger)",
          arguments: TestBackend.all)
    func netWorthDaysFollowSnapshotKeys(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let user = try await client.signUp()
            var random = SplitMix64(seed: 38)
            let checking = try await client.account(user, name: "Checking", type: "checking", opening: "1200.00")
            let savings = try await client.account(user, name: "Savings", type: "savings", opening: "300.00")
            try await Self.randomWrites(client, user, accounts: [checking, savings], steps: 30, days: 60, random: &random)

            // Each day's sums as the trigger kept them, and as summing the snapshots again gives them (days that net to zero left out).
            struct DaySums: Hashable { let date: LocalDate; let currency: String; let assets: Amount; let liabilities: Amount }
            func sums(_ query: SQLQueryString) async throws -> Set<DaySums> {
                try await app.db.asSystem { db in
                    Set(try await db.sql.raw(query).all().map { row in
                        DaySums(date: try row.decode(column: "date", as: LocalDate.self), currency: try row.decode(column: "currency", as: String.self),
                                assets: try row.decode(column: "assets", as: Amount.self), liabilities: try row.decode(column: "liabilities", as: Amount.self))
                    }.filter { !$0.assets.isZero || !$0.liabilities.isZero })
                }
            }
            func expectSumsFollow(_ label: String) async throws {
                let kept = try await sums("SELECT date, currency, assets, liabilities FROM net_worth_days WHERE user_id = \(bind: user.id)")
                let summed = try await sums("""
                    SELECT date, currency, sum(CASE WHEN liability THEN 0 ELSE change END) AS assets,
                           sum(CASE WHEN liability THEN change ELSE 0 END) AS liabilities
                    FROM balance_snapshots WHERE user_id = \(bind: user.id) GROUP BY date, currency
                    """)
                #expect(!kept.isEmpty, "\(label)")
                #expect(kept == summed, "\(label)")
            }
            try await expectSumsFollow("after the writes")
            let moves: [(String, SQLQueryString)] = [
                ("one account's rows to the other side", "UPDATE balance_snapshots SET liability = NOT liability WHERE account_id = \(bind: UUID(uuidString: savings)!)"),
                ("one account's last row to a later day", """
                    UPDATE balance_snapshots SET date = \(bind: LocalDate(year: 2030, month: 1, day: 1)!)
                    WHERE account_id = \(bind: UUID(uuidString: checking)!)
                      AND date = (SELECT max(date) FROM balance_snapshots WHERE account_id = \(bind: UUID(uuidString: checking)!))
                    """),
                ("one account's rows to another currency", "UPDATE balance_snapshots SET currency = 'EUR' WHERE account_id = \(bind: UUID(uuidString: checking)!)"),
            ]
            for (label, move) in moves {
                try await app.db.asSystem { db in try await db.sql.raw(move).run() }
                try await expectSumsFollow(label)
            }
        }
    }

    @Test("A monthly subscription in the recent ledger is found, with the day it is next expected", arguments: TestBackend.all)
    func recurring(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let user = try await client.signUp()
            let account = try await client.account(user, name: "Checking", type: "checking", opening: "1000")
            let today = LocalDate.utcDay(of: Date())
            for months in 1...5 {
                try await client.transaction(user, account: account, date: today.adding(months: -months).description, amount: "-15.99",
                                             description: "STREAMFLIX.COM", merchant: "Streamflix")
            }
            for (days, amount) in [(3, "-12.00"), (40, "-230.10"), (41, "-7.45")] {
                try await client.transaction(user, account: account, date: today.adding(days: -days).description, amount: amount,
                                             description: "Mega Mart", merchant: "Mega Mart")
            }
            let reply = try await client.send(.GET, "/api/v1/analytics/recurring", token: user.accessToken)
            #expect(reply.status == .ok, "\(reply.json)")
            let items = try #require(reply["items"] as? [[String: Any]])
            #expect(items.map { $0["merchant"] as? String } == ["Streamflix"])
            #expect(items.first?["cadence"] as? String == "monthly")
            #expect(items.first?["occurrences"] as? Int == 5)
            #expect(items.first?["typical_amount"] as? String == "15.99")
            #expect(items.first?["next_expected_date"] as? String == today.adding(months: -1).adding(months: 1).description)
        }
    }

    @Test("An import adds to the daily totals exactly what summing every day again gives, transfers it pairs included", arguments: TestBackend.all)
    func importedTotals(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let user = try await client.signUp()
            let checking = try await client.account(user, name: "Checking", type: "checking", opening: "500")
            let card = try await client.account(user, name: "Visa", type: "credit_card")
            try await client.transaction(user, account: checking, date: "2024-03-01", amount: "-100", description: "Card payment")
            try await client.transaction(user, account: card, date: "2024-03-05", amount: "-7.50", description: "Bakery", category: "FOOD_AND_DRINK")
            // A day and category the import adds to, beside the ones it brings first.
            try await client.transaction(user, account: checking, date: "2024-03-06", amount: "-3", description: "Bus")
            let csv = "Date,Description,Amount\n2024-03-02,Payment thank you,100\n2024-03-05,Coffee,-20.00\n2024-03-05,Coffee,-20.00\n2024-03-06,Refund,5\n"
            let path = "/api/v1/accounts/\(card)/imports?format=csv&date_column=Date&description_column=Description&amount_column=Amount"
            let reply = try await client.send(.POST, path, token: user.accessToken, file: csv)
            #expect(reply.status == .created, "\(reply.json)")
            #expect(reply["added"] as? Int == 4)

            let kept = try await Self.dailyTotals(app)
            try await app.db.asSystem { db in try await DailyTotals.refresh(userID: user.id, around: [nil], on: db) }
            let summed = try await Self.dailyTotals(app)
            #expect(kept == summed)
            // The card payment and its other half are a transfer: neither day counts them.
            #expect(kept == [
                "2024-03-05 FOOD_AND_DRINK USD in 0 out 7.5 (0/1)",
                "2024-03-05 UNCATEGORIZED USD in 0 out 40 (0/2)",
                "2024-03-06 UNCATEGORIZED USD in 5 out 3 (1/1)",
            ])
        }
    }

    @Test("An import pairs transfers for its amounts alone, exactly as pairing the whole ledger again does", arguments: TestBackend.all)
    func importedTransferPairs(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let user = try await client.signUp()
            let checking = try await client.account(user, name: "Checking", type: "checking", opening: "1000")
            let savings = try await client.account(user, name: "Savings", type: "savings")
            let card = try await client.account(user, name: "Visa", type: "credit_card")
            let imported = try await client.account(user, name: "Brokerage cash", type: "checking")
            try await client.transaction(user, account: checking, date: "2024-03-01", amount: "-100", description: "To savings")
            try await client.transaction(user, account: savings, date: "2024-03-03", amount: "100", description: "From checking")
            try await client.transaction(user, account: card, date: "2024-05-12", amount: "250", description: "Payment received")
            try await client.transaction(user, account: checking, date: "2023-01-10", amount: "-40", description: "To savings")
            try await client.transaction(user, account: savings, date: "2023-01-11", amount: "40", description: "From checking")
            #expect(try await Self.transferFlags(app) == [
                "2023-01-10 -40": true, "2023-01-11 40": true, "2024-03-01 -100": true, "2024-03-03 100": true, "2024-05-12 250": false,
            ])

            // The imported 100 on the day of checking's -100 is nearer than savings' 100, so it takes the pair;
            // the -250 pairs with the card's 250; the -30 and the 40 have no partner in the window.
            let csv = "Date,Description,Amount\n2024-03-01,Incoming,100\n2024-05-10,Card payment,-250\n2024-05-10,Lunch,-30\n2023-06-01,Deposit,40\n"
            let path = "/api/v1/accounts/\(imported)/imports?format=csv&date_column=Date&description_column=Description&amount_column=Amount"
            let reply = try await client.send(.POST, path, token: user.accessToken, file: csv)
            #expect(reply.status == .created, "\(reply.json)")
            let kept = try await Self.transferFlags(app)
            #expect(kept == [
                "2023-01-10 -40": true, "2023-01-11 40": true, "2023-06-01 40": false,
                "2024-03-01 -100": true, "2024-03-01 100": true, "2024-03-03 100": false,
                "2024-05-10 -250": true, "2024-05-10 -30": false, "2024-05-12 250": true,
            ])
            _ = try await app.db.asSystem { db in try await TransferFlags.refresh(userID: user.id, around: [nil], on: db) }
            #expect(try await Self.transferFlags(app) == kept)
            let totals = try await Self.dailyTotals(app)
            try await app.db.asSystem { db in try await DailyTotals.refresh(userID: user.id, around: [nil], on: db) }
            #expect(try await Self.dailyTotals(app) == totals)
        }
    }

    @Test("New rows far apart are paired in regions of their own; rows near enough for a pair to span them share one")
    func transferRegions() throws {
        let window = TransferMatcher.window
        let day = try #require(LocalDate(year: 2024, month: 3, day: 1))
        // Candidates are read `window` days beyond each region: regions stay apart only while no pair can span them.
        #expect(TransferFlags.regions(around: [day, day.adding(days: 5 * window)], window: window)
                == [day.adding(days: -window)...day.adding(days: 6 * window)])
        #expect(TransferFlags.regions(around: [day.adding(days: 5 * window + 1), day, day], window: window)
                == [day.adding(days: -window)...day.adding(days: window),
                    day.adding(days: 4 * window + 1)...day.adding(days: 6 * window + 1)])
        let scattered = (0..<100).map { day.adding(days: $0 * 10 * window) }
        #expect(TransferFlags.regions(around: scattered, window: window, limit: 64)
                == [day.adding(days: -window)...day.adding(days: 990 * window + window)])
        #expect(TransferFlags.regions(around: [], window: window).isEmpty)
    }

    /// Each transaction's transfer flag, by its day and amount (unique in the tests that use it).
    static func transferFlags(_ app: Application) async throws -> [String: Bool] {
        try await app.db.asSystem { db in
            var flags: [String: Bool] = [:]
            for row in try await db.sql.raw("SELECT date, amount, is_transfer FROM transactions").all() {
                let key = "\(try row.decode(column: "date", as: LocalDate.self)) \(try row.decode(column: "amount", as: Amount.self))"
                flags[key] = try row.decode(column: "is_transfer", as: Bool.self)
            }
            return flags
        }
    }

    static func dailyTotals(_ app: Application) async throws -> [String] {
        try await app.db.asSystem { db in
            try await db.sql.raw("""
                SELECT date, category, currency, money_in, money_out, count_in, count_out FROM daily_totals ORDER BY date, category
                """).all().map { row in
                let day = try row.decode(column: "date", as: LocalDate.self), category = try row.decode(column: "category", as: String.self)
                let moneyIn = try row.decode(column: "money_in", as: Amount.self), moneyOut = try row.decode(column: "money_out", as: Amount.self)
                return "\(day) \(category) \(try row.decode(column: "currency", as: String.self)) in \(moneyIn) out \(moneyOut) "
                    + "(\(try row.decode(column: "count_in", as: Int.self))/\(try row.decode(column: "count_out", as: Int.self)))"
            }
        }
    }

    @Test("A ledger written before snapshots were kept gets its history when the server upgrades", arguments: TestBackend.all)
    func backfill(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let db = RawFixtures(app: app)
            let user = try await db.user()
            let account = try await db.account(user: user)
            try await db.transaction(user: user, account: account, amount: "-12.34", date: "2024-02-29")
            try await db.transaction(user: user, account: account, amount: "50", date: "2024-03-02", category: "INCOME")
            #expect(try await app.scalar("SELECT count(*) FROM balance_snapshots") == 0)

            try await BackfillLedgerHistory().prepare(on: app.db)

            let history = try await Self.snapshots(app, account: account.uuidString)
            #expect(history == [
                Snapshot(date: LocalDate(iso8601: "2024-02-28")!, balance: .zero),
                Snapshot(date: LocalDate(iso8601: "2024-02-29")!, balance: try Amount(parsing: "-12.34")),
                Snapshot(date: LocalDate(iso8601: "2024-03-02")!, balance: try Amount(parsing: "37.66")),
            ])
            #expect(try await Self.dailyTotals(app) == [
                "2024-02-29 FOOD_AND_DRINK USD in 0 out 12.34 (0/1)",
                "2024-03-02 INCOME USD in 50 out 0 (1/0)",
            ])
        }
    }

    @Test("Changing the opening balance moves every day of the history", arguments: TestBackend.all)
    func openingChange(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let user = try await client.signUp()
            let account = try await client.account(user, name: "Checking", type: "checking", opening: "100")
            try await client.transaction(user, account: account, date: "2024-01-10", amount: "50", description: "Gift")
            #expect(try await client.send(.PATCH, "/api/v1/accounts/\(account)", token: user.accessToken, json: ["opening_balance": "1000"]).status == .ok)
            #expect(try await Self.snapshots(app, account: account).map(\.balance) == [try Amount(parsing: "1000"), try Amount(parsing: "1050")])
        }
    }

    @Test("Somebody else's account has no history", arguments: TestBackend.all)
    func isolation(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let ada = try await client.signUp(), bob = try await client.signUp()
            let account = try await client.account(ada, name: "Ada's", type: "checking", opening: "10")
            let reply = try await client.send(.GET, "/api/v1/balances/history?account_id=\(account)", token: bob.accessToken)
            #expect(reply.status == .notFound)
            let overview = try await client.send(.GET, "/api/v1/balances/overview", token: bob.accessToken)
            #expect(overview["net_worth"] as? String == "0.00")
            #expect((overview["accounts"] as? [Any])?.isEmpty == true)
        }
    }

    @Test("The server's today is its clock's: a test sets the day, and the overview and the month's spending follow it",
          arguments: TestBackend.all)
    func clockSetsToday(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            // Just before midnight on the last day of a leap-year February.
            app.clock = .fixed(Date(timeIntervalSince1970: 1_709_251_199))
            let client = TestClient(app: app)
            let ada = try await client.signUp()
            let checking = try await client.account(ada, name: "Checking", type: "checking", opening: "1000")
            try await client.transaction(ada, account: checking, date: "2024-01-31", amount: "-100", description: "January")
            try await client.transaction(ada, account: checking, date: "2024-02-29", amount: "-50", description: "Leap day")
            let overview = try await client.send(.GET, "/api/v1/balances/overview", token: ada.accessToken)
            #expect(overview["as_of"] as? String == "2024-02-29")
            #expect((overview["changes"] as? [[String: Any]])?.compactMap { $0["since"] as? String } == ["2024-02-28", "2024-01-30", "2023-03-01"])
            #expect((overview["changes"] as? [[String: Any]])?.first?["change"] as? String == "-50.00")
            // The default period of analytics ends today, by the same clock.
            let spending = try await client.send(.GET, "/api/v1/analytics/spending", token: ada.accessToken)
            #expect(spending["to"] as? String == "2024-02-29", "\(spending.json)")
        }
    }

    struct Snapshot: Equatable {
        let date: LocalDate
        let balance: Amount
    }

    static func snapshots(_ app: Application, account: String) async throws -> [Snapshot] {
        let id = try #require(UUID(uuidString: account))
        return try await app.db.asSystem { db in
            try await db.sql.raw("SELECT date, current_balance FROM balance_snapshots WHERE account_id = \(bind: id) ORDER BY date").all().map {
                Snapshot(date: try $0.decode(column: "date", as: LocalDate.self), balance: try $0.decode(column: "current_balance", as: Amount.self))
            }
        }
    }
}

extension SplitMix64 {
    /// A value from 0 up to, not including, `bound`.
    mutating func next(below bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
