struct CreatePlaidConnections: TableMigration {
    static let table = TableSchema("plaid_connections") { t in
        t.id()
        t.owner(indexed: false)
        t.column("plaid_item_id", .text)
        // AES-256-GCM sealed box of the access token; the key id names the key that sealed it.
        t.column("access_token_ciphertext", .bytes)
        t.column("access_token_key_id", .text)
        t.column("institution_id", .text, nullable: true)
        t.column("institution_name", .text, nullable: true)
        t.column("status", .enumeration(.connectionStatus), default: "'healthy'")
        t.column("error_code", .text, nullable: true)
        t.column("sync_cursor", .text, nullable: true)
        t.column("last_synced_at", .timestamp, nullable: true)
        t.timestamps()
        t.unique(["user_id", "plaid_item_id"])
        t.check("ciphertext", "length(access_token_ciphertext) > 0")
        // Webhooks name the item only.
        t.index(["plaid_item_id"])
    }
}
