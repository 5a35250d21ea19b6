/// A sandbox institution from Plaid's list (reference §8), with what `/institutions/get_by_id` answers.
struct SandboxInstitution: Sendable {
    enum Health: Sendable { case healthy, degraded, down }

    let id: String
    let name: String
    let products: [String]
    let countryCodes: [String]
    let routingNumbers: [String]
    let oauth: Bool
    let url: String?
    let primaryColor: String?
    let health: Health

    static let all: [SandboxInstitution] = {
        let full = ["assets", "auth", "balance", "identity", "identity_match", "income_verification", "investments", "liabilities",
                    "recurring_transactions", "signal", "statements", "transactions", "transactions_refresh"]
        let banking = ["assets", "auth", "balance", "identity", "investments", "liabilities", "recurring_transactions", "transactions"]
        return [
            SandboxInstitution(id: "ins_109508", name: "First Platypus Bank", products: full, countryCodes: ["US"],
                               routingNumbers: ["011401533", "021200339"], oauth: false, url: "https://www.plaid.com", primaryColor: "#1f1f1f", health: .healthy),
            SandboxInstitution(id: "ins_130016", name: "First Platypus Balance Bank", products: full, countryCodes: ["US"],
                               routingNumbers: ["011401533"], oauth: false, url: "https://www.plaid.com", primaryColor: "#1f1f1f", health: .healthy),
            SandboxInstitution(id: "ins_109509", name: "First Gingham Credit Union", products: banking, countryCodes: ["US"],
                               routingNumbers: ["011000138"], oauth: false, url: "https://www.plaid.com", primaryColor: "#4a8c3f", health: .healthy),
            SandboxInstitution(id: "ins_109510", name: "Tattersall Federal Credit Union", products: banking, countryCodes: ["US"],
                               routingNumbers: ["011000015"], oauth: false, url: "https://www.plaid.com", primaryColor: "#8c3f3f", health: .healthy),
            SandboxInstitution(id: "ins_109511", name: "Tartan Bank", products: banking, countryCodes: ["US"],
                               routingNumbers: ["011000028"], oauth: false, url: "https://www.plaid.com", primaryColor: "#3f4a8c", health: .healthy),
            SandboxInstitution(id: "ins_109512", name: "Houndstooth Bank", products: banking, countryCodes: ["US"],
                               routingNumbers: ["011000390"], oauth: false, url: "https://www.plaid.com", primaryColor: "#2b2b2b", health: .healthy),
            SandboxInstitution(id: "ins_127287", name: "Platypus OAuth Bank", products: full, countryCodes: ["US"],
                               routingNumbers: ["021000021"], oauth: true, url: "https://www.plaid.com", primaryColor: "#1f1f1f", health: .healthy),
            SandboxInstitution(id: "ins_132241", name: "First Platypus OAuth App2App Bank", products: full, countryCodes: ["US"],
                               routingNumbers: ["021000021"], oauth: true, url: "https://www.plaid.com", primaryColor: "#1f1f1f", health: .healthy),
            SandboxInstitution(id: "ins_43", name: "Tartan-Dominion Bank of Canada", products: banking, countryCodes: ["CA"],
                               routingNumbers: [], oauth: false, url: "https://www.plaid.com", primaryColor: "#3f4a8c", health: .healthy),
            SandboxInstitution(id: "ins_116834", name: "Flexible Platypus Open Banking", products: ["assets", "auth", "balance", "identity", "transactions"],
                               countryCodes: ["GB"], routingNumbers: [], oauth: true, url: "https://www.plaid.com", primaryColor: "#1f1f1f", health: .healthy),
            SandboxInstitution(id: "ins_117650", name: "Royal Bank of Plaid", products: ["assets", "auth", "balance", "identity", "transactions"],
                               countryCodes: ["GB"], routingNumbers: [], oauth: false, url: "https://www.plaid.com", primaryColor: "#1f1f1f", health: .healthy),
            SandboxInstitution(id: "ins_132363", name: "Unhealthy Platypus Bank - Degraded", products: banking, countryCodes: ["US"],
                               routingNumbers: ["011401533"], oauth: false, url: "https://www.plaid.com", primaryColor: "#1f1f1f", health: .degraded),
            SandboxInstitution(id: "ins_132361", name: "Unhealthy Platypus Bank - Down", products: banking, countryCodes: ["US"],
                               routingNumbers: ["011401533"], oauth: false, url: "https://www.plaid.com", primaryColor: "#1f1f1f", health: .down),
            SandboxInstitution(id: "ins_133402", name: "Unsupported Platypus Bank", products: ["auth", "balance", "identity"], countryCodes: ["US"],
                               routingNumbers: ["011401533"], oauth: false, url: "https://www.plaid.com", primaryColor: "#1f1f1f", health: .healthy),
        ]
    }()

    static let byID: [String: SandboxInstitution] = Dictionary(uniqueKeysWithValues: all.map { ($0.id, $0) })

    /// The Institution object. `status` comes only when asked for (`options.include_status`), and the
    /// logo only with `include_optional_metadata` (the simulator has none, so null).
    func json(includeStatus: Bool, includeOptionalMetadata: Bool, today: Day) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("institution_id", .string(id)),
            ("name", .string(name)),
            ("products", .strings(products)),
            ("country_codes", .strings(countryCodes)),
            ("routing_numbers", .strings(routingNumbers)),
            ("dtc_numbers", .strings([])),
            ("oauth", .bool(oauth)),
            ("connection_availability", .string("SUPPORTED")),
            ("url", .text(url)),
            ("primary_color", .text(primaryColor)),
        ]
        if includeOptionalMetadata { members.append(("logo", .null)) }
        if includeStatus { members.append(("status", statusJSON(today: today))) }
        return .object(members)
    }

    private func statusJSON(today: Day) -> JSONValue {
        let (status, success, plaidErrors, institutionErrors, interval): (String, String, String, String, String) = switch health {
        case .healthy: ("HEALTHY", "0.99", "0.005", "0.005", "NORMAL")
        case .degraded: ("DEGRADED", "0.51", "0.04", "0.45", "DELAYED")
        case .down: ("DOWN", "0.02", "0.01", "0.97", "STOPPED")
        }
        let product: JSONValue = [
            "status": .string(status),
            "last_status_change": .string("\(today.adding(-3).iso)T08:00:00Z"),
            "breakdown": [
                "success": .number(success),
                "error_plaid": .number(plaidErrors),
                "error_institution": .number(institutionErrors),
                "refresh_interval": .string(interval),
            ],
        ]
        return ["item_logins": product, "transactions_updates": product, "investments_updates": product, "auth": product, "balance": product,
                "identity": product, "liabilities_updates": product, "investments": product, "health_incidents": .array([])]
    }
}

/// Plaid's product names (the `Products` enum); anything else in `initial_products` is INVALID_FIELD.
let plaidProducts: Set<String> = [
    "assets", "auth", "balance", "balance_plus", "beacon", "identity", "identity_match", "investments", "investments_auth", "liabilities",
    "payment_initiation", "identity_verification", "transactions", "credit_details", "income", "income_verification", "standing_orders",
    "transfer", "employment", "recurring_transactions", "transactions_refresh", "signal", "statements", "processor_payments",
    "processor_identity", "profile", "cra_base_report", "cra_income_insights", "cra_partner_insights", "cra_network_insights",
    "cra_cashflow_insights", "cra_monitoring", "layer", "pay_by_bank", "protect_linked_bank",
]
