@testable import App
import Foundation
import Testing
import Vapor

@Suite("Categorization rules over HTTP")
struct RuleTests {
    @Test("A rule applies to new transactions and, on request, to old ones, never to a category chosen by hand", arguments: TestBackend.all)
    func coffeeRule(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let ada = try await client.signUp()
            let account = try #require(try await client.send(.POST, "/api/v1/accounts", token: ada.accessToken,
                                                             json: ["name": "Checking", "type": "checking", "currency": "USD"])["id"] as? String)
            func add(_ merchant: String, category: String? = nil) async throws -> [String: Any] {
                var json: [String: Any] = ["account_id": account, "date": "2024-05-01", "amount": "-3.80", "description": "POS \(merchant)", "merchant_name": merchant]
                if let category { json["category"] = category }
                return try await client.send(.POST, "/api/v1/transactions", token: ada.accessToken, json: json).json
            }
            let old = try await add("Blue Bottle COFFEE")
            let byHand = try await add("Coffee Roasters", category: "ENTERTAINMENT")
            #expect(old["category"] as? String == "UNCATEGORIZED")
            #expect(old["category_source"] as? String == "default")

            let rule = try await client.send(.POST, "/api/v1/rules", token: ada.accessToken,
                                             json: ["match_field": "merchant", "match_kind": "contains", "match_value": "COFFEE", "category": "FOOD_AND_DRINK"])
            #expect(rule.status == .created, "\(rule.json)")

            let new = try await add("corner coffee")
            #expect(new["category"] as? String == "FOOD_AND_DRINK")
            #expect(new["category_source"] as? String == "rule")
            let tea = try await add("Tea House")
            #expect(tea["category"] as? String == "UNCATEGORIZED")

            let applied = try await client.send(.POST, "/api/v1/rules/apply", token: ada.accessToken)
            #expect(applied["changed"] as? Int == 1)
            #expect(applied["examined"] as? Int == 3)
            let oldNow = try await client.send(.GET, "/api/v1/transactions/\(old["id"] as? String ?? "")", token: ada.accessToken)
            #expect(oldNow["category"] as? String == "FOOD_AND_DRINK")
            let byHandNow = try await client.send(.GET, "/api/v1/transactions/\(byHand["id"] as? String ?? "")", token: ada.accessToken)
            #expect(byHandNow["category"] as? String == "ENTERTAINMENT")
            #expect(byHandNow["category_source"] as? String == "user")
            // Applying again changes nothing.
            #expect(try await client.send(.POST, "/api/v1/rules/apply", token: ada.accessToken)["changed"] as? Int == 0)
        }
    }

    @Test("Priority decides between matching rules; invalid rules are refused", arguments: TestBackend.all)
    func priorityAndValidation(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let ada = try await client.signUp()
            let account = try #require(try await client.send(.POST, "/api/v1/accounts", token: ada.accessToken,
                                                             json: ["name": "Card", "type": "credit_card", "currency": "USD"])["id"] as? String)
            try await client.send(.POST, "/api/v1/rules", token: ada.accessToken,
                                  json: ["match_field": "description", "match_kind": "starts_with", "match_value": "uber", "category": "TRANSPORTATION"])
            try await client.send(.POST, "/api/v1/rules", token: ada.accessToken,
                                  json: ["priority": 1, "match_field": "description", "match_kind": "contains", "match_value": "eats",
                                         "max_amount": "-0.01", "account_id": account, "category": "FOOD_AND_DRINK"])
            let rules = try await client.send(.GET, "/api/v1/rules", token: ada.accessToken)["items"] as? [[String: Any]] ?? []
            #expect(rules.compactMap { $0["priority"] as? Int } == [1, 100])

            let eats = try await client.send(.POST, "/api/v1/transactions", token: ada.accessToken,
                                             json: ["account_id": account, "date": "2024-05-01", "amount": "-23", "description": "UBER EATS"])
            #expect(eats["category"] as? String == "FOOD_AND_DRINK")
            let ride = try await client.send(.POST, "/api/v1/transactions", token: ada.accessToken,
                                             json: ["account_id": account, "date": "2024-05-01", "amount": "-12", "description": "Uber trip"])
            #expect(ride["category"] as? String == "TRANSPORTATION")

            let noCondition = try await client.send(.POST, "/api/v1/rules", token: ada.accessToken, json: ["category": "TRAVEL"])
            #expect(noCondition.status == .unprocessableEntity)
            let halfText = try await client.send(.POST, "/api/v1/rules", token: ada.accessToken, json: ["match_value": "x", "category": "TRAVEL"])
            #expect(halfText.errorFields["match_value"] != nil)
            let upsideDown = try await client.send(.POST, "/api/v1/rules", token: ada.accessToken,
                                                   json: ["min_amount": "10", "max_amount": "-10", "category": "TRAVEL"])
            #expect(upsideDown.errorFields["max_amount"] != nil)
            let foreignAccount = try await client.send(.POST, "/api/v1/rules", token: ada.accessToken,
                                                       json: ["account_id": UUID().uuidString, "category": "TRAVEL"])
            #expect(foreignAccount.status == .notFound)
            #expect(try await app.scalar("SELECT count(*) FROM categorization_rules") == 2)
        }
    }
}
