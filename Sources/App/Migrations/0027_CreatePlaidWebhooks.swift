/// Plaid webhooks received, by the SHA-256 of the signed part of their `Plaid-Verification` token
/// (key id, moment of sending, body hash): the same delivery twice is acted on once. Two deliveries of
/// equal bodies are two events (Plaid's bodies carry no id); what they ask for is idempotent.
struct CreatePlaidWebhooks: TableMigration {
    static let table = TableSchema("plaid_webhooks") { t in
        t.id()
        t.column("delivery_sha256", .text)
        t.column("webhook_type", .text)
        t.column("webhook_code", .text)
        t.column("item_id", .text, nullable: true)
        t.timestamps(updated: false)
        t.unique(["delivery_sha256"])
        t.check("delivery_sha256", "length(delivery_sha256) = 64")
        t.index(["item_id", "created_at"])
    }
}
