import Foundation

/// The Plaid endpoints and the simulator's control routes: each reads its request fields, asks the
/// state, and answers the JSON body (the caller adds `request_id`).
struct PlaidAPI: Sendable {
    let state: SimulatorState
    let signer: WebhookSigner
    let deliver: @Sendable ([WebhookDelivery]) -> Void
    /// Where the simulator serves, for the pages it links to (Hosted Link).
    let baseURL: URL?

    static let endpoints: Set<String> = [
        "/link/token/create", "/link/token/get", "/item/public_token/exchange", "/item/get", "/item/remove", "/accounts/get", "/accounts/balance/get",
        "/transactions/sync", "/investments/holdings/get", "/investments/transactions/get", "/institutions/get_by_id",
        "/webhook_verification_key/get", "/sandbox/public_token/create", "/sandbox/item/fire_webhook", "/sandbox/item/reset_login",
    ]

    static let countryCodes: Set<String> = ["US", "GB", "ES", "NL", "FR", "IE", "CA", "DE", "IT", "PL", "DK", "NO", "SE", "EE", "LT", "LV", "PT",
                                            "BE", "AT", "FI"]

    func answer(_ path: String, _ body: RequestFields) async throws(PlaidFailure) -> JSONValue {
        switch path {
        case "/link/token/create": return try await createLinkToken(body)
        case "/link/token/get": return try await getLinkToken(body)
        case "/item/public_token/exchange":
            let exchanged = try await state.exchange(publicToken: try body.requiredString("public_token"))
            return ["access_token": .string(exchanged.accessToken), "item_id": .string(exchanged.itemID)]
        case "/item/get":
            let item = try await state.itemView(accessToken: try body.requiredString("access_token")).detailedJSON()
            return ["item": item.item, "status": item.status]
        case "/item/remove":
            let token = try body.requiredString("access_token")
            let reasons = ["FRAUD_FIRST_PARTY", "FRAUD_FALSE_IDENTITY", "FRAUD_ABUSE", "FRAUD_OTHER", "CONNECTION_IS_NON_FUNCTIONAL", "OTHER"]
            if let reason = try body.string("reason_code"), !reasons.contains(reason) {
                throw .invalidField("reason_code must be one of \(reasons.joined(separator: ", "))")
            }
            _ = try body.string("reason_note")
            try await state.removeItem(accessToken: token)
            return [:]
        case "/accounts/get", "/accounts/balance/get":
            let token = try body.requiredString("access_token")
            let options = try body.object("options")
            _ = try options?.string("min_last_updated_datetime")
            let answer = try await state.accounts(accessToken: token, ids: try options?.stringArray("account_ids"))
            return ["accounts": .array(answer.accounts.map { $0.json() }), "item": answer.item.json()]
        case "/transactions/sync": return try await sync(body)
        case "/investments/holdings/get":
            let token = try body.requiredString("access_token")
            let view = try await state.holdings(accessToken: token, ids: try body.object("options")?.stringArray("account_ids"))
            let securities = Set(view.holdings.map(\.security)).sorted().map { state.securities[$0].json(today: state.today) }
            return [
                "accounts": .array(view.accounts.map { $0.json(investment: true) }),
                "holdings": .array(view.holdings.map { $0.json(accountID: view.brokerageID, securities: state.securities, today: state.today) }),
                "securities": .array(securities),
                "item": view.item.json(),
                "is_investments_fallback_item": false,
            ]
        case "/investments/transactions/get": return try await investmentTransactions(body)
        case "/institutions/get_by_id":
            let id = try body.requiredString("institution_id")
            let countries = try countryCodes(body)
            let options = try body.object("options")
            _ = try options?.bool("include_auth_metadata")
            _ = try options?.bool("include_payment_initiation_metadata")
            guard let institution = SandboxInstitution.byID[id], institution.countryCodes.contains(where: countries.contains) else {
                throw .code("INVALID_INSTITUTION")
            }
            return ["institution": institution.json(includeStatus: try options?.bool("include_status") ?? false,
                                                    includeOptionalMetadata: try options?.bool("include_optional_metadata") ?? false,
                                                    today: state.today)]
        case "/webhook_verification_key/get":
            guard try body.requiredString("key_id") == signer.keyID else { throw .code("INVALID_WEBHOOK_VERIFICATION_KEY_ID") }
            return ["key": signer.jwk]
        case "/sandbox/public_token/create": return try await createSandboxPublicToken(body)
        case "/sandbox/item/fire_webhook":
            let token = try body.requiredString("access_token")
            let delivery = try await state.fireWebhook(accessToken: token, code: try body.requiredString("webhook_code"),
                                                       type: try body.string("webhook_type"))
            deliver([delivery])
            return ["webhook_fired": true]
        case "/sandbox/item/reset_login":
            deliver(try await state.resetLogin(accessToken: try body.requiredString("access_token")))
            return ["reset_login": true]
        default:
            throw .notFound(path)
        }
    }

