@testable import App
import FinanceCore
import Fluent
import Foundation
import SQLKit
import Testing

@Suite("Exact money in the database")
struct MoneyStorageTests {
    @Test("Amounts, quantities and prices round-trip exactly through models", arguments: TestBackend.all)
    func modelRoundTrip(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            try await app.db.asSystem { db in
                let user = User(email: "Ada@Example.com", passwordHash: "$2b$12$x", fullName: "Ada")
                try await user.save(on: db)
                let userID = try user.requireID()
                #expect(user.email == "ada@example.com")

                let big = try Amount(parsing: "12345678901234.5678")
                let account = Account(userID: userID, name: "Brokerage cash", type: .investment, currency: .usd, currentBalance: big)
                account.creditLimit = try Amount(parsing: "0.0001")
                try await account.save(on: db)
                let accountID = try account.requireID()

                let date = try #require(LocalDate(iso8601: "2024-02-29"))
                let transaction = Transaction(userID: userID, accountID: accountID, date: date,
                                              amount: Money(big.negated, .usd), description: "Wire", category: .transferOut)
                try await transaction.save(on: db)

                let security = Investment(userID: userID, symbol: "SAT", name: "A coin", type: .crypto, currency: .usd)
                security.latestPrice = try Price(parsing: "0.00000001")
                security.latestPriceDate = date
                try await security.save(on: db)
                let portfolio = Portfolio(userID: userID, name: "Coins", currency: .usd)
                try await portfolio.save(on: db)
                let item = PortfolioItem(userID: userID, portfolioID: try portfolio.requireID(), investmentID: try security.requireID(),
                                         quantity: try Quantity(parsing: "0.00000001"), costBasis: try Amount(parsing: "0.0001"))
                try await item.save(on: db)

                let storedAccount = try #require(try await Account.find(accountID, on: db))
                #expect(storedAccount.currentBalance == big)
                #expect(storedAccount.balance.formattedAmount == "12345678901234.5678")
                #expect(storedAccount.creditLimit?.description == "0.0001")
                #expect(storedAccount.availableBalance == nil)
                #expect(storedAccount.type == .investment)

                let storedTransaction = try #require(try await Transaction.find(transaction.requireID(), on: db))
                #expect(storedTransaction.money == Money(big.negated, .usd))
                #expect(storedTransaction.date == date)
                #expect(storedTransaction.category == .transferOut)

                let storedSecurity = try #require(try await Investment.find(security.requireID(), on: db))
                #expect(storedSecurity.latestPrice?.description == "0.00000001")
                let storedItem = try #require(try await PortfolioItem.find(item.requireID(), on: db))
                #expect(storedItem.quantity.description == "0.00000001")
                #expect(storedItem.quantity.units == 1)

                // Filters bind exact values too.
                let found = try await Transaction.query(on: db).filter(\.$amount == big.negated).count()
                #expect(found == 1)
            }
        }
    }

    @Test("The database holds the exact decimal, and sums it exactly", arguments: TestBackend.all)
    func storageAndSums(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let db = RawFixtures(app: app)
            let user = try await db.user()
            let account = try await db.account(user: user)
            for _ in 0..<10 { try await db.transaction(user: user, account: account, amount: "0.1") }
            try await db.transaction(user: user, account: account, amount: "-0.0003")

            let total = try await app.db.asSystem { db in
                try await db.sql.raw("SELECT sum(amount) AS total FROM transactions").first()?.decode(column: "total", as: Amount.self)
            }
            #expect(total?.description == "0.9997")

            switch backend {
            case .postgres:
                let text = try await app.db.asSystem { db in
                    try await db.sql.raw("SELECT min(amount)::text AS t FROM transactions").first()?.decode(column: "t", as: String.self)
                }
                #expect(text == "-0.0003")
            case .sqlite:
                // An integer count of 10^-4 units: exact, and summed by SQLite as an integer.
                #expect(try await app.scalar("SELECT min(amount) FROM transactions") == -3)
                #expect(try await app.scalar("SELECT count(*) FROM transactions WHERE typeof(amount) = 'integer'") == 11)
            }
        }
    }

    @Test("Extreme values survive the database and JSON unchanged", arguments: TestBackend.all)
    func extremes(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let db = RawFixtures(app: app)
            let user = try await db.user()
            let account = try await db.account(user: user)
            let values = ["12345678901234.5678", "-12345678901234.5678", "99999999999999.9999", "-99999999999999.9999", "0.0001", "0"]
            for value in values { try await db.transaction(user: user, account: account, amount: value) }
            let stored = try await app.transactions().map(\.amount)
            #expect(Set(stored) == Set(try values.map { try Amount(parsing: $0) }))

            let json = try JSONEncoder().encode(stored)
            #expect(try JSONDecoder().decode([Amount].self, from: json) == stored)
            for value in values { #expect(String(decoding: json, as: UTF8.self).contains("\"\(value)\"")) }
        }
    }
}
