@testable import App
import FinanceCore
import Foundation
import Testing
import Vapor

@Suite("Securities, portfolios and performance")
struct InvestmentTests {
    func security(_ client: TestClient, _ user: TestClient.SignedIn, symbol: String, type: String = "stock", currency: String = "USD") async throws -> String {
        let reply = try await client.send(.POST, "/api/v1/investments", token: user.accessToken,
                                          json: ["symbol": symbol, "name": "\(symbol) Inc.", "type": type, "currency": currency])
        #expect(reply.status == .created, "\(reply.json)")
        return try #require(reply["id"] as? String)
    }

    func prices(_ client: TestClient, _ user: TestClient.SignedIn, _ security: String, _ closes: [(String, String)]) async throws {
        let reply = try await client.send(.POST, "/api/v1/investments/\(security)/prices", token: user.accessToken,
                                          json: ["prices": closes.map { ["date": $0.0, "close": $0.1] }])
        #expect(reply.status == .ok, "\(reply.json)")
    }

    @discardableResult
    func trade(_ client: TestClient, _ user: TestClient.SignedIn, _ portfolio: String, _ json: [String: Any]) async throws -> TestClient.Reply {
        try await client.send(.POST, "/api/v1/portfolios/\(portfolio)/transactions", token: user.accessToken, json: json)
    }

