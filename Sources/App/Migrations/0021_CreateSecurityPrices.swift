/// Closing prices of a user's securities, one per security and day, in the security's currency.
struct CreateSecurityPrices: TableMigration {
    static let isUserOwned = true

    static let table = TableSchema("security_prices") { t in
        t.id()
        t.owner(indexed: false)
        t.column("investment_id", .uuid)
        t.column("date", .date)
        t.column("close", .price)
        t.timestamps()
        t.foreignKey(["investment_id", "user_id"], references: "investments", ["id", "user_id"], onDelete: "CASCADE")
        t.unique(["investment_id", "date"])
        t.check("close", "close >= 0")
        t.index(["user_id"])
    }
}
