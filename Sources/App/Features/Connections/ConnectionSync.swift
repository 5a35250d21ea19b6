import FinanceCore
import Fluent
import Foundation
import PlaidKit
import SQLKit
import Vapor

/// What one sync brought.
struct SyncOutcome: Sendable, Equatable {
    var accounts = 0
    /// Accounts linked for the first time by this sync.
    var newAccounts = 0
    var added = 0
    var modified = 0
    var removed = 0
    var holdings = 0
    var investmentTransactions = 0
    /// Time spent fetching from Plaid, and applying in the database.
    var fetchTime: Duration = .zero
    var applyTime: Duration = .zero
}

/// Brings one connection up to date with Plaid.
///
/// Everything is fetched first, with no database transaction held open across calls to Plaid: the
/// accounts and their live balances, every page of transaction updates since the stored cursor
/// (restarted from that cursor if Plaid reports `TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION`), and,
/// for investment accounts, the holdings and two years of investment transactions. Then it is all
/// applied in one database transaction together with the new cursor. A sync that fails or is
/// stopped anywhere before that commit changes nothing, and the next one starts from the same cursor:
/// no transaction is lost and none is written twice (rows are keyed by Plaid's ids besides).
///
/// A Plaid error is recorded on the connection: `ITEM_LOGIN_REQUIRED` marks it `login_required`
/// (automatic syncs skip it until repaired), anything else `error`.
struct ConnectionSync: Sendable {
    let app: Application
    let plaid: PlaidClient
    /// Days of investment transactions fetched (Plaid keeps 24 months).
    var investmentDays = 730

    func run(connectionID: UUID, userID: UUID, audit: AuditContext) async throws -> (PlaidConnection, SyncOutcome) {
        let found = try await app.db.asUser(userID) { db in
            try await PlaidConnection.query(on: db).filter(\.$id == connectionID).filter(\.$userID == userID).first()
        }
        guard let connection = found else { throw SyncError.connectionNotFound }
        guard connection.status != .disabled else { throw SyncError.connectionDisabled }
        let token = try app.openToken(of: connection)
        let clock = ContinuousClock()
        let started = clock.now
        let fetched: PlaidFetch
        do {
            fetched = try await PlaidFetch.load(plaid: plaid, token: token, cursor: connection.syncCursor, investmentDays: investmentDays)
        } catch let error as PlaidClientError {
            try await recordFailure(error, connectionID: connectionID, userID: userID)
            throw SyncError.plaid(error)
        }
        let fetchTime = clock.now - started
        do {
            return try await apply(fetched, connection: connection, fetchTime: fetchTime, audit: audit, clock: clock, started: started)
        } catch let error as PlaidSyncError {
            try await recordFailure(code: "UNREADABLE_DATA", message: error.description, connectionID: connectionID, userID: userID)
            throw SyncError.unreadable(error.description)
        }
    }

    private func apply(_ fetched: PlaidFetch, connection: PlaidConnection, fetchTime: Duration, audit: AuditContext,
                       clock: ContinuousClock, started: ContinuousClock.Instant) async throws -> (PlaidConnection, SyncOutcome) {
        let (connectionID, userID) = (try connection.requireID(), connection.userID)
        // One unit of work of the user's ledger: one user's syncs (workers in several processes may
        // hold syncs of the same user's banks) and their other writes take turns.
        return try await app.ledger.write(for: userID, audit: audit) { scope in
            let db = scope.db
            // Claims the connection for this update: the row is locked until commit, and a sync that
            // finished meanwhile from the same cursor makes this one stop rather than apply it twice.
            let now = scope.now
            let claimed = try await db.sql.raw("""
                UPDATE plaid_connections SET last_attempted_at = \(bind: now)
                WHERE id = \(bind: connectionID) AND user_id = \(bind: userID) AND status <> 'disabled'
                  AND sync_cursor \(unsafeRaw: db.engine.isNotDistinctFrom) \(bind: connection.syncCursor)
                RETURNING id
                """).all()
            guard !claimed.isEmpty else {
                // Revoked while this sync was fetching, or another sync finished first.
                let current = try await PlaidConnection.query(on: db).filter(\.$id == connectionID).first()
                guard let current else { throw SyncError.connectionNotFound }
                throw current.status == .disabled ? SyncError.connectionDisabled : SyncError.overtaken
            }
            var outcome = try await Self.apply(fetched, to: connection, in: scope)
            outcome.fetchTime = fetchTime
            outcome.applyTime = clock.now - started - fetchTime
            let current = try await scope.find(PlaidConnection.self, connectionID, name: "connection")
            current.syncCursor = fetched.cursor
            current.status = .healthy
            current.errorCode = nil
            current.errorMessage = nil
            current.lastSyncedAt = now
            current.lastAttemptedAt = now
            // The bank's new accounts: settled once the person has been through Link's account
            // selection since Plaid announced them, or once new accounts arrive.
            if let since = current.newAccountsAvailableAt,
               outcome.newAccounts > 0 || current.accountSelectionOfferedAt.map({ $0 >= since }) == true {
                current.newAccountsAvailableAt = nil
                current.accountSelectionOfferedAt = nil
            }
            try await current.update(on: db)
            try await audit.record(.update, entityType: "connection", entityID: connectionID, changes: [
                "synced": FieldChange(old: nil, new: "\(outcome.added) added, \(outcome.modified) modified, \(outcome.removed) removed"),
            ], on: db)
            scope.changes.touched("connection")
            scope.changes.emit(PendingEvent(EventTypes.syncCompleted, [
                "connection_id": .string(connectionID.uuidString), "added": .int(Int64(outcome.added)),
                "modified": .int(Int64(outcome.modified)), "removed": .int(Int64(outcome.removed)),
            ]))
            return (current, outcome)
        }
    }

