import FinanceCore

/// A portfolio's investment transactions: buys, sells, dividends, interest, fees, splits and
/// transfers, from which its holdings are replayed.
struct CreateInvestmentTransactions: TableMigration {
    static let isUserOwned = true

    static let table = TableSchema("investment_transactions") { t in
        t.id()
        t.owner(indexed: false)
        t.column("portfolio_id", .uuid)
        t.column("investment_id", .uuid, nullable: true)
        t.column("date", .date)
        t.column("activity", .text)
        t.column("quantity", .quantity, nullable: true)
        t.column("price", .price, nullable: true)
        t.column("amount", .amount, nullable: true)
        t.column("fees", .amount, default: "0")
        t.column("currency", .currency)
        t.column("notes", .text, nullable: true)
        t.timestamps()
        t.foreignKey(["portfolio_id", "user_id"], references: "portfolios", ["id", "user_id"], onDelete: "CASCADE")
        // A security with transactions cannot be deleted (checked at the end of the statement, so a
        // user's deletion, which removes both, still works).
        t.foreignKey(["investment_id", "user_id"], references: "investments", ["id", "user_id"], onDelete: "NO ACTION")
        t.check("activity", "activity IN (\(InvestmentActivity.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")))")
        t.check("amounts", "(quantity IS NULL OR quantity > 0) AND (price IS NULL OR price >= 0) AND (amount IS NULL OR amount >= 0) AND fees >= 0")
        t.check("notes", "notes IS NULL OR length(notes) <= 2000")
        t.index(["portfolio_id", "date"])
        t.index(["investment_id", "user_id"])
    }
}
