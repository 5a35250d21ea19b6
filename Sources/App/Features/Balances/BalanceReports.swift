import FinanceCore
import Fluent
import Foundation
import SQLKit

/// The balance overview and net worth history of one user, read from accounts and the daily
/// balance snapshots, in the user's base currency.
struct BalanceReports: Sendable {
    let userID: UUID
    let db: any Database

    struct Overview: Sendable {
        let base: CurrencyCode
        let asOf: LocalDate
        let now: NetWorthPoint
        let accounts: [(account: AccountBalance, inBase: Amount?, inTotals: Bool)]
        let byType: [(type: AccountType, total: Amount?, accounts: Int)]
        let changes: [(days: Int, since: LocalDate, then: NetWorthPoint)]
    }

    static let changeSpans = [1, 30, 365]

    /// An account as the overview shows it, read straight from its row.
    struct AccountBalance: Sendable {
        let id: UUID
        let name: String
        let type: AccountType
        let currency: CurrencyCode
        let currentBalance: Amount
        let isHidden: Bool
        let isClosed: Bool
        let balanceUpdatedAt: Date?

        /// Counted in net worth: neither hidden nor closed.
        var inTotals: Bool { !isHidden && !isClosed }

        init(row: any SQLRow) throws {
            id = try row.decode(column: "id", as: UUID.self)
            name = try row.decode(column: "name", as: String.self)
            type = try row.decodeLabel(column: "type", as: AccountType.self)
            currency = try row.decode(column: "currency", as: CurrencyCode.self)
            currentBalance = try row.decode(column: "current_balance", as: Amount.self)
            isHidden = try row.decode(column: "is_hidden", as: Bool.self)
            isClosed = try row.decode(column: "is_closed", as: Bool.self)
            balanceUpdatedAt = try row.decode(column: "balance_updated_at", as: Date?.self)
        }
    }

    func baseCurrency() async throws -> CurrencyCode {
        guard let user = try await User.find(userID, on: db) else { throw APIError.notFound("user") }
        return user.baseCurrency
    }

    /// The user's exchange rates, read only when some currency is not the base one.
    func rates(for currencies: some Sequence<CurrencyCode>, base: CurrencyCode) async throws -> ExchangeRateTable {
        guard currencies.contains(where: { $0 != base }) else { return ExchangeRateTable([]) }
        return try await ExchangeRateStore(userID: userID, db: db).table()
    }

    /// Totals now and 1, 30 and 365 days ago. Past balances come from the latest snapshot on or
    /// before each day: one probe of `balance_snapshots (account_id, date)` per account and day.
    func overview(today: LocalDate, includeHidden: Bool, includeClosed: Bool) async throws -> Overview {
        let days = Self.changeSpans.map { today.adding(days: -$0) }
        let rows = try await db.sql.raw(overviewQuery(days: days)).all()
        guard let first = rows.first else { throw APIError.notFound("user") }
        let base = try first.decode(column: "base_currency", as: CurrencyCode.self)
        var accounts: [AccountBalance] = []
        var past: [[(currency: CurrencyCode, side: BalanceSide, amount: Amount)]] = Array(repeating: [], count: days.count)
        for row in rows where try row.decode(column: "id", as: UUID?.self) != nil {
            let account = try AccountBalance(row: row)
            accounts.append(account)
            guard account.inTotals else { continue }
            for index in days.indices {
                // No snapshot yet on that day: the account had no history, nothing to count.
                if let balance = try row.decode(column: "b\(index)", as: Amount?.self) {
                    past[index].append((account.currency, BalanceSide(account.type), balance))
                }
            }
        }
        let rates = try await rates(for: accounts.map(\.currency), base: base)
        let counted = accounts.filter(\.inTotals)
        let now = try NetWorthHistory.point(
            balances: counted.map { ($0.currency, BalanceSide($0.type), $0.currentBalance) }, on: today, base: base, rates: rates)
        var changes: [(days: Int, since: LocalDate, then: NetWorthPoint)] = []
        for (index, day) in days.enumerated() {
            changes.append((Self.changeSpans[index], day, try NetWorthHistory.point(balances: past[index], on: day, base: base, rates: rates)))
        }

        let listed = accounts.filter { (includeHidden || !$0.isHidden) && (includeClosed || !$0.isClosed) }
        let converted = listed.map { account in
            (account, rates.convert(account.currentBalance, from: account.currency, to: base, on: today), account.inTotals)
        }
        var byType: [(type: AccountType, total: Amount?, accounts: Int)] = []
        for type in AccountType.allCases {
            let ofType = converted.filter { $0.0.type == type && $0.2 }
            guard !ofType.isEmpty else { continue }
            let total: Amount? = ofType.contains { $0.1 == nil } ? nil : Amount.sum(ofType.compactMap(\.1))
            byType.append((type, total, ofType.count))
        }
        return Overview(base: base, asOf: today, now: now, accounts: converted, byType: byType, changes: changes)
    }