    @Test("Trades make the holdings; an oversell changes nothing; performance matches the hand calculation", arguments: TestBackend.all)
    func tradesAndPerformance(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let user = try await client.signUp()
            let acme = try await security(client, user, symbol: "acme")
            try await prices(client, user, acme, [("2024-01-01", "10"), ("2024-01-02", "11"), ("2024-01-04", "12.1")])
            let created = try await client.send(.POST, "/api/v1/portfolios", token: user.accessToken, json: ["name": "Brokerage", "currency": "USD"])
            #expect(created.status == .created, "\(created.json)")
            let portfolio = try #require(created["id"] as? String)
            #expect(created["cost_basis_method"] as? String == "fifo")

            #expect(try await trade(client, user, portfolio, ["date": "2024-01-01", "activity": "buy", "investment_id": acme, "quantity": "100", "price": "10"]).status == .created)
            #expect(try await trade(client, user, portfolio, ["date": "2024-01-03", "activity": "transfer_in", "amount": "500"]).status == .created)
            #expect(try await trade(client, user, portfolio, ["date": "2024-01-03", "activity": "buy", "investment_id": acme, "quantity": "50", "price": "11"]).status == .created)

            let oversell = try await trade(client, user, portfolio, ["date": "2024-01-04", "activity": "sell", "investment_id": acme, "quantity": "150.00000001", "price": "12"])
            #expect(oversell.status == .unprocessableEntity)
            #expect(oversell.errorCode == "investment_rejected")
            let listed = try await client.send(.GET, "/api/v1/portfolios/\(portfolio)/transactions", token: user.accessToken)
            #expect((listed["items"] as? [Any])?.count == 3)
            let items = try await client.send(.GET, "/api/v1/portfolios/\(portfolio)/items", token: user.accessToken)
            #expect((items["items"] as? [[String: Any]])?.map { $0["quantity"] as? String } == ["150"])
            #expect((items["items"] as? [[String: Any]])?.map { $0["cost_basis"] as? String } == ["1550.00"])

            let performance = try await client.send(.GET, "/api/v1/portfolios/\(portfolio)/performance?from=2024-01-01&to=2024-01-04", token: user.accessToken)
            #expect(performance.status == .ok, "\(performance.json)")
            #expect((performance["time_weighted_return"] as? [String: Any])?["value"] as? String == "0.21")
            #expect((performance["end_value"] as? [String: Any])?["value"] as? String == "1815.00")
            #expect((performance["unrealized_gain"] as? [String: Any])?["value"] as? String == "265.00")
            #expect((performance["series"] as? [[String: Any]])?.map { $0["value"] as? String } == ["1000.00", "1100.00", "1650.00", "1815.00"])
            #expect((performance["money_weighted_return"] as? [String: Any])?["value"] != nil)
            // "ALL" starts with the first transaction.
            let all = try await client.send(.GET, "/api/v1/portfolios/\(portfolio)/performance?period=ALL&to=2024-01-04", token: user.accessToken)
            #expect(all["from"] as? String == "2024-01-01")
            #expect((all["time_weighted_return"] as? [String: Any])?["value"] as? String == "0.21")

            // Not computable: a period before any price of a held security.
            let early = try await client.send(.GET, "/api/v1/portfolios/\(portfolio)/performance?from=2023-12-01&to=2023-12-31", token: user.accessToken)
            #expect((early["time_weighted_return"] as? [String: Any])?["value"] == nil)
            #expect((early["time_weighted_return"] as? [String: Any])?["reason"] as? String == "nothing was invested in the period")

            // A sale under FIFO; switching the portfolio to average cost then re-prices what remains.
            #expect(try await trade(client, user, portfolio, ["date": "2024-01-04", "activity": "sell", "investment_id": acme, "quantity": "75", "price": "12.1"]).status == .created)
            let fifo = try await client.send(.GET, "/api/v1/portfolios/\(portfolio)/items", token: user.accessToken)
            // FIFO: the 75 sold are 75 of the first 100 (cost 750); 25 at 10 and 50 at 11 remain.
            #expect((fifo["items"] as? [[String: Any]])?.first?["cost_basis"] as? String == "800.00")
            #expect(try await client.send(.PATCH, "/api/v1/portfolios/\(portfolio)", token: user.accessToken, json: ["cost_basis_method": "average"]).status == .ok)
            let average = try await client.send(.GET, "/api/v1/portfolios/\(portfolio)/items", token: user.accessToken)
            // Average: 1550 for 150 units; 75 remain at half the cost.
            #expect((average["items"] as? [[String: Any]])?.first?["cost_basis"] as? String == "775.00")
        }
    }

    @Test("Allocation weights sum to exactly 1; the summary converts to the base currency", arguments: TestBackend.all)
    func allocationAndSummary(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let user = try await client.signUp()
            let today = LocalDate.utcDay(of: Date())
            let a = try await security(client, user, symbol: "AAA", type: "etf")
            let b = try await security(client, user, symbol: "BBB", type: "stock")
            let c = try await security(client, user, symbol: "CCC", type: "stock", currency: "EUR")
            for id in [a, b, c] { try await prices(client, user, id, [(today.adding(days: -5).description, "1")]) }
            #expect(try await client.send(.POST, "/api/v1/fx-rates", token: user.accessToken,
                                          json: ["rates": [["date": today.adding(days: -10).description, "base": "EUR", "quote": "USD", "rate": "2"]]]).status == .ok)
            let portfolio = try #require(try await client.send(.POST, "/api/v1/portfolios", token: user.accessToken,
                                                               json: ["name": "Mixed", "currency": "USD"])["id"] as? String)
            for (id, quantity) in [(a, "100"), (b, "100"), (c, "50")] {
                let reply = try await client.send(.POST, "/api/v1/portfolios/\(portfolio)/items", token: user.accessToken,
                                                  json: ["investment_id": id, "quantity": quantity, "cost_basis": "90"])
                #expect(reply.status == .created, "\(reply.json)")
            }
            // Hand-entered holdings: no transactions until they are removed.
            let refused = try await trade(client, user, portfolio, ["date": today.description, "activity": "transfer_in", "amount": "5"])
            #expect(refused.status == .conflict)

            let bySecurity = try await client.send(.GET, "/api/v1/portfolios/\(portfolio)/allocation?by=security", token: user.accessToken)
            #expect(bySecurity.status == .ok, "\(bySecurity.json)")
            let slices = try #require(bySecurity["slices"] as? [[String: Any]])
            // 100, 100 and 50 EUR at 2: thirds, the leftover ten-thousandth to the first.
            #expect(slices.map { $0["weight"] as? String } == ["0.3334", "0.3333", "0.3333"])
            #expect(bySecurity["total"] as? String == "300.00")
            let byType = try await client.send(.GET, "/api/v1/portfolios/\(portfolio)/allocation?by=type", token: user.accessToken)
            #expect(Dictionary(uniqueKeysWithValues: (byType["slices"] as? [[String: Any]] ?? []).map { ($0["key"] as! String, $0["weight"] as! String) })
                    == ["etf": "0.3333", "stock": "0.6667"])

            let summary = try await client.send(.GET, "/api/v1/investments/summary", token: user.accessToken)
            #expect((summary["total"] as? [String: Any])?["value"] as? String == "300.00")
            let row = try #require((summary["portfolios"] as? [[String: Any]])?.first)
            #expect((row["unrealized_gain"] as? [String: Any])?["value"] as? String == "30.00")
            let performance = try await client.send(.GET, "/api/v1/portfolios/\(portfolio)/performance", token: user.accessToken)
            #expect((performance["time_weighted_return"] as? [String: Any])?["reason"] as? String
                    == "the holdings were entered by hand, without transactions to measure returns from")
        }
    }

    @Test("Prices from CSV: a bad line saves nothing; the latest close becomes the current price", arguments: TestBackend.all)
    func priceImport(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let user = try await client.signUp()
            let id = try await security(client, user, symbol: "VTI", type: "etf")
            let csv = HTTPMediaType(type: "text", subType: "csv")
            let bad = try await client.send(.POST, "/api/v1/investments/\(id)/prices/import", token: user.accessToken,
                                            file: "date,close\n2024-01-02,250.10\n2024-01-03,abc\n", fileType: csv)
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.errorFields["line 3"]?.hasPrefix("close:") == true)
            let good = try await client.send(.POST, "/api/v1/investments/\(id)/prices/import", token: user.accessToken,
                                             file: "Date,Close\n2024-01-03,251.5\n2024-01-02,250.10\n", fileType: csv)
            #expect(good["saved"] as? Int == 2)
            let security = try await client.send(.GET, "/api/v1/investments/\(id)", token: user.accessToken)
            #expect(security["latest_price"] as? String == "251.5")
            #expect(security["latest_price_date"] as? String == "2024-01-03")
            let listed = try await client.send(.GET, "/api/v1/investments/\(id)/prices?from=2024-01-03", token: user.accessToken)
            #expect((listed["items"] as? [[String: Any]])?.map { $0["close"] as? String } == ["251.5"])
            let invalid = try await client.send(.POST, "/api/v1/investments", token: user.accessToken,
                                                json: ["name": " ", "type": "stock", "currency": "usd", "isin": "US123"])
            #expect(invalid.status == .unprocessableEntity)
            #expect(Set(invalid.errorFields.keys) == ["name", "currency", "isin"])
        }
    }
}

