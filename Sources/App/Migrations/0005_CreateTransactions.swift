struct CreateTransactions: TableMigration {
    static let table = TableSchema("transactions") { t in
        t.id()
        t.owner(indexed: false)
        t.column("account_id", .uuid)
        t.column("date", .date)
        t.column("authorized_date", .date, nullable: true)
        // Negative is money leaving the account.
        t.column("amount", .amount)
        t.column("currency", .currency)
        t.column("description", .text)
        t.column("merchant_name", .text, nullable: true)
        t.column("category", .enumeration(.transactionCategory), default: "'UNCATEGORIZED'")
        t.column("detailed_category", .text, nullable: true)
        t.column("pending", .boolean, default: "false")
        t.column("plaid_transaction_id", .text, nullable: true)
        t.column("pending_transaction_id", .text, nullable: true)
        t.column("notes", .text, nullable: true)
        t.timestamps()
        // The account must be the owner's own; deleting it deletes its transactions.
        t.foreignKey(["account_id", "user_id"], references: "accounts", ["id", "user_id"], onDelete: "CASCADE")
        // Only rows that came from Plaid have one; the rest stay out of the index.
        t.index(["user_id", "plaid_transaction_id"], unique: true, where: "plaid_transaction_id IS NOT NULL")
        t.check("description", "length(description) <= 2000")
        t.check("notes", "notes IS NULL OR length(notes) <= 10000")
        t.check("detailed_category", "detailed_category IS NULL OR length(detailed_category) <= 100")
        // The ledger's main reads: a user's newest first, one account's by date, by category.
        t.index(["user_id", "date DESC", "id DESC"], name: "transactions_user_date_idx")
        t.index(["account_id", "date DESC", "id DESC"], name: "transactions_account_date_idx")
        t.index(["user_id", "category", "date"], name: "transactions_user_category_date_idx")
    }
}