    /// Applies what was fetched, inside the caller's transaction.
    static func apply(_ fetched: PlaidFetch, to connection: PlaidConnection, in scope: UserScope) async throws -> SyncOutcome {
        var outcome = SyncOutcome()
        let (accounts, created) = try await LinkedAccounts.upsert(fetched.accounts, connection: connection, in: scope)
        outcome.accounts = fetched.accounts.count
        outcome.newAccounts = created
        let applied = try await TransactionChangesWriter.apply(fetched.changes, accounts: accounts, in: scope)
        outcome.added = applied.added
        outcome.modified = applied.modified
        outcome.removed = applied.removed

        var tied: Set<UUID> = []
        if let investments = fetched.investments {
            let written = try await InvestmentSync.apply(investments, accounts: accounts, in: scope)
            outcome.holdings = written.holdings
            outcome.investmentTransactions = written.transactions
            tied = written.portfolioAccounts
        }
        // History: the ledger's changes, and every account's reported balance (a reported-balance
        // account's history is replayed back from it, so a new balance moves it all).
        if applied.onlyInserted {
            scope.changes.transactionsInserted(applied.inserted)
        } else {
            for change in applied.changes { scope.changes.transactionsChanged(in: change.accountID, days: change.days) }
        }
        for account in accounts.values where !tied.contains(try account.requireID()) {
            scope.changes.historyChanged(of: try account.requireID())
        }
        return outcome
    }

    /// Records a failed sync on the connection, in its own transaction (the sync changed nothing else).
    private func recordFailure(_ error: PlaidClientError, connectionID: UUID, userID: UUID) async throws {
        let (code, message): (String, String) = switch error {
        case .plaid(let plaid, _): (plaid.errorCode, plaid.errorMessage)
        default: ("PLAID_UNAVAILABLE", error.description)
        }
        try await recordFailure(code: code, message: message, connectionID: connectionID, userID: userID)
    }

    private func recordFailure(code: String, message: String, connectionID: UUID, userID: UUID) async throws {
        try await app.ledger.write(for: userID, audit: AuditContext(userID: userID, requestID: nil, clientAddress: nil)) { scope in
            let db = scope.db
            guard let connection = try await PlaidConnection.query(on: db).filter(\.$id == connectionID).filter(\.$userID == userID).first() else { return }
            if connection.status != .disabled {
                connection.status = code == PlaidError.itemLoginRequired ? .loginRequired : .error
            }
            connection.errorCode = String(code.prefix(100))
            connection.errorMessage = String(message.prefix(2000))
            connection.lastAttemptedAt = scope.now
            try await connection.update(on: db)
            scope.changes.touched("connection")
            scope.changes.emit(PendingEvent(EventTypes.syncFailed, [
                "connection_id": .string(connectionID.uuidString), "error_code": .string(String(code.prefix(100))),
            ]))
        }
        app.logger.warning("Plaid sync failed", metadata: ["connection": "\(connectionID)", "error_code": "\(code)"])
    }
}

/// Everything one sync fetches from Plaid before writing anything.
struct PlaidFetch: Sendable {
    var accounts: [PlaidKit.Account]
    var changes: TransactionChanges
    /// The cursor after the last page; `nil` while Plaid has no transactions ready.
    var cursor: String?
    var investments: InvestmentFetch?

    struct InvestmentFetch: Sendable {
        var holdings: [PlaidKit.Holding]
        var securities: [PlaidKit.Security]
        var transactions: [PlaidKit.InvestmentTransaction]
    }