@Suite("Investment accounts follow their portfolios")
struct InvestmentAccountTests {
    @Test("A portfolio tied to an investment account sets its balance and its history, in the overview too", arguments: TestBackend.all)
    func tiedAccount(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let user = try await client.signUp()
            let token = user.accessToken
            let checking = try await client.account(user, name: "Checking", type: "checking", opening: "1000")
            let brokerage = try await client.account(user, name: "Brokerage", type: "investment")
            let acme = try #require(try await client.send(.POST, "/api/v1/investments", token: token,
                                                          json: ["symbol": "ACME", "name": "Acme", "type": "stock", "currency": "USD"])["id"] as? String)
            let notInvestment = try await client.send(.POST, "/api/v1/portfolios", token: token,
                                                      json: ["name": "Wrong", "currency": "USD", "account_id": checking])
            #expect(notInvestment.status == .unprocessableEntity)
            let portfolio = try #require(try await client.send(.POST, "/api/v1/portfolios", token: token,
                                                               json: ["name": "Brokerage", "currency": "USD", "account_id": brokerage])["id"] as? String)
            let taken = try await client.send(.POST, "/api/v1/portfolios", token: token, json: ["name": "Again", "currency": "USD", "account_id": brokerage])
            #expect(taken.status == .conflict)

            #expect(try await client.send(.POST, "/api/v1/investments/\(acme)/prices", token: token,
                                          json: ["prices": [["date": "2024-01-02", "close": "10"], ["date": "2024-01-05", "close": "12"]]]).status == .ok)
            let buy = try await client.send(.POST, "/api/v1/portfolios/\(portfolio)/transactions", token: token,
                                            json: ["date": "2024-01-02", "activity": "buy", "investment_id": acme, "quantity": "100", "price": "10"])
            #expect(buy.status == .created, "\(buy.json)")
            let dividend = try await client.send(.POST, "/api/v1/portfolios/\(portfolio)/transactions", token: token,
                                                 json: ["date": "2024-01-03", "activity": "dividend", "investment_id": acme, "amount": "25"])
            #expect(dividend.status == .created, "\(dividend.json)")

            // Holdings at market value plus cash: 100 × 12 + 25.
            let account = try await client.send(.GET, "/api/v1/accounts/\(brokerage)", token: token)
            #expect(account["current_balance"] as? String == "1225.00")
            let overview = try await client.send(.GET, "/api/v1/balances/overview", token: token)
            #expect(overview["net_worth"] as? String == "2225.00")
            let history = try await client.send(.GET, "/api/v1/balances/history?from=2024-01-01&to=2024-01-06&account_id=\(brokerage)", token: token)
            #expect((history["points"] as? [[String: Any]])?.map { $0["balance"] as? String }
                    == [nil, "1000.00", "1025.00", "1025.00", "1225.00", "1225.00"])

            // A new price moves the account; untying the portfolio gives the account back its own ledger.
            #expect(try await client.send(.POST, "/api/v1/investments/\(acme)/prices", token: token,
                                          json: ["prices": [["date": "2024-01-08", "close": "13"]]]).status == .ok)
            #expect(try await client.send(.GET, "/api/v1/accounts/\(brokerage)", token: token)["current_balance"] as? String == "1325.00")
            #expect(try await client.send(.PATCH, "/api/v1/portfolios/\(portfolio)", token: token, json: ["account_id": ""]).status == .ok)
            #expect(try await client.send(.GET, "/api/v1/accounts/\(brokerage)", token: token)["current_balance"] as? String == "0.00")
        }
    }
}
