import FinanceCore
import Fluent
import Foundation
import SQLKit
import Vapor

/// Whether a user's derived tables are what their ledger says: the tables as kept are compared with
/// a rebuild from nothing (`DerivedState.rebuild`) made inside a write transaction that is then rolled
/// back, so the check changes nothing. Used by the tests' oracles, the load benchmark and
/// `finance snapshots check`.
enum LedgerCheck {
    /// The differences, each named by its table and row; empty when the ledger and its derived tables agree.
    static func differences(userID: UUID, app: Application) async throws -> [String] {
        let clock = app.clock
        do {
            _ = try await app.write(as: .user(userID)) { db -> Bool in
                let kept = try await DerivedRows.read(userID: userID, on: db)
                let scope = UserScope(userID: userID, db: db, audit: AuditContext(userID: userID, requestID: "ledger-check", clientAddress: nil),
                                      clock: clock)
                _ = try await DerivedState.rebuild(userID: userID, in: scope)
                let rebuilt = try await DerivedRows.read(userID: userID, on: db)
                throw Verdict(differences: kept.differences(from: rebuilt))
            }
        } catch let verdict as Verdict {
            return verdict.differences
        }
        return []
    }

    /// Carries the answer out of the transaction, which rolls it back.
    private struct Verdict: Error {
        let differences: [String]
    }
}

/// Every derived row of one user, keyed and spelled so that two readings compare as text.
struct DerivedRows: Sendable, Equatable {
    var balances: [String: String] = [:]
    var snapshots: [String: String] = [:]
    var transfers: [String: String] = [:]
    var totals: [String: String] = [:]
    var monthTotals: [String: String] = [:]
    var netWorthDays: [String: String] = [:]

    static func read(userID: UUID, on db: any Database) async throws -> DerivedRows {
        let sql = db.sql
        var rows = DerivedRows()
        for row in try await sql.raw("SELECT id, current_balance FROM accounts WHERE user_id = \(bind: userID)").all() {
            rows.balances[try row.decode(column: "id", as: UUID.self).uuidString] = try row.decode(column: "current_balance", as: Amount.self).description
        }
        for row in try await sql.raw("""
            SELECT account_id, date, current_balance, change, currency, liability FROM balance_snapshots WHERE user_id = \(bind: userID)
            """).all() {
            let key = "\(try row.decode(column: "account_id", as: UUID.self)) \(try row.decode(column: "date", as: LocalDate.self))"
            rows.snapshots[key] = [
                try row.decode(column: "current_balance", as: Amount.self).description, try row.decode(column: "change", as: Amount.self).description,
                try row.decode(column: "currency", as: String.self), String(try row.decode(column: "liability", as: Bool.self)),
            ].joined(separator: " ")
        }
        for row in try await sql.raw("SELECT id FROM transactions WHERE user_id = \(bind: userID) AND is_transfer = \(bind: true)").all() {
            rows.transfers[try row.decode(column: "id", as: UUID.self).uuidString] = "transfer"
        }
        for row in try await sql.raw("""
            SELECT date, category, currency, money_in, money_out, count_in, count_out FROM daily_totals WHERE user_id = \(bind: userID)
            """).all() {
            let key = "\(try row.decode(column: "date", as: LocalDate.self)) \(try row.decode(column: "category", as: String.self)) \(try row.decode(column: "currency", as: String.self))"
            rows.totals[key] = [
                try row.decode(column: "money_in", as: Amount.self).description, try row.decode(column: "money_out", as: Amount.self).description,
                String(try row.decode(column: "count_in", as: Int.self)), String(try row.decode(column: "count_out", as: Int.self)),
            ].joined(separator: " ")
        }
        for row in try await sql.raw("""
            SELECT account_id, month, \(unsafeRaw: db.engine.text(ofEnum: "category")) AS category, pending, currency, money_in, money_out, count
            FROM month_totals WHERE user_id = \(bind: userID)
            """).all() {
            let key = [
                try row.decode(column: "account_id", as: UUID.self).uuidString, try row.decode(column: "month", as: LocalDate.self).description,
                try row.decode(column: "category", as: String.self), String(try row.decode(column: "pending", as: Bool.self)),
                try row.decode(column: "currency", as: String.self),
            ].joined(separator: " ")
            rows.monthTotals[key] = [
                try row.decode(column: "money_in", as: Amount.self).description, try row.decode(column: "money_out", as: Amount.self).description,
                String(try row.decode(column: "count", as: Int.self)),
            ].joined(separator: " ")
        }
        // A day whose sums came back to zero may keep its row of zeros: the same as no row.
        for row in try await sql.raw("""
            SELECT date, currency, assets, liabilities FROM net_worth_days
            WHERE user_id = \(bind: userID) AND (assets <> 0 OR liabilities <> 0)
            """).all() {
            let key = "\(try row.decode(column: "date", as: LocalDate.self)) \(try row.decode(column: "currency", as: String.self))"
            rows.netWorthDays[key] = "\(try row.decode(column: "assets", as: Amount.self)) \(try row.decode(column: "liabilities", as: Amount.self))"
        }
        return rows
    }

    /// What differs from `expected`, as `table key: kept → expected` lines.
    func differences(from expected: DerivedRows) -> [String] {
        func compare(_ table: String, _ kept: [String: String], _ wanted: [String: String]) -> [String] {
            Set(kept.keys).union(wanted.keys).sorted().compactMap { key in
                kept[key] == wanted[key] ? nil : "\(table) \(key): \(kept[key] ?? "missing") → \(wanted[key] ?? "none")"
            }
        }
        return compare("accounts.current_balance", balances, expected.balances)
            + compare("balance_snapshots", snapshots, expected.snapshots)
            + compare("transactions.is_transfer", transfers, expected.transfers)
            + compare("daily_totals", totals, expected.totals)
            + compare("month_totals", monthTotals, expected.monthTotals)
            + compare("net_worth_days", netWorthDays, expected.netWorthDays)
    }
}
