struct CreateAccounts: TableMigration {
    static let table = TableSchema("accounts") { t in
        t.id()
        t.owner(indexed: false)
        t.column("plaid_connection_id", .uuid, nullable: true)
        t.column("name", .text)
        t.column("type", .enumeration(.accountType))
        t.column("subtype", .text, nullable: true)
        t.column("currency", .currency)
        // Liabilities hold the amount owed as a positive balance, as banks report it.
        t.column("current_balance", .amount, default: "0")
        t.column("available_balance", .amount, nullable: true)
        t.column("credit_limit", .amount, nullable: true)
        // A manual account's balance is this plus the sum of its transactions.
        t.column("opening_balance", .amount, default: "0")
        t.column("institution_name", .text, nullable: true)
        t.column("mask", .text, nullable: true)
        t.column("plaid_account_id", .text, nullable: true)
        t.column("is_hidden", .boolean, default: "false")
        t.column("is_closed", .boolean, default: "false")
        t.column("balance_updated_at", .timestamp, nullable: true)
        t.timestamps()
        // Disconnecting a bank may keep the history: the accounts stay, unlinked.
        t.foreignKey(["plaid_connection_id"], references: "plaid_connections", ["id"], onDelete: "SET NULL")
        // Lets rows of other tables prove that their account belongs to their owner.
        t.unique(["id", "user_id"])
        // Only rows that came from Plaid have one; the rest stay out of the index.
        t.index(["user_id", "plaid_account_id"], unique: true, where: "plaid_account_id IS NOT NULL")
        t.check("name", "length(trim(name)) BETWEEN 1 AND 200")
        t.check("credit_limit", "credit_limit IS NULL OR credit_limit >= 0")
        t.check("mask", "mask IS NULL OR length(mask) BETWEEN 1 AND 4")
        t.index(["plaid_connection_id"])
    }
}
