/// Each user's money in and money out per day, category and currency, transfers left out: what
/// spending and cash flow sum, kept in step with the ledger (see `DailyTotals`), so that ten years
/// of analytics read tens of thousands of rows instead of a million.
struct CreateDailyTotals: TableMigration {
    static let isUserOwned = true

    static let table = TableSchema("daily_totals") { t in
        t.id()
        t.owner(indexed: false)
        t.column("date", .date)
        t.column("category", .enumeration(.transactionCategory))
        t.column("currency", .currency)
        t.column("money_in", .amount)
        t.column("money_out", .amount)
        t.column("count_in", .integer)
        t.column("count_out", .integer)
        t.timestamps()
        t.unique(["user_id", "date", "category", "currency"])
        t.check("sums", "money_in >= 0 AND money_out >= 0 AND count_in >= 0 AND count_out >= 0")
    }
}
