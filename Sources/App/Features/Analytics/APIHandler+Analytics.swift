import FinanceAPI
import FinanceCore
import Foundation

extension APIHandler {
    func getSpending(_ input: Operations.GetSpending.Input) async throws -> Operations.GetSpending.Output {
        let (from, to) = try Self.period(from: input.query.from, to: input.query.to, today: app.clock.today)
        let grouping = AnalyticsReports.Grouping(rawValue: input.query.groupBy?.rawValue ?? "category") ?? .category
        guard let payloadGrouping = Components.Schemas.SpendingReport.GroupByPayload(rawValue: grouping.rawValue) else { throw APIError.internalError }
        let (base, sums) = try await Authentication.withUser(app) { scope, _ in
            let balances = BalanceReports(userID: scope.userID, db: scope.db)
            let base = try await balances.baseCurrency()
            let reports = AnalyticsReports(userID: scope.userID, db: scope.db)
            return (base, try await reports.spending(from: from, to: to, by: grouping, base: base, rates: { try await ExchangeRateStore(userID: balances.userID, db: balances.db).table() }))
        }
        var groups = sums.groups.map { (key: $0.key, total: $0.value.total, count: $0.value.count) }
        // Months in order; otherwise the largest first.
        groups.sort { grouping == .month ? $0.key < $1.key : ($0.total, $1.key) > ($1.total, $0.key) }
        guard let total = Amount.sum(groups.map(\.total)) else { throw MoneyError.outOfRange }
        return .ok(.init(body: .json(.init(
            baseCurrency: base.code, from: from.description, to: to.description, groupBy: payloadGrouping,
            total: Money(total, base).formattedAmount, count: groups.reduce(0) { $0 + $1.count },
            groups: groups.map { .init(key: $0.key, total: Money($0.total, base).formattedAmount, count: $0.count) },
            unconverted: Self.unconverted(sums.unconverted, moneyOut: true)))))
    }

    func getCashflow(_ input: Operations.GetCashflow.Input) async throws -> Operations.GetCashflow.Output {
        let (from, to) = try Self.period(from: input.query.from, to: input.query.to, today: app.clock.today)
        let (base, flows) = try await Authentication.withUser(app) { scope, _ in
            let balances = BalanceReports(userID: scope.userID, db: scope.db)
            let base = try await balances.baseCurrency()
            let reports = AnalyticsReports(userID: scope.userID, db: scope.db)
            return (base, try await reports.cashflow(from: from, to: to, base: base, rates: { try await ExchangeRateStore(userID: balances.userID, db: balances.db).table() }))
        }
        var periods: [Components.Schemas.CashflowPeriod] = []
        var start = from
        while start <= to {
            let end = min(start.endOfMonth, to)
            let key = String(start.description.prefix(7))
            let income = flows.income.groups[key]?.total ?? .zero, expenses = flows.expenses.groups[key]?.total ?? .zero
            guard let net = income.subtracting(expenses) else { throw MoneyError.outOfRange }
            let rate: Ratio? = income > .zero ? net.divided(by: income, as: Ratio.self) : nil
            periods.append(.init(start: start.description, end: end.description, income: Money(income, base).formattedAmount,
                                 expenses: Money(expenses, base).formattedAmount, net: Money(net, base).formattedAmount,
                                 savingsRate: rate?.description))
            start = end.adding(days: 1)
        }
        var unconverted = Self.unconverted(flows.income.unconverted, moneyOut: false)
        unconverted += Self.unconverted(flows.expenses.unconverted, moneyOut: true)
        return .ok(.init(body: .json(.init(baseCurrency: base.code, from: from.description, to: to.description,
                                           periods: periods, unconverted: unconverted))))
    }

    func getRecurringCharges(_ input: Operations.GetRecurringCharges.Input) async throws -> Operations.GetRecurringCharges.Output {
        let today = app.clock.today
        let charges = try await Authentication.withUser(app) { scope, _ in
            try await AnalyticsReports(userID: scope.userID, db: scope.db).charges(since: today.adding(days: -730))
        }
        let found = RecurringCharges.find(in: charges, asOf: today)
        return .ok(.init(body: .json(.init(items: try found.map { series in
            guard let cadence = Components.Schemas.RecurringCharge.CadencePayload(rawValue: series.cadence.rawValue) else { throw APIError.internalError }
            return .init(merchant: series.merchant, currency: series.currency.code, cadence: cadence,
                         typicalAmount: Money(series.typicalAmount, series.currency).formattedAmount,
                         lastAmount: Money(series.lastAmount, series.currency).formattedAmount,
                         lastDate: series.lastDate.description, nextExpectedDate: series.nextExpectedDate.description,
                         occurrences: series.occurrences)
        }))))
    }

    /// `from` and `to` of a report; by default the year up to today.
    private static func period(from: String?, to: String?, today: LocalDate) throws -> (LocalDate, LocalDate) {
        var form = FieldValidator()
        let end = form.date(to, field: "to") ?? today
        let start = form.date(from, field: "from") ?? end.adding(months: -12).adding(days: 1)
        if start > end { form.fail("to", "is before from") }
        if end.daysSinceEpoch - start.daysSinceEpoch > 366 * 50 { form.fail("from", "is more than 50 years before to") }
        try form.check()
        return (start, end)
    }

    private static func unconverted(_ sums: [CurrencyCode: (total: Amount, count: Int)], moneyOut: Bool) -> [Components.Schemas.TransactionTotals] {
        sums.sorted { $0.key.code < $1.key.code }.map { currency, sum in
            let zero = Money(.zero, currency).formattedAmount
            let amount = Money(moneyOut ? sum.total.negated : sum.total, currency).formattedAmount
            return .init(currency: currency.code, moneyIn: moneyOut ? zero : amount, moneyOut: moneyOut ? amount : zero, count: sum.count)
        }
    }
}
