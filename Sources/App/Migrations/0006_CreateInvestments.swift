/// Securities. Each user keeps their own, whether entered by hand or brought in by Plaid.
struct CreateInvestments: TableMigration {
    static let table = TableSchema("investments") { t in
        t.id()
        t.owner(indexed: false)
        t.column("symbol", .text, nullable: true)
        t.column("name", .text)
        t.column("type", .enumeration(.investmentType))
        t.column("currency", .currency)
        t.column("isin", .text, nullable: true)
        t.column("cusip", .text, nullable: true)
        t.column("plaid_security_id", .text, nullable: true)
        t.column("latest_price", .price, nullable: true)
        t.column("latest_price_date", .date, nullable: true)
        t.timestamps()
        t.unique(["id", "user_id"])
        // Only rows that came from Plaid have one; the rest stay out of the index.
        t.index(["user_id", "plaid_security_id"], unique: true, where: "plaid_security_id IS NOT NULL")
        t.check("name", "length(trim(name)) BETWEEN 1 AND 200")
        t.check("symbol", "symbol IS NULL OR length(symbol) BETWEEN 1 AND 32")
        t.check("isin", "isin IS NULL OR length(isin) = 12")
        t.check("cusip", "cusip IS NULL OR length(cusip) = 9")
        t.check("latest_price", "latest_price IS NULL OR latest_price >= 0")
        t.check("latest_price_date", "(latest_price IS NULL) = (latest_price_date IS NULL)")
        t.index(["user_id", "symbol"], name: "investments_user_symbol_idx")
    }
}