    private func countryCodes(_ body: RequestFields) throws(PlaidFailure) -> [String] {
        let countries = try body.requiredStringArray("country_codes")
        guard !countries.isEmpty else { throw .invalidField("country_codes must name at least one country") }
        if let unknown = countries.first(where: { !Self.countryCodes.contains($0) }) {
            throw .invalidField("country_codes contains \(unknown), which is not a supported country code")
        }
        return countries
    }

    private func products(_ body: RequestFields, _ key: String) throws(PlaidFailure) -> [String]? {
        guard let products = try body.stringArray(key) else { return nil }
        if let unknown = products.first(where: { !plaidProducts.contains($0) }) {
            throw .invalidField("\(key) contains \(unknown), which is not a Plaid product")
        }
        return products
    }

    private func createLinkToken(_ body: RequestFields) async throws(PlaidFailure) -> JSONValue {
        let clientName = try body.requiredString("client_name")
        guard clientName.count <= 30 else { throw .invalidField("client_name must be at most 30 characters") }
        let language = try body.requiredString("language")
        let countries = try countryCodes(body)
        if let user = try body.object("user") {
            _ = try user.requiredString("client_user_id")
        } else if try body.string("user_id") == nil, try body.string("user_token") == nil {
            throw .missingFields(["user"])
        }
        let requested = try products(body, "products") ?? []
        _ = try products(body, "required_if_supported_products")
        let optional = try products(body, "optional_products") ?? []
        let webhook = try body.string("webhook")
        let redirectURI = try body.string("redirect_uri")
        if let days = try body.object("transactions")?.int("days_requested"), !(1...730).contains(days) {
            throw .invalidField("transactions.days_requested must be from 1 to 730")
        }
        // With an access token Link opens in update mode for that item, and its token lives 30 minutes instead of 4 hours.
        var lifetime = 4 * 3600
        let selectAccounts = try body.object("update")?.bool("account_selection_enabled") ?? false
        if let accessToken = try body.string("access_token") {
            _ = try await state.itemView(accessToken: accessToken)
            lifetime = 30 * 60
            if selectAccounts { try await state.offerAccountSelection(accessToken: accessToken) }
        } else if selectAccounts {
            throw .invalidField("update.account_selection_enabled needs access_token: account selection is an update mode of an existing item")
        }
        let linkToken = "link-sandbox-\(await state.nextUUID())"
        var answer: JSONValue = [
            "link_token": .string(linkToken),
            "expiration": .string(isoDateTime(unixSeconds: unixNow() + lifetime)),
        ]
        if let hosted = try body.object("hosted_link") {
            guard let baseURL else { throw .invalidField("hosted_link needs the simulator to be serving") }
            let now = unixNow()
            await state.openHostedSession(.init(
                linkToken: linkToken, createdAt: now, expiresAt: now + lifetime, completionRedirectURI: try hosted.string("completion_redirect_uri"),
                accessToken: try body.string("access_token"), products: requested, optionalProducts: optional, webhook: webhook,
                clientName: clientName, language: language, countryCodes: countries, redirectURI: redirectURI))
            answer = answer.adding("hosted_link_url", .string(baseURL.appendingPathComponent("hosted-link").appendingPathComponent(linkToken).absoluteString))
        }
        return answer
    }

