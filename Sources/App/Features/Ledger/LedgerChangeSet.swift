import FinanceCore
import Foundation
import NIOConcurrencyHelpers

/// What one unit of work changed, as its callers say it. The unit of work (`LedgerWriter`) turns it
/// into the derived tables' updates before commit (`DerivedState.settle`), always the same way, and
/// hands its summary to whoever listens after commit. Callers say what they changed, never which
/// derived table to refresh.
final class LedgerChangeSet: Sendable {
    struct Pending: Sendable {
        /// Transactions written in an account on these days (nil: any day).
        var transactions: [LedgerChange] = []
        /// Rows that were only inserted: their daily totals are added and only their amounts are paired.
        var inserted: [NewTransactionRow] = []
        /// Whether every change to transactions so far was an insert listed in `inserted`.
        var insertOnly = true
        /// Accounts whose whole history moves without their transactions moving: an opening balance,
        /// a currency, a reported balance, an untied portfolio.
        var histories: Set<UUID> = []
        /// Transactions whose category or pending flag moved, nothing else: their account (nil: any)
        /// and days (nil: any).
        var relabeled: [MonthTotals.Span] = []
        /// Single transactions whose category or pending flag moved and nothing else, in the order the
        /// units moved them: their month's totals move from the old labels to the new ones.
        var labelMoves: [MonthTotals.Move] = []
        /// Portfolios whose valuation moved: holdings, trades, cost basis method, their tie to an account.
        var portfolios: Set<UUID> = []
        /// Securities whose prices moved: the portfolios holding them are valued again.
        var prices: Set<UUID> = []
        /// Exchange rates moved: every tied portfolio is valued again.
        var rates = false

        var isEmpty: Bool {
            transactions.isEmpty && histories.isEmpty && relabeled.isEmpty && labelMoves.isEmpty && portfolios.isEmpty && prices.isEmpty
                && !rates
        }
    }

    /// What a commit changed, for caches and live updates.
    struct Summary: Sendable, Equatable {
        /// The kinds of data written (`transaction`, `account`, `portfolio`...).
        var kinds: Set<String> = []
        /// Accounts whose balance or history may have moved.
        var accounts: Set<UUID> = []
        /// The first and last day any change touched, when known.
        var days: ClosedRange<LocalDate>?
        /// Whether some change covered every day.
        var everyDay = false
        /// Live events the unit emitted itself (an import's counts, a session's end), after those
        /// its changes make (`EventTypes.events(for:emitted:)`).
        var emitted: [PendingEvent] = []
    }

    private let state = NIOLockedValueBox((pending: Pending(), summary: Summary()))

    /// Transactions of `accountID` were created, edited or deleted on `days` (every day when nil).
    func transactionsChanged(in accountID: UUID, days: ClosedRange<LocalDate>?) {
        state.withLockedValue { state in
            state.pending.transactions.append(LedgerChange(accountID: accountID, days: days))
            state.pending.insertOnly = false
            state.summary.note(kind: "transaction", account: accountID, days: days)
        }
    }

    /// New rows were inserted and nothing else about them changed (an import, a sync page).
    func transactionsInserted(_ rows: [NewTransactionRow]) {
        guard !rows.isEmpty else { return }
        var spans: [UUID: ClosedRange<LocalDate>] = [:]
        for row in rows {
            let known = spans[row.accountID]
            spans[row.accountID] = known.map { min($0.lowerBound, row.date)...max($0.upperBound, row.date) } ?? row.date...row.date
        }
        state.withLockedValue { state in
            for (account, days) in spans {
                state.pending.transactions.append(LedgerChange(accountID: account, days: days))
                state.summary.note(kind: "transaction", account: account, days: days)
            }
            state.pending.inserted += rows
        }
    }

    /// `accountID`'s whole history moves though its transactions did not.
    func historyChanged(of accountID: UUID) {
        state.withLockedValue { state in
            state.pending.histories.insert(accountID)
            state.summary.note(kind: "account", account: accountID, days: nil)
        }
    }

    /// Categories or pending flags of transactions in `accountID` (any account when nil) changed on
    /// `days` (every day when nil), and nothing else about them did.
    func labelsChanged(in accountID: UUID?, on days: ClosedRange<LocalDate>?) {
        state.withLockedValue { state in
            state.pending.relabeled.append(MonthTotals.Span(accountID: accountID, days: days))
            state.summary.note(kind: "transaction", account: nil, days: days)
        }
    }

    /// One transaction's category or pending flag moved, and nothing else about it: its day is summed
    /// again and its month's totals move from its old labels to its new ones, without summing the month.
    func labelsMoved(_ move: MonthTotals.Move) {
        state.withLockedValue { state in
            state.pending.labelMoves.append(move)
            state.summary.note(kind: "transaction", account: nil, days: move.date...move.date)
        }
    }

    func portfolioChanged(_ portfolioID: UUID) {
        state.withLockedValue { state in
            state.pending.portfolios.insert(portfolioID)
            state.summary.kinds.insert("portfolio")
        }
    }

    func pricesChanged(of investmentID: UUID) {
        state.withLockedValue { state in
            state.pending.prices.insert(investmentID)
            state.summary.kinds.insert("price")
        }
    }

    func ratesChanged() {
        state.withLockedValue { state in
            state.pending.rates = true
            state.summary.kinds.insert("fx_rate")
        }
    }

    /// Tells the user's open dashboards of `event` once the unit commits (never if it rolls back).
    func emit(_ event: PendingEvent) {
        state.withLockedValue { $0.summary.emitted.append(event) }
    }

    /// Some other kind of the user's data was written (a rule, a connection, the profile).
    func touched(_ kind: String) {
        _ = state.withLockedValue { $0.summary.kinds.insert(kind) }
    }

    /// Hands over what is pending and starts afresh (the derived tables are being brought up to date).
    func takePending() -> Pending {
        state.withLockedValue { state in
            let pending = state.pending
            state.pending = Pending()
            return pending
        }
    }

    /// Takes over what `other` has pending (a batch settles its units' changes at once).
    func absorb(_ other: LedgerChangeSet) {
        let theirs = other.takePending()
        state.withLockedValue { state in
            state.pending.transactions += theirs.transactions
            state.pending.inserted += theirs.inserted
            state.pending.insertOnly = state.pending.insertOnly && theirs.insertOnly
            state.pending.histories.formUnion(theirs.histories)
            state.pending.relabeled += theirs.relabeled
            state.pending.labelMoves += theirs.labelMoves
            state.pending.portfolios.formUnion(theirs.portfolios)
            state.pending.prices.formUnion(theirs.prices)
            state.pending.rates = state.pending.rates || theirs.rates
        }
    }

    var hasPending: Bool { state.withLockedValue { !$0.pending.isEmpty } }
    var summary: Summary { state.withLockedValue { $0.summary } }
}

extension LedgerChangeSet.Summary {
    mutating func note(kind: String, account: UUID?, days: ClosedRange<LocalDate>?) {
        kinds.insert(kind)
        if let account { accounts.insert(account) }
        guard let days else {
            everyDay = true
            return
        }
        self.days = self.days.map { min($0.lowerBound, days.lowerBound)...max($0.upperBound, days.upperBound) } ?? days
    }
}

/// Why the ledger refused a change.
enum LedgerError: Error, Sendable {
    /// A balance would leave the range an amount can hold.
    case balanceOutOfRange
}
