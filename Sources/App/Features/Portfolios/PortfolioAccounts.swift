import FinanceCore
import Fluent
import Foundation
import SQLKit

/// An investment account tied to a portfolio holds what the portfolio is worth: its holdings at
/// market value plus its cash. Its current balance and its daily balance snapshots follow the
/// portfolio's daily valuation (not a ledger), so the balance overview and net worth history count
/// the investments at their value. Revalued whenever the portfolio's transactions, holdings,
/// prices or exchange rates change. A day whose value cannot be computed (a missing price or rate)
/// keeps the last value known.
enum PortfolioAccounts {
    /// Revalues the account `portfolio` is tied to, if any.
    static func revalue(_ portfolio: Portfolio, in scope: UserScope) async throws {
        let today = scope.today
        guard let accountID = portfolio.accountID,
              let account = try await scope.query(Account.self).filter(\.$id == accountID).first() else { return }
        let book = try await PortfolioBook.load(portfolio, in: scope)
        var values: [(date: LocalDate, value: Amount)] = []
        if let first = book.transactions.map(\.date).min(), first <= today {
            let report = try book.performance(from: first, to: today)
            values = report.series.compactMap { point in point.value.value.map { (point.date, $0) } }
        } else if !book.items.isEmpty, let value = PortfolioFigures.total(try book.valuation(on: today).holdings, cash: .zero).value {
            values = [(today, value)]
        }
        // In the account's currency (the portfolio's, converted at each day's rate when they differ).
        let rates = account.currency == portfolio.currency ? book.rates : try await ExchangeRateStore(userID: scope.userID, db: scope.db).table()
        var converted: [(date: LocalDate, value: Amount)] = []
        for point in values {
            if let value = rates.convert(point.value, from: portfolio.currency, to: account.currency, on: point.date) {
                converted.append((point.date, value))
            }
        }
        var previous = Amount.zero
        var days: [BalanceSnapshots.Day] = []
        for point in converted where point.value != previous || point.date == converted.first?.date {
            guard let change = point.value.subtracting(previous) else { throw MoneyError.outOfRange }
            days.append(.init(date: point.date, balance: point.value, change: change))
            previous = point.value
        }
        try await BalanceSnapshots.replace(try LedgerAccount(account), with: days, on: scope.db)
        let balance = converted.last?.value ?? .zero
        if balance != account.currentBalance {
            account.currentBalance = balance
            account.balanceUpdatedAt = scope.now
            try await account.update(on: scope.db)
        }
    }
}