    /// `/link/token/get`: the token's Hosted Link session, with the items it added once finished.
    private func getLinkToken(_ body: RequestFields) async throws(PlaidFailure) -> JSONValue {
        let linkToken = try body.requiredString("link_token")
        guard let session = await state.hostedSession(linkToken: linkToken) else { throw .code("INVALID_LINK_TOKEN") }
        func optional(_ text: String?) -> JSONValue { text.map { .string($0) } ?? .null }
        var answer: JSONValue = [
            "link_token": .string(linkToken),
            "created_at": .string(isoDateTime(unixSeconds: session.createdAt)),
            "expiration": .string(isoDateTime(unixSeconds: session.expiresAt)),
            "metadata": [
                "initial_products": .array(session.products.map { .string($0) }), "webhook": optional(session.webhook),
                "country_codes": .array(session.countryCodes.map { .string($0) }), "language": .string(session.language),
                "redirect_uri": optional(session.redirectURI), "client_name": .string(session.clientName),
            ],
        ]
        var sessions: [JSONValue] = []
        if let sessionID = session.sessionID, let finishedAt = session.finishedAt {
            let institution: JSONValue = session.institution.map { ["name": .string($0.name), "institution_id": .string($0.id)] } ?? [:]
            let none: JSONValue = .array([])
            sessions.append([
                "link_session_id": .string(sessionID),
                "started_at": .string(isoDateTime(unixSeconds: session.createdAt)),
                "finished_at": .string(isoDateTime(unixSeconds: finishedAt)),
                "results": [
                    "item_add_results": .array(session.publicTokens.map { ["public_token": .string($0), "accounts": none, "institution": institution] }),
                    "cra_item_add_results": none, "cra_update_results": none, "bank_income_results": none, "payroll_income_results": none,
                    "document_income_results": ["num_paystubs_uploaded": 0, "num_w2s_uploaded": 0, "num_bank_statements_uploaded": 0,
                                                "num_1099s_uploaded": 0, "num_i20s_uploaded": 0],
                ],
            ])
        }
        answer = answer.adding("link_sessions", .array(sessions))
        return answer
    }

    private func createSandboxPublicToken(_ body: RequestFields) async throws(PlaidFailure) -> JSONValue {
        let institutionID = try body.requiredString("institution_id")
        guard let requested = try products(body, "initial_products") else { throw .missingFields(["initial_products"]) }
        guard !requested.isEmpty else { throw .invalidField("initial_products must name at least one product") }
        let options = try body.object("options")
        let webhook = try options?.string("webhook")
        let username = try options?.string("override_username") ?? "user_good"
        let password = try options?.string("override_password") ?? "pass_good"
        if let transactions = try options?.object("transactions") {
            _ = try transactions.string("start_date")
            _ = try transactions.string("end_date")
            if let days = try transactions.int("days_requested"), !(1...730).contains(days) {
                throw .invalidField("options.transactions.days_requested must be from 1 to 730")
            }
        }
        guard let institution = SandboxInstitution.byID[institutionID] else { throw .code("INVALID_INSTITUTION") }
        // Plaid's sandbox answers `error_<CODE>` passwords with that error, and a wrong password for user_good.
        if password.hasPrefix("error_"), password.count > 6 { throw .code(String(password.dropFirst(6))) }
        if username == "user_good", password != "pass_good" { throw .code("INVALID_CREDENTIALS") }
        guard requested.allSatisfy(institution.products.contains) else { throw .code("PRODUCTS_NOT_SUPPORTED") }
        let products = Array(Set(requested)).sorted()
        return ["public_token": .string(await state.createItem(institution: institution, products: products, webhook: webhook))]
    }

    private func sync(_ body: RequestFields) async throws(PlaidFailure) -> JSONValue {
        let token = try body.requiredString("access_token")
        let cursor = try body.string("cursor")
        if let cursor, cursor.utf8.count > 256 { throw .invalidField("cursor must be at most 256 characters") }
        let count = try body.int("count") ?? 100
        guard (1...500).contains(count) else { throw .invalidField("count must be from 1 to 500") }
        var accountID: String?
        if let options = try body.object("options") {
            _ = try options.bool("include_original_description")
            accountID = try options.string("account_id")
            if let version = try options.string("personal_finance_category_version"), !["v1", "v2"].contains(version) {
                throw .invalidField("options.personal_finance_category_version must be v1 or v2")
            }
            if let days = try options.int("days_requested"), !(1...730).contains(days) {
                throw .invalidField("options.days_requested must be from 1 to 730")
            }
        }
        let page = try await state.sync(accessToken: token, cursor: cursor, count: count, accountID: accountID)
        return [
            "accounts": .array(page.accounts.map { $0.json() }),
            "added": .raw(Self.transactionsJSON(page.added)),
            "modified": .raw(Self.transactionsJSON(page.modified)),
            "removed": .array(page.removed.map { ["account_id": .string($0.accountID), "transaction_id": .string($0.id)] }),
            "next_cursor": .string(page.nextCursor),
            "has_more": .bool(page.hasMore),
            "transactions_update_status": "HISTORICAL_UPDATE_COMPLETE",
        ]
    }

