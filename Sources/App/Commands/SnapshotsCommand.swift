import FinanceCore
import Fluent
import Foundation
import SQLKit
import Vapor

/// `finance snapshots rebuild [--user E]`: rewrites the daily balance snapshots (and the transfer
/// flags and daily totals) from the ledger, for one user or everyone, and reports any account whose rebuilt history
/// differs from the one kept along the way (there should be none). `finance snapshots check` compares
/// every derived table with a rebuild and changes nothing (`LedgerCheck`).
struct SnapshotsCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "action", help: "rebuild or check")
        var action: String
        @Option(name: "user", help: "The email of the one user to rebuild (everyone when left out).")
        var user: String?
    }

    var help: String {
        "Rebuilds daily balance snapshots from the ledger (`finance snapshots rebuild [--user EMAIL]`), or checks them against a rebuild without changing anything (`finance snapshots check [--user EMAIL]`)."
    }

    func run(using context: CommandContext, signature: Signature) async throws {
        guard ["rebuild", "check"].contains(signature.action) else {
            throw CommandFailure("unknown action \"\(signature.action)\"; known: rebuild, check")
        }
        let app = context.application
        try await DatabaseMigrations.migrate(app)
        let users: [User] = try await app.db.asSystem { db in
            var query = User.query(on: db)
            if let text = signature.user {
                guard let email = EmailAddress(text) else { throw CommandFailure("--user must be an email address") }
                query = query.filter(\.$email == email.value)
            }
            return try await query.sort(\.$email).all()
        }
        if let email = signature.user, users.isEmpty { throw CommandFailure("no user has the email \(email)") }
        if signature.action == "check" {
            var differing = 0
            for user in users {
                let found = try await LedgerCheck.differences(userID: try user.requireID(), app: app)
                differing += found.isEmpty ? 0 : 1
                for line in found.prefix(20) { context.console.warning("\(user.email): \(line)") }
            }
            context.console.print("Checked \(users.count) user(s): \(differing) with derived tables that differ from their ledger.")
            if differing > 0 { throw CommandFailure("derived tables differ from the ledger; `finance snapshots rebuild` rewrites them") }
            return
        }
        var accounts = 0, rows = 0, differing = 0
        for user in users {
            guard let userID = user.id else { continue }
            let audit = AuditContext(userID: userID, requestID: "cli-snapshots", clientAddress: nil)
            let outcome = try await app.ledger.write(for: userID, audit: audit) { scope in
                let db = scope.db
                let before = try await Self.history(userID: userID, on: db)
                let count = try await DerivedState.rebuild(userID: userID, in: scope)
                let after = try await Self.history(userID: userID, on: db)
                let changed = Set(before.keys).union(after.keys).filter { before[$0] != after[$0] }
                return (count, after.values.reduce(0) { $0 + $1.count }, changed.count)
            }
            accounts += outcome.0
            rows += outcome.1
            differing += outcome.2
            if outcome.2 > 0 {
                context.console.warning("\(user.email): \(outcome.2) account(s) had snapshots that differed from their ledger; rewritten")
            }
        }
        context.console.print("Rebuilt \(rows.formatted()) snapshot(s) of \(accounts) account(s) of \(users.count) user(s); "
            + "\(differing) account(s) differed from what was kept.")
    }

    /// Each account's (day, balance) rows.
    private static func history(userID: UUID, on db: any Database) async throws -> [UUID: [String]] {
        let rows = try await db.sql.raw("""
            SELECT account_id, date, current_balance FROM balance_snapshots WHERE user_id = \(bind: userID) ORDER BY account_id, date
            """).all()
        var history: [UUID: [String]] = [:]
        for row in rows {
            let account = try row.decode(column: "account_id", as: UUID.self)
            let entry = "\(try row.decode(column: "date", as: LocalDate.self)) \(try row.decode(column: "current_balance", as: Amount.self))"
            history[account, default: []].append(entry)
        }
        return history
    }
}
