/// One balance per account per day: the history behind net worth over time.
struct CreateBalanceSnapshots: TableMigration {
    static let table = TableSchema("balance_snapshots") { t in
        t.id()
        t.owner(indexed: false)
        t.column("account_id", .uuid)
        t.column("date", .date)
        t.column("current_balance", .amount)
        t.column("available_balance", .amount, nullable: true)
        t.column("currency", .currency)
        t.timestamps()
        t.foreignKey(["account_id", "user_id"], references: "accounts", ["id", "user_id"], onDelete: "CASCADE")
        t.unique(["account_id", "date"])
        t.index(["user_id", "date"], name: "balance_snapshots_user_date_idx")
    }
}