    /// A JSON array of transactions, written straight to bytes: a 500-transaction page takes a few milliseconds.
    static func transactionsJSON(_ transactions: [SimTransaction]) -> [UInt8] {
        var writer = JSONWriter(capacity: transactions.count * 1_600 + 2)
        writer.literal("[")
        for (index, transaction) in transactions.enumerated() {
            if index > 0 { writer.literal(",") }
            transaction.write(to: &writer)
        }
        writer.literal("]")
        return writer.bytes
    }

    private func investmentTransactions(_ body: RequestFields) async throws(PlaidFailure) -> JSONValue {
        let token = try body.requiredString("access_token")
        let start = try body.requiredDay("start_date")
        let end = try body.requiredDay("end_date")
        guard start <= end else { throw .invalidField("start_date must not be after end_date") }
        let options = try body.object("options")
        let count = try options?.int("count") ?? 100
        guard (1...500).contains(count) else { throw .invalidField("options.count must be from 1 to 500") }
        let offset = try options?.int("offset") ?? 0
        guard offset >= 0 else { throw .invalidField("options.offset must not be negative") }
        _ = try options?.bool("async_update")
        let view = try await state.investmentTransactions(accessToken: token, ids: try options?.stringArray("account_ids"), start: start,
                                                          end: end, count: count, offset: offset)
        let securities = Set(view.transactions.compactMap(\.security)).sorted().map { state.securities[$0].json(today: state.today) }
        return [
            "item": view.item.json(),
            "accounts": .array(view.accounts.map { $0.json(investment: true) }),
            "securities": .array(securities),
            "investment_transactions": .array(view.transactions.map { $0.json(accountID: view.brokerageID, securities: state.securities) }),
            "total_investment_transactions": .int(view.total),
            "is_investments_fallback_item": false,
        ]
    }

    // MARK: Control routes for the demo (not Plaid's)

    func control(_ path: String, _ body: RequestFields) async throws(PlaidFailure) -> JSONValue {
        switch path {
        case "/simulator/advance":
            let itemID = try body.string("item_id")
            if let itemID, await !state.hasItem(itemID) { throw .invalidField("item_id \(itemID) is not an item of this simulator") }
            let (activity, deliveries) = await state.advance(itemID: itemID)
            deliver(deliveries)
            return ["added": .int(activity.added), "modified": .int(activity.modified), "removed": .int(activity.removed)]
        case "/simulator/faults":
            let endpoint = try body.requiredString("endpoint")
            guard Self.endpoints.contains(endpoint) else { throw .invalidField("endpoint must be a Plaid path such as /transactions/sync") }
            let status = try body.int("status")
            let code = try body.string("error_code")
            let fault: SimulatorFault
            switch (status, code) {
            case (let status?, nil):
                guard (400...599).contains(status) else { throw .invalidField("status must be an HTTP error status, 400 to 599") }
                fault = .httpStatus(status)
            case (nil, let code?): fault = .plaidError(code: code)
            default: throw .invalidField("give exactly one of status and error_code")
            }
            let times = try body.int("times") ?? 1
            let afterCalls = try body.int("after_calls") ?? 0
            guard times >= 1, afterCalls >= 0 else { throw .invalidField("times must be at least 1 and after_calls not negative") }
            await state.addFault(fault, endpoint: endpoint, times: times, afterCalls: afterCalls)
            return ["endpoint": .string(endpoint), "times": .int(times), "after_calls": .int(afterCalls)]
        case "/simulator/repair_login":
            let itemID = try body.requiredString("item_id")
            guard await state.hasItem(itemID) else { throw .invalidField("item_id \(itemID) is not an item of this simulator") }
            deliver(await state.repairLogin(itemID: itemID))
            return ["item_id": .string(itemID), "login_required": false]
        default:
            throw .notFound(path)
        }
    }
}