    /// One statement: the user's base currency, their accounts, and each account's balance on each
    /// of `days`, from the latest snapshot on or before it (a probe of `balance_snapshots (account_id,
    /// date)`). A user without accounts is one row of NULLs.
    func overviewQuery(days: [LocalDate]) -> SQLQueryString {
        var columns: SQLQueryString = ""
        for (index, day) in days.enumerated() {
            columns += """
                , (SELECT current_balance FROM balance_snapshots s WHERE s.account_id = a.id AND s.date <= \(bind: day)
                   ORDER BY s.date DESC LIMIT 1) AS b\(unsafeRaw: String(index))
                """
        }
        return """
            SELECT u.base_currency AS base_currency, a.id AS id, a.name AS name, a.type AS type, a.currency AS currency,
                   a.current_balance AS current_balance, a.is_hidden AS is_hidden, a.is_closed AS is_closed,
                   a.balance_updated_at AS balance_updated_at\(columns)
            FROM users u LEFT JOIN accounts a ON a.user_id = u.id
            WHERE u.id = \(bind: userID)
            ORDER BY a.name, a.id
            """
    }

    /// Net worth at each point from `from` to `to`: the daily changes per currency and side
    /// (`dailyChanges`), carried forward and converted in `NetWorthHistory`.
    func netWorth(from: LocalDate, to: LocalDate, interval: SeriesInterval) async throws -> (CurrencyCode, [NetWorthPoint]) {
        let base = try await baseCurrency()
        let changes = try await dailyChanges(to: to, carryInBefore: from)
        let rates = try await rates(for: changes.map(\.currency), base: base)
        PhaseTimes.mark("base currency and rates")
        let series = try NetWorthHistory.series(changes: changes, points: interval.points(from: from, to: to), base: base, rates: rates)
        PhaseTimes.mark("series")
        return (base, series)
    }

    /// One account's balance at each point, in its currency (nil before its history starts), and
    /// its value in the base currency.
    func accountHistory(_ account: Account, from: LocalDate, to: LocalDate, interval: SeriesInterval) async throws
        -> (CurrencyCode, [(balance: Amount?, point: NetWorthPoint)]) {
        let base = try await baseCurrency()
        let rates = try await rates(for: [account.currency], base: base)
        let rows = try await db.sql.raw("""
            SELECT date, change FROM balance_snapshots WHERE account_id = \(bind: account.id!) AND date <= \(bind: to) ORDER BY date
            """).all()
        let side = BalanceSide(account.type)
        let changes = try rows.map { row in
            BalanceChange(date: try row.decode(column: "date", as: LocalDate.self), currency: account.currency, side: side,
                          amount: try row.decode(column: "change", as: Amount.self))
        }
        let points = interval.points(from: from, to: to)
        let series = try NetWorthHistory.series(changes: changes, points: points, base: base, rates: rates)
        var balances: [Amount?] = []
        var running: Amount?
        var next = 0
        for point in points {
            while next < changes.count, changes[next].date <= point {
                guard let sum = (running ?? .zero).adding(changes[next].amount) else { throw MoneyError.outOfRange }
                running = sum
                next += 1
            }
            balances.append(running)
        }
        return (base, Array(zip(balances, series)).map { ($0.0, $0.1) })
    }

    /// The per-day change of the summed balances of the counted accounts (not hidden, not closed),
    /// by currency and side, up to `to`; everything before `carryInBefore` folded into its eve. The
    /// sums come from `net_worth_days` (`NetWorthDays`), one row a day and currency, with hidden and
    /// closed accounts taken off from their own snapshots when there are any.
    func dailyChanges(to: LocalDate, carryInBefore from: LocalDate) async throws -> [BalanceChange] {
        let excluded = try await db.sql.raw("""
            SELECT id FROM accounts WHERE user_id = \(bind: userID) AND (is_hidden = \(bind: true) OR is_closed = \(bind: true))
            """).all().map { try $0.decode(column: "id", as: UUID.self) }
        PhaseTimes.mark("hidden and closed accounts")
        let sums = try await NetWorthDays.read(userID: userID, from: from, to: to, excluding: excluded, on: db)
        let eve = from.adding(days: -1)
        var changes: [BalanceChange] = []
        changes.reserveCapacity(2 * sums.count)
        for day in sums {
            let date = day.date ?? eve
            if !day.assets.isZero { changes.append(BalanceChange(date: date, currency: day.currency, side: .asset, amount: day.assets)) }
            if !day.liabilities.isZero {
                changes.append(BalanceChange(date: date, currency: day.currency, side: .liability, amount: day.liabilities))
            }
        }
        PhaseTimes.mark("changes")
        return changes
    }
}
