import Foundation
import PlaidKit
@testable import PlaidSimulator
import Testing

@Suite("Injected faults and Plaid's errors")
struct FaultAndErrorTests {
    @Test("A 500 fails a client that does not retry, and a retrying client gets through on its second attempt")
    func serverErrorThenRetry() async throws {
        try await SimulatorHarness.with { harness in
            let (accessToken, _) = try await harness.link()
            await harness.simulator.injectFault(.httpStatus(500), on: "/accounts/get")
            await #expect {
                try await harness.client(retries: 0).accounts(accessToken: accessToken)
            } throws: { isPlaidError($0, code: "INTERNAL_SERVER_ERROR", type: "API_ERROR", status: 500) }
            // The fault was used up: the next call succeeds.
            #expect(try await harness.client(retries: 0).accounts(accessToken: accessToken).accounts.count == 7)

            await harness.simulator.injectFault(.httpStatus(500), on: "/accounts/get", times: 2)
            #expect(try await harness.client(retries: 3).accounts(accessToken: accessToken).accounts.count == 7)
        }
    }

    @Test("A 429 is RATE_LIMIT_EXCEEDED with the endpoint's limit code")
    func rateLimit() async throws {
        try await SimulatorHarness.with { harness in
            let (accessToken, _) = try await harness.link()
            await harness.simulator.injectFault(.httpStatus(429), on: "/transactions/sync")
            await #expect {
                try await harness.syncPage(accessToken, cursor: nil, client: harness.client(retries: 0))
            } throws: { isPlaidError($0, code: "TRANSACTIONS_SYNC_LIMIT", type: "RATE_LIMIT_EXCEEDED", status: 429) }
            #expect(try await harness.syncPage(accessToken, cursor: nil, client: harness.client(retries: 0)).added.count == 304)
        }
    }

    @Test("PRODUCT_NOT_READY is an ITEM_ERROR with Plaid's message")
    func productNotReady() async throws {
        try await SimulatorHarness.with { harness in
            let (accessToken, _) = try await harness.link()
            await harness.simulator.injectFault(.plaidError(code: "PRODUCT_NOT_READY"), on: "/transactions/sync")
            await #expect {
                try await harness.syncPage(accessToken, cursor: nil)
            } throws: { error in
                guard case .plaid(let plaid, _) = error as? PlaidClientError else { return false }
                return isPlaidError(error, code: "PRODUCT_NOT_READY", type: "ITEM_ERROR", status: 400)
                    && plaid.errorMessage.hasPrefix("the requested product is not yet ready")
            }
        }
    }

    @Test("afterCalls skips calls: the second page fails with MUTATION_DURING_PAGINATION, and a restart succeeds")
    func faultAfterCalls() async throws {
        try await SimulatorHarness.with { harness in
            let (accessToken, _) = try await harness.link()
            await harness.simulator.injectFault(.plaidError(code: "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION"), on: "/transactions/sync", afterCalls: 1)
            let first = try await harness.syncPage(accessToken, cursor: nil, count: 100)
            #expect(first.hasMore && first.added.count == 100)
            await #expect {
                try await harness.syncPage(accessToken, cursor: first.nextCursor, count: 100)
            } throws: { isPlaidError($0, code: "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION", type: "TRANSACTIONS_ERROR", status: 400) }
            var ledger = Ledger()
            try await harness.syncAll(accessToken, into: &ledger, count: 100)
            #expect(ledger.transactions.count == 304)
        }
    }

    @Test("reset_login makes every product call ITEM_LOGIN_REQUIRED, shown on the item, until repairLogin")
    func loginRequiredUntilRepaired() async throws {
        try await SimulatorHarness.with { harness in
            let client = harness.client()
            let (accessToken, itemID) = try await harness.link()
            #expect(try await client.sandboxResetLogin(accessToken: accessToken).resetLogin)
            for call in [
                { _ = try await client.accounts(accessToken: accessToken) },
                { _ = try await client.balances(accessToken: accessToken) },
                { _ = try await client.syncTransactions(accessToken: accessToken, cursor: nil) },
                { _ = try await client.holdings(accessToken: accessToken) },
            ] as [@Sendable () async throws -> Void] {
                await #expect { try await call() } throws: { isPlaidError($0, code: "ITEM_LOGIN_REQUIRED", type: "ITEM_ERROR", status: 400) }
            }
            let broken = try await client.item(accessToken: accessToken).item
            #expect(broken.error?.errorCode == "ITEM_LOGIN_REQUIRED")
            #expect(broken.error?.errorType == "ITEM_ERROR")

            await harness.simulator.repairLogin(itemID: itemID)
            #expect(try await client.item(accessToken: accessToken).item.error == nil)
            #expect(try await client.accounts(accessToken: accessToken).accounts.count == 7)
        }
    }

    @Test("Wrong or missing credentials are INVALID_API_KEYS; credentials in the body work as well as headers")
    func credentials() async throws {
        try await SimulatorHarness.with { harness in
            await #expect {
                try await harness.client(secret: "wrong").institution(id: "ins_109508")
            } throws: { isPlaidError($0, code: "INVALID_API_KEYS", type: "INVALID_INPUT", status: 400) }
            let (status, json, _) = try await harness.raw("/institutions/get_by_id", ["institution_id": "ins_109508", "country_codes": ["US"]],
                                                          credentials: false)
            #expect(status == 400 && json["error_code"] as? String == "INVALID_API_KEYS" && json["request_id"] is String)
            let (okStatus, okJSON, _) = try await harness.raw("/institutions/get_by_id", ["institution_id": "ins_109508", "country_codes": ["US"]])
            #expect(okStatus == 200)
            #expect((okJSON["institution"] as? [String: Any])?["name"] as? String == "First Platypus Bank")
        }
    }

    @Test("Unknown and removed access tokens are INVALID_ACCESS_TOKEN; a public token works once")
    func tokens() async throws {
        try await SimulatorHarness.with { harness in
            let client = harness.client()
            await #expect {
                try await client.accounts(accessToken: "access-sandbox-00000000-0000-4000-8000-000000000000")
            } throws: { isPlaidError($0, code: "INVALID_ACCESS_TOKEN", type: "INVALID_INPUT", status: 400) }

            let publicToken = try await client.sandboxCreatePublicToken(
                SandboxPublicTokenCreateRequest(institutionId: "ins_109511", initialProducts: ["transactions"])).publicToken
            let exchanged = try await client.exchangePublicToken(publicToken)
            await #expect {
                try await client.exchangePublicToken(publicToken)
            } throws: { isPlaidError($0, code: "INVALID_PUBLIC_TOKEN", type: "INVALID_INPUT", status: 400) }

            try await client.removeItem(accessToken: exchanged.accessToken)
            #expect(await harness.simulator.itemID(accessToken: exchanged.accessToken) == nil)
            await #expect {
                try await client.item(accessToken: exchanged.accessToken)
            } throws: { isPlaidError($0, code: "INVALID_ACCESS_TOKEN", type: "INVALID_INPUT", status: 400) }
        }
    }

    @Test("Sandbox error passwords, unknown institutions and invalid requests answer Plaid's errors")
    func sandboxAndRequestErrors() async throws {
        try await SimulatorHarness.with { harness in
            let client = harness.client()
            await #expect {
                try await client.sandboxCreatePublicToken(SandboxPublicTokenCreateRequest(
                    institutionId: "ins_109508", initialProducts: ["transactions"], password: "error_ITEM_LOCKED"))
            } throws: { isPlaidError($0, code: "ITEM_LOCKED", type: "ITEM_ERROR", status: 400) }
            await #expect {
                try await client.sandboxCreatePublicToken(SandboxPublicTokenCreateRequest(
                    institutionId: "ins_109508", initialProducts: ["transactions"], password: "error_INVALID_CREDENTIALS"))
            } throws: { isPlaidError($0, code: "INVALID_CREDENTIALS", type: "ITEM_ERROR", status: 400) }
            await #expect {
                try await client.institution(id: "ins_999999")
            } throws: { isPlaidError($0, code: "INVALID_INSTITUTION", type: "INVALID_INPUT", status: 400) }

            let (emptyStatus, empty, _) = try await harness.raw("/sandbox/public_token/create", ["institution_id": "ins_109508", "initial_products": []])
            #expect(emptyStatus == 400 && empty["error_type"] as? String == "INVALID_REQUEST" && empty["error_code"] as? String == "INVALID_FIELD")
            let (missingStatus, missing, _) = try await harness.raw("/transactions/sync", ["cursor": ""])
            #expect(missingStatus == 400 && missing["error_code"] as? String == "MISSING_FIELDS")
            #expect((missing["error_message"] as? String)?.contains("access_token") == true)

            let (accessToken, _) = try await harness.link()
            for count in [0, 501] {
                let (status, json, _) = try await harness.raw("/transactions/sync", ["access_token": accessToken, "count": count])
                #expect(status == 400 && json["error_code"] as? String == "INVALID_FIELD")
                #expect((json["error_message"] as? String)?.contains("count") == true)
            }
            let (typeStatus, typeJSON, _) = try await harness.raw("/transactions/sync", ["access_token": accessToken, "count": "ten"])
            #expect(typeStatus == 400 && (typeJSON["error_message"] as? String)?.contains("count must be an integer") == true)
            let (cursorStatus, cursorJSON, _) = try await harness.raw("/transactions/sync", ["access_token": accessToken, "cursor": "bm90IGEgY3Vyc29y"])
            #expect(cursorStatus == 400 && cursorJSON["error_code"] as? String == "INVALID_FIELD")
            let (routeStatus, routeJSON, _) = try await harness.raw("/transactions/get_everything", ["access_token": accessToken])
            #expect(routeStatus == 404 && routeJSON["error_code"] as? String == "NOT_FOUND")
        }
    }

    @Test("Fault rules: the status and code catalog Plaid clients key on")
    func faultCatalog() {
        #expect(PlaidFailure.fault(.httpStatus(500), endpoint: "/item/get") == .code("INTERNAL_SERVER_ERROR"))
        #expect(PlaidFailure.fault(.httpStatus(429), endpoint: "/accounts/get").code == "ACCOUNTS_LIMIT")
        #expect(PlaidFailure.fault(.httpStatus(503), endpoint: "/item/get").type == "API_ERROR")
        #expect(PlaidFailure.fault(.httpStatus(502), endpoint: "/item/get").status == 502)
        #expect(PlaidFailure.fault(.plaidError(code: "INTERNAL_SERVER_ERROR"), endpoint: "/item/get").status == 500)
        #expect(PlaidFailure.fault(.plaidError(code: "INVALID_ACCESS_TOKEN"), endpoint: "/item/get").type == "INVALID_INPUT")
        #expect(PlaidFailure.fault(.plaidError(code: "SOMETHING_NEW"), endpoint: "/item/get").type == "ITEM_ERROR")
        #expect(PlaidFailure.code("ITEM_LOGIN_REQUIRED").documentationURL == "https://plaid.com/docs/errors/item/#item_login_required")
    }
}

