import Fluent

/// Every migration, in order. Reverting runs them backwards, down to an empty database.
enum AppMigrations {
    static let all: [any Migration] = [
        CreateEnumTypes(),
        CreateUsers(),
        CreatePlaidConnections(),
        CreateAccounts(),
        CreateTransactions(),
        CreateInvestments(),
        CreatePortfolios(),
        CreatePortfolioItems(),
        CreateBalanceSnapshots(),
        CreateAuditEvents(),
        CreateRefreshTokens(),
        CreateLoginAttempts(),
        EnableRowLevelSecurity(),
        AddTransactionCategorySourceAndImportKey(),
        CreateCategorizationRules(),
        CreateStatementImports(),
        CreateFxRates(),
        AddSnapshotChangeAndTransferFlag(),
        CreateDailyTotals(),
        EvaluateRowLevelSecuritySettingsOnce(),
        CreateSecurityPrices(),
        CreateInvestmentTransactions(),
        AddPortfolioCostBasisMethod(),
        BackfillLedgerHistory(),
        AddPlaidSyncState(),
        CreateJobs(),
        CreatePlaidWebhooks(),
        LightenLedgerWrites(),
        CreateDataVersions(),
        CreateMonthTotals(),
        CreateSessionCheck(),
        AddConnectionNewAccounts(),
    ]
}