    static let investmentsUnavailable: Set<String> = [
        "PRODUCTS_NOT_SUPPORTED", "NO_INVESTMENT_ACCOUNTS", "NO_INVESTMENT_AUTH_ACCOUNTS", "INVALID_PRODUCT",
        "PRODUCT_NOT_READY", "ADDITIONAL_CONSENT_REQUIRED",
    ]

    /// How many times an update is fetched again from its first cursor when Plaid reports that the
    /// data changed during pagination.
    static let maxRestarts = 3

    static func load(plaid: PlaidClient, token: String, cursor: String?, investmentDays: Int, today: LocalDate = .utcDay(of: Date())) async throws -> PlaidFetch {
        let balances = try await plaid.balances(accessToken: token)
        var update = try await fetchUpdate(plaid: plaid, token: token, from: cursor)
        var restarts = 0
        while update == nil && restarts < maxRestarts {
            restarts += 1
            update = try await fetchUpdate(plaid: plaid, token: token, from: cursor)
        }
        guard let (changes, next) = update else {
            throw PlaidClientError.plaid(PlaidError(errorType: "TRANSACTIONS_ERROR", errorCode: PlaidError.mutationDuringPagination,
                                                    errorMessage: "the data kept changing during pagination"), httpStatus: 400)
        }

        var investments: InvestmentFetch?
        if balances.accounts.contains(where: { ["investment", "brokerage"].contains($0.type.lowercased()) }) {
            investments = try await loadInvestments(plaid: plaid, token: token, days: investmentDays, today: today)
        }
        return PlaidFetch(accounts: balances.accounts, changes: changes, cursor: next, investments: investments)
    }

    /// Every page of one update from `cursor`, with the cursor after the last; nil when Plaid reports
    /// that the data changed during pagination (the update must be fetched again from `cursor`).
    private static func fetchUpdate(plaid: PlaidClient, token: String, from cursor: String?) async throws -> (TransactionChanges, String?)? {
        var changes = TransactionChanges()
        var next = cursor
        while true {
            let page: TransactionsSyncResponse
            do {
                page = try await plaid.syncTransactions(accessToken: token, cursor: next)
            } catch {
                if case .plaid(let plaidError, _) = error, plaidError.errorCode == PlaidError.mutationDuringPagination { return nil }
                throw error
            }
            changes.record(page)
            if !page.nextCursor.isEmpty { next = page.nextCursor }
            if !page.hasMore { return (changes, next) }
        }
    }

    private static func loadInvestments(plaid: PlaidClient, token: String, days: Int, today: LocalDate) async throws -> InvestmentFetch? {
        let holdings: InvestmentsHoldingsGetResponse
        do {
            holdings = try await plaid.holdings(accessToken: token)
        } catch {
            // Investments not offered, not consented to or not ready yet: the transactions still
            // sync, and the holdings stay as they were.
            if case .plaid(let plaidError, _) = error,
               Self.investmentsUnavailable.contains(plaidError.errorCode) { return nil }
            throw error
        }
        var transactions: [PlaidKit.InvestmentTransaction] = []
        var securities = holdings.securities
        while true {
            let page = try await plaid.investmentTransactions(InvestmentsTransactionsGetRequest(
                accessToken: token, startDate: today.adding(days: -days).description, endDate: today.description,
                count: 500, offset: transactions.count))
            transactions += page.investmentTransactions
            securities += page.securities
            if page.investmentTransactions.isEmpty || transactions.count >= page.totalInvestmentTransactions { break }
        }
        return InvestmentFetch(holdings: holdings.holdings, securities: securities, transactions: transactions)
    }
}

/// The net effect of the pages of one update, in the order Plaid sent them: each transaction's
/// latest state, and the ids removed. A transaction added and later removed in the same update is
/// never written.
struct TransactionChanges: Sendable {
    private(set) var latest: [String: PlaidKit.Transaction] = [:]
    private(set) var order: [String] = []
    private(set) var removed: Set<String> = []

    mutating func record(_ page: TransactionsSyncResponse) {
        for transaction in page.added + page.modified {
            if latest.updateValue(transaction, forKey: transaction.transactionId) == nil { order.append(transaction.transactionId) }
            removed.remove(transaction.transactionId)
        }
        for gone in page.removed {
            latest[gone.transactionId] = nil
            removed.insert(gone.transactionId)
        }
    }

    /// The transactions to write, in the order Plaid sent them.
    var upserts: [PlaidKit.Transaction] {
        var seen: Set<String> = []
        return order.compactMap { id in
            guard seen.insert(id).inserted else { return nil }
            return latest[id]
        }
    }

    var isEmpty: Bool { latest.isEmpty && removed.isEmpty }
}
