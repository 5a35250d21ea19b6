/// Each import of a bank file: what it brought and the statement's own ledger balance, kept to
/// compare with the balance the ledger arrives at.
struct CreateStatementImports: TableMigration {
    static let isUserOwned = true

    static let table = TableSchema("statement_imports") { t in
        t.id()
        t.owner(indexed: false)
        t.column("account_id", .uuid)
        t.column("format", .text)
        t.column("added_count", .integer)
        t.column("skipped_count", .integer)
        t.column("ledger_balance", .amount, nullable: true)
        t.column("ledger_balance_date", .date, nullable: true)
        t.timestamps(updated: false)
        t.foreignKey(["account_id", "user_id"], references: "accounts", ["id", "user_id"], onDelete: "CASCADE")
        t.check("format", "format IN ('csv', 'ofx')")
        t.check("counts", "added_count >= 0 AND skipped_count >= 0")
        t.index(["account_id", "created_at"])
        t.index(["user_id"])
    }
}
