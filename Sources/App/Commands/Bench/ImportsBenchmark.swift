import FinanceCore
import Fluent
import Foundation
import SQLKit
import Vapor

/// `finance bench imports`: a whole history brought in as a new user would bring it. The generated
/// ledger (1,000,000 transactions over 30 accounts and 10 years by default) is written as one CSV file
/// per account, categories included, and each file goes through its own `finance import` process into
/// its account, one after the other, on the configured database. It prints each file's time from the
/// process's start to its end, the total and the rows per second end to end, then checks that every
/// derived table equals a rebuild. Run it on an empty database to see a first import.
struct ImportsBenchmark {
    let app: Application
    let shape: LedgerShape
    let console: any Console

    func run() async throws {
        try await DatabaseMigrations.migrate(app)
        let postgres = app.db.engine == .postgres
        let present = try await app.db.asSystem { db in try await db.sql.raw("SELECT count(*) AS n FROM transactions").first()?.decode(column: "n", as: Int.self) ?? 0 }
        let (fixture, email) = try await makeUser()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("finance-bench-imports-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }

        // One CSV per account, rows in date order as a bank's export comes.
        var files = Dictionary(uniqueKeysWithValues: fixture.accounts.map { ($0, "Date,Description,Merchant,Category,Amount\n") })
        var generator = LedgerGenerator(shape: shape)
        var generated = 0
        while generated < shape.transactions {
            let rows = generator.next(min(100_000, shape.transactions - generated), userID: fixture.userID, accounts: fixture.accounts)
            for row in rows {
                files[row.accountID]! += "\(row.date),\(row.description),\(row.merchantName ?? ""),\(row.category.rawValue),\(row.amount)\n"
            }
            generated += rows.count
        }
        var paths: [(account: UUID, path: String, rows: Int)] = []
        for (index, account) in fixture.accounts.enumerated() {
            let text = files[account]!
            let path = folder.appendingPathComponent("account-\(index + 1).csv").path
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            paths.append((account, path, text.utf8.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) } - 1))
        }
        files = [:]
        console.print("imports: \(postgres ? "PostgreSQL" : "SQLite"), \(present.formatted()) transactions in the database before")
        console.print("  data: \(shape.transactions.formatted()) transactions over \(shape.years) years in \(paths.count) CSV files (one per account, categories included), each through its own `finance import` process")

        var times: [Duration] = []
        var phases: [(name: String, seconds: Double)] = []
        var firstAndLast: [String] = []
        let started = ContinuousClock.now
        for (index, (account, path, _)) in paths.enumerated() {
            let began = ContinuousClock.now
            let said = try runImport(email: email, account: account, path: path)
            times.append(ContinuousClock.now - began)
            // "Timings: parse 0.10 s, dedupe 0.01 s, ..."
            let timings = said.split(separator: "\n").first(where: { $0.hasPrefix("Timings: ") })?.dropFirst(9)
            if index == 0 || index == paths.count - 1 { firstAndLast.append("file \(index + 1): \(timings ?? "")") }
            for phase in timings?.split(separator: ", ") ?? [] {
                let words = phase.split(separator: " ")
                guard words.count >= 3, let seconds = Double(words[words.count - 2]) else { continue }
                let name = words.dropLast(2).joined(separator: " ")
                if let index = phases.firstIndex(where: { $0.name == name }) { phases[index].seconds += seconds } else { phases.append((name, seconds)) }
            }
        }
        let total = ContinuousClock.now - started
        let imported = try await app.db.asUser(fixture.userID) { db in
            try await db.sql.raw("SELECT count(*) AS n FROM transactions").first()?.decode(column: "n", as: Int.self) ?? 0
        }
        let rowsPerFile = paths.map(\.rows)
        func file(_ index: Int) -> String { "\(LedgerBenchmark.seconds(times[index])) (\(rowsPerFile[index].formatted()) rows)" }
        let slowest = times.indices.max { times[$0] < times[$1] }!
        console.print("  first file \(file(0)), second \(file(1)), last \(file(times.count - 1)), slowest (file \(slowest + 1)) \(file(slowest))")
        console.print("  all \(paths.count) files: \(imported.formatted()) rows in \(LedgerBenchmark.seconds(total)): \(LedgerBenchmark.rate(imported, total)) end to end")
        let inside = phases.reduce(0) { $0 + $1.seconds }
        let wall = Double(total.components.seconds) + Double(total.components.attoseconds) / 1e18
        console.print("  where the time went, all files: " + phases.map { "\($0.name) \(String(format: "%.2f s", $0.seconds))" }.joined(separator: ", ")
            + "; the processes' start (migrations check included), reading the file and finding the user \(String(format: "%.2f s", wall - inside))")
        for line in firstAndLast { console.print("    \(line)") }
        let differences = try await LedgerCheck.differences(userID: fixture.userID, app: app)
        console.print("  derived tables against a rebuild: \(differences.isEmpty ? "equal" : differences.joined(separator: "; "))")
        try await fixture.remove(from: app.db)
        if imported != shape.transactions || !differences.isEmpty { throw CommandFailure("the imports lost rows or left derived state behind") }
    }

    /// A user with `shape.accounts` manual accounts, made through the ledger's write path as the API makes them.
    private func makeUser() async throws -> (LedgerFixture, String) {
        let email = "bench-imports-\(UUID().uuidString.prefix(8).lowercased())@example.invalid"
        let user = User(id: UUID.timeOrdered(), email: email, passwordHash: "!", fullName: "Imports")
        try await app.write(as: .system) { db in try await user.create(on: db) }
        let userID = try user.requireID()
        let audit = AuditContext(userID: userID, requestID: "bench-imports", clientAddress: nil)
        let accounts = try await app.ledger.write(for: userID, audit: audit) { [shape] scope in
            var made: [UUID] = []
            for index in 0..<shape.accounts {
                let type: AccountType = [.checking, .savings, .creditCard][index % 3]
                let account = Account(id: UUID.timeOrdered(), userID: userID, name: "Account \(index + 1)", type: type, currency: .usd,
                                      currentBalance: .zero, openingBalance: .zero)
                try await account.create(on: scope.db)
                let id = try account.requireID()
                scope.changes.historyChanged(of: id)
                made.append(id)
            }
            return made
        }
        return (LedgerFixture(userID: userID, accounts: accounts, importAccount: accounts[0]), email)
    }

    /// `finance import` in its own process, on the same database; what it printed.
    private func runImport(email: String, account: UUID, path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["import", "--email", email, "--account", account.uuidString, path,
                             "--date-column", "Date", "--amount-column", "Amount", "--description-column", "Description",
                             "--merchant-column", "Merchant", "--category-column", "Category", "--timings", "--log", "warning"]
        var environment = ProcessInfo.processInfo.environment
        environment[Settings.Key.dataDirectory.rawValue] = app.settings.dataDirectory
        process.environment = environment
        let said = try process.runCapturingOutput()
        guard process.terminationStatus == 0 else {
            throw CommandFailure("finance import of \(path) failed (status \(process.terminationStatus)): \(said)")
        }
        return said
    }
}
