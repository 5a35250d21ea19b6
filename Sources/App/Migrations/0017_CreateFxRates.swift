/// Exchange rates a user keeps: on `date`, one unit of `base` buys `rate` units of `quote`. Every
/// conversion uses the latest rate on or before its day. Each user keeps their own rates.
struct CreateFxRates: TableMigration {
    static let isUserOwned = true

    static let table = TableSchema("fx_rates") { t in
        t.id()
        t.owner(indexed: false)
        t.column("date", .date)
        t.column("base", .currency)
        t.column("quote", .currency)
        t.column("rate", .rate)
        t.timestamps()
        t.unique(["user_id", "base", "quote", "date"])
        t.check("pair", "base <> quote")
        t.check("positive", "rate > 0")
    }
}
