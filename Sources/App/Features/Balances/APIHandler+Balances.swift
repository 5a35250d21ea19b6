import FinanceAPI
import FinanceCore
import Foundation

extension APIHandler {
    func getBalanceOverview(_ input: Operations.GetBalanceOverview.Input) async throws -> Operations.GetBalanceOverview.Output {
        let includeHidden = input.query.includeHidden ?? false, includeClosed = input.query.includeClosed ?? false
        let today = app.clock.today
        let overview = try await Authentication.withUser(app) { scope, _ in
            try await BalanceReports(userID: scope.userID, db: scope.db)
                .overview(today: today, includeHidden: includeHidden, includeClosed: includeClosed)
        }
        let base = overview.base
        let text = { (amount: Amount?) in amount.map { Money($0, base).formattedAmount } }
        let accounts = try overview.accounts.map { entry in
            let account = entry.account
            guard let type = Components.Schemas.AccountType(rawValue: account.type.rawValue) else { throw APIError.internalError }
            return Components.Schemas.AccountBalance(
                id: account.id.uuidString, name: account.name, _type: type, isLiability: account.type.isLiability,
                currency: account.currency.code, balance: Money(account.currentBalance, account.currency).formattedAmount,
                balanceInBase: text(entry.inBase), inTotals: entry.inTotals, isHidden: account.isHidden, isClosed: account.isClosed,
                balanceUpdatedAt: account.balanceUpdatedAt)
        }
        let byType = try overview.byType.map { entry in
            guard let type = Components.Schemas.AccountType(rawValue: entry.type.rawValue) else { throw APIError.internalError }
            return Components.Schemas.BalanceByType(_type: type, isLiability: entry.type.isLiability, total: text(entry.total), accounts: entry.accounts)
        }
        let changes = overview.changes.map { change in
            let difference = overview.now.netWorth.flatMap { now in change.then.netWorth.flatMap { now.subtracting($0) } }
            return Components.Schemas.NetWorthChange(days: change.days, since: change.since.description,
                                                     netWorthThen: text(change.then.netWorth), change: text(difference))
        }
        return .ok(.init(body: .json(.init(
            baseCurrency: base.code, asOf: overview.asOf.description, assets: text(overview.now.assets),
            liabilities: text(overview.now.liabilities), netWorth: text(overview.now.netWorth),
            unconverted: overview.now.unconverted.map(\.code), byType: byType, accounts: accounts, changes: changes))))
    }

    func getBalanceHistory(_ input: Operations.GetBalanceHistory.Input) async throws -> Operations.GetBalanceHistory.Output {
        var form = FieldValidator()
        let today = app.clock.today
        let to = form.date(input.query.to, field: "to") ?? today
        let from = form.date(input.query.from, field: "from") ?? to.adding(months: -12)
        let accountID = form.uuid(input.query.accountId, field: "account_id")
        if from > to { form.fail("to", "is before from") }
        if to.daysSinceEpoch - from.daysSinceEpoch > 366 * 50 { form.fail("from", "is more than 50 years before to") }
        try form.check()
        let interval = SeriesInterval(rawValue: input.query.interval?.rawValue ?? "day") ?? .day
        guard let payloadInterval = Components.Schemas.BalanceHistory.IntervalPayload(rawValue: interval.rawValue) else { throw APIError.internalError }

        let body = try await Authentication.withUser(app) { scope, _ in
            let reports = BalanceReports(userID: scope.userID, db: scope.db)
            if let accountID {
                let account = try await scope.find(Account.self, accountID, name: "account")
                let (base, series) = try await reports.accountHistory(account, from: from, to: to, interval: interval)
                return Components.Schemas.BalanceHistory(
                    baseCurrency: base.code, accountId: accountID.uuidString, accountCurrency: account.currency.code,
                    from: from.description, to: to.description, interval: payloadInterval,
                    points: series.map { Self.balancePoint($0.point, base: base, balance: $0.balance.map { Money($0, account.currency) }) })
            }
            let (base, series) = try await reports.netWorth(from: from, to: to, interval: interval)
            return Self.netWorthHistory(base: base, series: series, from: from, to: to, interval: payloadInterval)
        }
        return .ok(.init(body: .json(body)))
    }

    static func netWorthHistory(base: CurrencyCode, series: [NetWorthPoint], from: LocalDate, to: LocalDate,
                                interval: Components.Schemas.BalanceHistory.IntervalPayload) -> Components.Schemas.BalanceHistory {
        Components.Schemas.BalanceHistory(
            baseCurrency: base.code, from: from.description, to: to.description, interval: interval,
            points: series.map { balancePoint($0, base: base, balance: nil) })
    }

    private static func balancePoint(_ point: NetWorthPoint, base: CurrencyCode, balance: Money?) -> Components.Schemas.BalancePoint {
        let text = { (amount: Amount?) in amount.map { Money($0, base).formattedAmount } }
        return .init(date: point.date.description, assets: text(point.assets), liabilities: text(point.liabilities),
                     netWorth: text(point.netWorth), balance: balance?.formattedAmount, unconverted: point.unconverted.map(\.code))
    }
}
