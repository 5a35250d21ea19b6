import FinanceCore
import Fluent
import Foundation
import SQLKit

/// Brings a bank file into an account: parse it whole (a file with any problem imports nothing),
/// leave out what an earlier import already brought (by FITID, or by the CSV fingerprint), categorize
/// the rest with the user's rules, and write it, the account's new balance and a record of the import
/// in one database transaction. Running the same file twice adds nothing the second time.
struct StatementImporter: Sendable {
    enum Source: Sendable {
        case ofx
        case csv(CSVMapping)
    }

    struct Outcome: Sendable {
        let format: StatementFormat
        let parsed: Int
        let added: Int
        let skipped: Int
        let statement: ImportedStatement
        let importID: UUID?
        /// The rows that were (or, in a preview, would be) added.
        let newTransactions: [ImportedTransaction]
    }

    let bytes: [UInt8]
    let source: Source

    /// Parses the file; the problems of a bad one come back together, each naming its line.
    func parse() throws(ImportFailure) -> (StatementFormat, ImportedStatement) {
        switch source {
        case .ofx: (.ofx, try StatementParser.parseOFX(bytes))
        case .csv(let mapping): (.csv, try StatementParser.parseCSV(bytes, mapping: mapping))
        }
    }

    /// Imports into `accountID` within `scope`'s transaction; with `preview`, reports without writing.
    func run(accountID: UUID, preview: Bool, in scope: UserScope, progress: (@Sendable (Int, Int) -> Void)? = nil) async throws -> Outcome {
        let account = try await scope.find(Account.self, accountID, name: "account")
        guard account.isManual else {
            throw ImportError.accountLinked
        }
        let (format, statement) = try parse()
        PhaseTimes.mark("parse")
        if let currency = statement.currency, currency != account.currency {
            throw ImportError.currencyMismatch(statement: currency, account: account.currency)
        }

        let known = try await existingKeys(of: statement, accountID: accountID, in: scope)
        // Keys of the undated spelling are looked for only where the account has some.
        let undated = known.contains { $0.utf8.count == 20 && $0.hasPrefix("CSV:") }
        let fresh = statement.transactions.filter { row in
            !known.contains(row.importKey) && !(undated && row.undatedImportKey.map(known.contains) == true)
        }
        PhaseTimes.mark("dedupe")
        guard !preview else {
            return Outcome(format: format, parsed: statement.transactions.count, added: fresh.count,
                           skipped: statement.transactions.count - fresh.count, statement: statement, importID: nil, newTransactions: fresh)
        }

        let categorizer = try await Categorizer.load(in: scope)
        let rows = fresh.map { item in
            let outcome = categorizer.categorize(
                accountID: accountID, amount: item.amount, description: item.description, merchantName: item.merchantName,
                fallback: item.category.map { ($0, .import) } ?? (.uncategorized, .default))
            return NewTransactionRow(
                userID: scope.userID, accountID: accountID, date: item.date, amount: item.amount, currency: account.currency,
                description: item.description, merchantName: item.merchantName, category: outcome.category,
                categorySource: outcome.source, pending: false, importKey: item.importKey
            )
        }
        PhaseTimes.mark("rules")
        var written = 0
        // The steps of the progress shown. Within one, PostgreSQL's statements are built while the
        // one before runs, so fewer steps keep it busier.
        let chunk = 50_000
        while written < rows.count {
            written += try await TransactionBulkInsert.insert(Array(rows[written..<min(written + chunk, rows.count)]), on: scope.db, analyze: false)
            progress?(written, rows.count)
        }
        if rows.count >= PlannerStatistics.largeLoad { try await PlannerStatistics.refresh(["transactions"], on: scope.db) }
        PhaseTimes.mark("write")
        scope.changes.transactionsInserted(rows)
        try await scope.settle()

        let record = StatementImport()
        record.id = UUID.timeOrdered()
        record.accountID = accountID
        record.format = format.rawValue
        record.addedCount = rows.count
        record.skippedCount = statement.transactions.count - rows.count
        record.ledgerBalance = statement.ledgerBalance
        record.ledgerBalanceDate = statement.ledgerBalanceDate
        record.userID = scope.userID
        try await record.create(on: scope.db)
        try await scope.audit.record(.create, entityType: "import", entityID: record.id, changes: [
            "account_id": FieldChange(old: nil, new: accountID.uuidString),
            "added": FieldChange(old: nil, new: String(rows.count)),
            "skipped": FieldChange(old: nil, new: String(record.skippedCount)),
        ], on: scope.db)
        if let importID = record.id {
            scope.changes.emit(PendingEvent(EventTypes.importCompleted, [
                "import_id": .string(importID.uuidString), "account_id": .string(accountID.uuidString),
                "imported": .int(Int64(rows.count)), "duplicates": .int(Int64(record.skippedCount)),
            ]))
        }
        PhaseTimes.mark("record")
        return Outcome(format: format, parsed: statement.transactions.count, added: rows.count, skipped: record.skippedCount,
                       statement: statement, importID: record.id, newTransactions: fresh)
    }

    /// The keys of `statement` that the account already has. A CSV key (in either spelling, see
    /// `ImportedTransaction.undatedImportKey`) fingerprints the row's day, so one range read of the
    /// account's days in the file finds every earlier row it could match; an
    /// OFX `FITID` is looked up by value, since a bank may re-date a transaction it already sent.
    private func existingKeys(of statement: ImportedStatement, accountID: UUID, in scope: UserScope) async throws -> Set<String> {
        var found: Set<String> = []
        if case .csv = source {
            guard let first = statement.transactions.map(\.date).min(), let last = statement.transactions.map(\.date).max() else { return [] }
            let rows = try await scope.db.sql.raw("""
                SELECT import_key FROM transactions
                WHERE account_id = \(bind: accountID) AND date >= \(bind: first) AND date <= \(bind: last) AND import_key IS NOT NULL
                """).all()
            for row in rows { found.insert(try row.decode(column: "import_key", as: String.self)) }
            return found
        }
        let all = Array(Set(statement.transactions.map(\.importKey)))
        var start = 0
        while start < all.count {
            // Large batches: SQLite allows 32,766 parameters a statement, PostgreSQL 65,535.
            let slice = Array(all[start..<min(start + 10_000, all.count)])
            let rows = try await scope.db.sql.raw("""
                SELECT import_key FROM transactions
                WHERE account_id = \(bind: accountID) AND import_key IN (\(binds: slice))
                """).all()
            for row in rows { found.insert(try row.decode(column: "import_key", as: String.self)) }
            start += slice.count
        }
        return found
    }
}

/// Why a file that parsed cannot go into the account. (A file that does not parse throws
/// `ImportFailure`, naming each problem by its line.)
enum ImportError: Error, Sendable {
    /// The account is linked to an institution: its transactions come from there.
    case accountLinked
    /// The statement is in another currency than the account.
    case currencyMismatch(statement: CurrencyCode, account: CurrencyCode)
}
