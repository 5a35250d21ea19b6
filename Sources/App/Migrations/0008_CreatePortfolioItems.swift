/// Holdings: how much of a security a portfolio holds, and what it cost.
struct CreatePortfolioItems: TableMigration {
    static let table = TableSchema("portfolio_items") { t in
        t.id()
        t.owner()
        t.column("portfolio_id", .uuid)
        t.column("investment_id", .uuid)
        t.column("quantity", .quantity)
        // Total cost of the quantity held, in the portfolio's currency; unknown for some synced holdings.
        t.column("cost_basis", .amount, nullable: true)
        t.timestamps()
        t.foreignKey(["portfolio_id", "user_id"], references: "portfolios", ["id", "user_id"], onDelete: "CASCADE")
        // A security still held cannot be deleted (NO ACTION is checked at the end of the statement,
        // so deleting the user, which removes both, still works).
        t.foreignKey(["investment_id", "user_id"], references: "investments", ["id", "user_id"], onDelete: "NO ACTION")
        t.unique(["portfolio_id", "investment_id"])
        t.check("quantity", "quantity >= 0")
        t.check("cost_basis", "cost_basis IS NULL OR cost_basis >= 0")
        t.index(["investment_id", "user_id"])
    }
}
