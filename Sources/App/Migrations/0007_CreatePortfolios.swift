struct CreatePortfolios: TableMigration {
    static let table = TableSchema("portfolios") { t in
        t.id()
        t.owner()
        t.column("name", .text)
        // The investment account whose holdings this portfolio tracks, if any.
        t.column("account_id", .uuid, nullable: true)
        t.column("currency", .currency)
        t.timestamps()
        t.foreignKey(["account_id"], references: "accounts", ["id"], onDelete: "SET NULL")
        t.unique(["id", "user_id"])
        t.unique(["account_id"])
        t.check("name", "length(trim(name)) BETWEEN 1 AND 200")
    }
}
