import FinanceCore
import Fluent
import Foundation
import Vapor

/// `finance import --email E --account ID FILE`: the API's import, from the command line, with progress.
struct ImportCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "email", help: "The user whose account receives the file.")
        var email: String?
        @Option(name: "account", help: "The account's id.")
        var account: String?
        @Argument(name: "file", help: "An OFX, QFX or CSV file.")
        var file: String
        @Option(name: "format", help: "ofx or csv (detected when left out).")
        var format: String?
        @Option(name: "date-column", help: "CSV: the date column (header name, or 0-based index).")
        var dateColumn: String?
        @Option(name: "amount-column", help: "CSV: the signed amount column.")
        var amountColumn: String?
        @Option(name: "debit-column", help: "CSV: the money-out column.")
        var debitColumn: String?
        @Option(name: "credit-column", help: "CSV: the money-in column.")
        var creditColumn: String?
        @Option(name: "description-column", help: "CSV: the description column.")
        var descriptionColumn: String?
        @Option(name: "merchant-column", help: "CSV: the merchant column.")
        var merchantColumn: String?
        @Option(name: "category-column", help: "CSV: the category column.")
        var categoryColumn: String?
        @Option(name: "date-format", help: "CSV: iso, dmy or mdy.")
        var dateFormat: String?
        @Option(name: "decimal-separator", help: "CSV: point or comma.")
        var decimalSeparator: String?
        @Flag(name: "no-header", help: "CSV: the file has no header row.")
        var noHeader: Bool
        @Flag(name: "negate-amounts", help: "CSV: the file writes money out as positive numbers.")
        var negateAmounts: Bool
        @Flag(name: "preview", help: "Parse and report, write nothing.")
        var preview: Bool
        @Flag(name: "timings", help: "Print where the import's time went, phase by phase.")
        var timings: Bool
    }

    var help: String { "Imports an OFX, QFX or CSV bank file into a user's manual account; importing the same file twice adds nothing." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await DatabaseMigrations.migrate(app)
        guard let emailText = signature.email, let email = EmailAddress(emailText) else {
            throw CommandFailure("--email must name a user")
        }
        guard let accountText = signature.account, let accountID = UUID(uuidString: accountText) else {
            throw CommandFailure("--account must be an account id")
        }
        guard let data = FileManager.default.contents(atPath: signature.file) else {
            throw CommandFailure("cannot read \(signature.file)")
        }
        let options = ImportOptions(
            format: signature.format, dateColumn: signature.dateColumn, amountColumn: signature.amountColumn,
            debitColumn: signature.debitColumn, creditColumn: signature.creditColumn, descriptionColumn: signature.descriptionColumn,
            merchantColumn: signature.merchantColumn, categoryColumn: signature.categoryColumn, dateFormat: signature.dateFormat,
            decimalSeparator: signature.decimalSeparator, delimiter: nil, hasHeader: !signature.noHeader, negateAmounts: signature.negateAmounts
        )
        let bytes = [UInt8](data)
        let console = context.console
        do {
            let importer = StatementImporter(bytes: bytes, source: try options.source(for: bytes))
            guard let user = try await app.db.asSystem({ db in try await User.query(on: db).filter(\.$email == email.value).first() }),
                  let userID = user.id else { throw CommandFailure("no user has the email \(email)") }
            let audit = AuditContext(userID: userID, requestID: "cli-import", clientAddress: nil)
            let started = ContinuousClock.now
            let preview = signature.preview
            let phases = PhaseTimes()
            let progress: @Sendable (Int, Int) -> Void = { done, total in
                console.output(ProgressText.bar(done: done, total: total).consoleText(), newLine: false)
            }
            // A preview only reads; an import is one unit of work of the ledger.
            let outcome = preview
                ? try await app.db.asUser(userID) { db in
                    try await importer.run(accountID: accountID, preview: true, in: UserScope(userID: userID, db: db, audit: audit))
                }
                : try await app.ledger.write(for: userID, audit: audit) { scope in
                    // Inside the transaction's task: the database drivers run the body in a task of their own.
                    try await PhaseTimes.measuring(phases) {
                        try await importer.run(accountID: accountID, preview: false, in: scope, progress: progress)
                    }
                }
            if outcome.added > 0 && !preview { console.print() }
            let elapsed = ContinuousClock.now - started
            console.print("\(preview ? "Preview of" : "Imported") \(signature.file): \(outcome.parsed) in the file, "
                + "\(outcome.added) \(preview ? "to add" : "added"), \(outcome.skipped) already there "
                + "(\(elapsed.formatted(.units(allowed: [.seconds, .milliseconds], width: .narrow))))")
            if signature.timings {
                let measured = phases.phases
                let rest = elapsed - measured.reduce(.zero) { $0 + $1.duration }
                console.print("Timings: " + (measured + [("commit", rest)]).map { "\($0.name) \(LedgerBenchmark.seconds($0.duration))" }.joined(separator: ", "))
            }
            if let balance = outcome.statement.ledgerBalance {
                console.print("Statement ledger balance: \(balance)\(outcome.statement.ledgerBalanceDate.map { " on \($0)" } ?? "")")
            }
        } catch {
            // The words the API would answer with: the same problems, named the same way.
            guard let error = (error as? APIError) ?? (error as? any APIErrorConvertible)?.apiError else { throw error }
            console.error("Nothing was imported: \(error.message)")
            for (field, problem) in error.fields.sorted(by: { $0.key.localizedStandardCompare($1.key) == .orderedAscending }) {
                console.error("  \(field): \(problem)")
            }
            throw CommandFailure("import failed")
        }
    }
}

/// A failure of a command, said in one line.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

enum ProgressText {
    /// `\r[##########··········]  50%  50,000/100,000`
    static func bar(done: Int, total: Int, width: Int = 30) -> String {
        let filled = total == 0 ? width : done * width / total
        let percent = total == 0 ? 100 : done * 100 / total
        return "\r[" + String(repeating: "#", count: filled) + String(repeating: "·", count: width - filled) + "] "
            + String(percent).leftPadded(to: 3) + "%  \(done.formatted())/\(total.formatted())"
    }
}

extension String {
    func leftPadded(to width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