@Suite("Answers a real Plaid client can read")
struct WireFormatTests {
    @Test("Required-but-nullable keys are present as null in the raw JSON")
    func nullsArePresent() async throws {
        try await SimulatorHarness.with { harness in
            let (accessToken, _) = try await harness.link()
            let (_, sync, syncText) = try await harness.raw("/transactions/sync", ["access_token": accessToken, "count": 500])
            let added = try #require(sync["added"] as? [[String: Any]])
            let required = ["transaction_id", "account_id", "amount", "iso_currency_code", "unofficial_currency_code", "date", "pending",
                            "pending_transaction_id", "account_owner", "name", "payment_channel", "payment_meta", "location", "authorized_date",
                            "authorized_datetime", "datetime", "transaction_code"]
            for transaction in added { #expect(Set(transaction.keys).isSuperset(of: required)) }
            let online = try #require(added.first { $0["payment_channel"] as? String == "online" })
            #expect(online["pending_transaction_id"] is NSNull && online["datetime"] is NSNull && online["transaction_code"] is NSNull)
            let location = try #require(online["location"] as? [String: Any])
            #expect(Set(location.keys) == ["address", "city", "region", "postal_code", "country", "lat", "lon", "store_number"])
            #expect(location.values.allSatisfy { $0 is NSNull })
            let meta = try #require(online["payment_meta"] as? [String: Any])
            #expect(Set(meta.keys) == ["reference_number", "ppd_id", "payee", "by_order_of", "payer", "payment_method", "payment_processor", "reason"])
            // No amount with more than two decimal places, in the text as sent.
            let amounts = syncText.matches(of: /"amount":(-?[0-9.]+)/).map { String($0.1) }
            #expect(amounts.count == added.count)
            #expect(amounts.allSatisfy { !$0.contains(".") || $0.split(separator: ".")[1].count <= 2 })

            let (_, accounts, _) = try await harness.raw("/accounts/get", ["access_token": accessToken])
            let list = try #require(accounts["accounts"] as? [[String: Any]])
            let loan = try #require(list.first { $0["subtype"] as? String == "student" })
            #expect(loan["official_name"] is NSNull)
            let checking = try #require(list.first { $0["subtype"] as? String == "checking" })
            let balances = try #require(checking["balances"] as? [String: Any])
            #expect(balances["limit"] is NSNull && balances["unofficial_currency_code"] is NSNull)
            let item = try #require(accounts["item"] as? [String: Any])
            #expect(item["webhook"] is NSNull && item["error"] is NSNull && item["consent_expiration_time"] is NSNull)
            #expect(item["update_type"] as? String == "background")

            let (_, holdings, _) = try await harness.raw("/investments/holdings/get", ["access_token": accessToken])
            let security = try #require((holdings["securities"] as? [[String: Any]])?.first)
            for key in ["isin", "cusip", "sedol", "institution_security_id", "institution_id", "proxy_security_id", "name", "ticker_symbol",
                        "is_cash_equivalent", "type", "close_price", "close_price_as_of", "iso_currency_code", "unofficial_currency_code",
                        "market_identifier_code", "sector", "industry", "cfi_code", "option_contract", "fixed_income"] {
                #expect(security.keys.contains(key), "\(key)")
            }
            #expect(security["sedol"] is NSNull)
            let investmentAccount = try #require((holdings["accounts"] as? [[String: Any]])?.first?["balances"] as? [String: Any])
            #expect(investmentAccount["margin_loan_amount"] is NSNull)

            let (_, item2, _) = try await harness.raw("/item/get", ["access_token": accessToken])
            #expect((item2["item"] as? [String: Any])?["created_at"] is String)
            #expect(((item2["status"] as? [String: Any])?["last_webhook"]) is NSNull)
        }
    }

    @Test("Institutions come from Plaid's sandbox list, with status when asked")
    func institutions() async throws {
        try await SimulatorHarness.with { harness in
            let institution = try await harness.client().institution(id: "ins_127287").institution
            #expect(institution.name == "Platypus OAuth Bank")
            #expect(institution.products.contains("transactions") && institution.countryCodes == ["US"])
            let (_, json, _) = try await harness.raw("/institutions/get_by_id", [
                "institution_id": "ins_132363", "country_codes": ["US"], "options": ["include_status": true],
            ])
            let raw = try #require(json["institution"] as? [String: Any])
            #expect(raw["oauth"] as? Bool == false && raw["routing_numbers"] is [String])
            let status = try #require(raw["status"] as? [String: Any])
            #expect((status["item_logins"] as? [String: Any])?["status"] as? String == "DEGRADED")
            let (wrongCountry, _, _) = try await harness.raw("/institutions/get_by_id", ["institution_id": "ins_109508", "country_codes": ["GB"]])
            #expect(wrongCountry == 400)
        }
    }

    @Test("Link tokens, options.account_ids, and the item a token names")
    func linkTokenAndAccountFilter() async throws {
        try await SimulatorHarness.with { harness in
            let client = harness.client()
            let link = try await client.createLinkToken(LinkTokenCreateRequest(clientName: "Finance", user: .init(clientUserId: "user-1"),
                                                                               products: ["transactions"]))
            #expect(link.linkToken.hasPrefix("link-sandbox-"))
            #expect(link.expiration.hasSuffix("Z"))
            let (accessToken, _) = try await harness.link()
            let all = try await client.accounts(accessToken: accessToken).accounts
            let savings = try #require(all.first { $0.subtype == "savings" })
            let filtered = try await client.call("/accounts/balance/get", AccountsGetRequest(accessToken: accessToken, accountIDs: [savings.accountId]),
                                                 as: AccountsGetResponse.self)
            #expect(filtered.accounts.map(\.accountId) == [savings.accountId])
            await #expect {
                try await client.call("/accounts/get", AccountsGetRequest(accessToken: accessToken, accountIDs: ["nope"]), as: AccountsGetResponse.self)
            } throws: { isPlaidError($0, code: "INVALID_ACCOUNT_ID", type: "INVALID_INPUT", status: 400) }
        }
    }

