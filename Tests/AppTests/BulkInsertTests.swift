@testable import App
import FinanceCore
import Fluent
import Foundation
import Testing

@Suite("Bulk transaction insert")
struct BulkInsertTests {
    func rows(user: UUID, account: UUID, count: Int, description: String = "Plain") throws -> [NewTransactionRow] {
        try (0..<count).map { index in
            NewTransactionRow(
                userID: user, accountID: account, date: try #require(LocalDate(iso8601: "2024-01-01")).adding(days: index),
                amount: try Amount(parsing: "-\(index).25"), currency: .usd, description: description,
                merchantName: index % 2 == 0 ? nil : "Shop", category: .generalMerchandise, pending: index % 3 == 0
            )
        }
    }

    @Test("Rows land exactly as given, text with tabs, newlines and backslashes included", arguments: TestBackend.all)
    func roundTrip(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let db = RawFixtures(app: app)
            let user = try await db.user()
            let account = try await db.account(user: user)
            let tricky = "Tab\there, line\nbreak, back\\slash, quote ' and \"; é ✓"
            let written = try rows(user: user, account: account, count: 1_234, description: tricky)
            #expect(try await TransactionBulkInsert.insert(written, on: app.db) == 1_234)

            let stored = try await app.transactions()
            #expect(stored.count == 1_234)
            for (row, model) in zip(written, stored) {
                #expect(model.id == row.id)
                #expect(model.amount == row.amount)
                #expect(model.date == row.date)
                #expect(model.description == tricky)
                #expect(model.merchantName == row.merchantName)
                #expect(model.pending == row.pending)
                #expect(model.category == .generalMerchandise)
                #expect(model.createdAt != nil)
            }
        }
    }

    @Test("A batch with one bad row writes nothing", arguments: TestBackend.all)
    func atomic(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let db = RawFixtures(app: app)
            let user = try await db.user()
            let account = try await db.account(user: user)
            var batch = try rows(user: user, account: account, count: 1_500)
            // The last row names an account that does not exist.
            let bad = batch[1_499]
            batch[1_499] = NewTransactionRow(userID: user, accountID: UUID(), date: bad.date, amount: bad.amount, currency: .usd,
                                             description: "x", merchantName: nil, category: .other, pending: false)
            await #expect(throws: (any Error).self) { try await TransactionBulkInsert.insert(batch, on: app.db) }
            #expect(try await app.transactions().count == 0)

            // The connection is usable afterwards, and a good batch still lands.
            #expect(try await TransactionBulkInsert.insert(Array(batch.prefix(10)), on: app.db) == 10)
            #expect(try await app.transactions().count == 10)
        }
    }

    @Test("Time-ordered ids are version 7 and sort by creation time")
    func timeOrderedIDs() throws {
        let earlier = UUID.timeOrdered(now: Date(timeIntervalSince1970: 1_700_000_000))
        let later = UUID.timeOrdered(now: Date(timeIntervalSince1970: 1_700_000_001))
        #expect(earlier.uuidString.split(separator: "-")[2].first == "7")
        #expect(["8", "9", "A", "B"].contains(earlier.uuidString.split(separator: "-")[3].first.map(String.init)))
        #expect(earlier.uuidString < later.uuidString)
        #expect(earlier.uuidString.hasPrefix("018BCFE5-6800"))
        #expect(UUID.timeOrdered() != UUID.timeOrdered())
    }
}