    @Test("Days, cents, cursors and the seeded generator")
    func building() throws {
        let day = try #require(Day(iso: "2024-02-29"))
        #expect(day.iso == "2024-02-29" && day.adding(1).iso == "2024-03-01")
        #expect(Day(iso: "2023-02-29") == nil && Day(iso: "2024-2-01") == nil)
        #expect(Day(year: 1970, month: 1, day: 1).number == 0 && Day(0).weekday == 4)
        #expect(day.firstOfMonth(adding: -2).iso == "2023-12-01" && day.inMonth(day: 31).iso == "2024-02-29")
        #expect(isoDateTime(unixSeconds: 86_400 + 3_723) == "1970-01-02T01:02:03Z")
        #expect([formatCents(1234), formatCents(-5), formatCents(1200), formatCents(1210), formatCents(0)] == ["12.34", "-0.05", "12", "12.1", "0"])
        let cursor = SyncCursor(position: 500, end: 1_504, itemID: "item-1")
        #expect(SyncCursor(cursor.encoded) == cursor && cursor.encoded.count <= 256)
        var a = SeededGenerator(seed: 9)
        var b = SeededGenerator(seed: 9)
        #expect(a.token() == b.token() && a.uuid() == b.uuid())
        let uuid = a.uuid()
        #expect(uuid.count == 36 && Array(uuid)[14] == "4" && UUID(uuidString: uuid) != nil)
        #expect(String(decoding: JSONWriter.pretty(["a": 1, "b": .array([]), "c": ["d": .null]]), as: UTF8.self)
            == "{\n  \"a\": 1,\n  \"b\": [],\n  \"c\": {\n    \"d\": null\n  }\n}")
        #expect(String(decoding: JSONWriter.compact(["q": "say \"hi\"\n"]), as: UTF8.self) == #"{"q":"say \"hi\"\n"}"#)
    }
}
