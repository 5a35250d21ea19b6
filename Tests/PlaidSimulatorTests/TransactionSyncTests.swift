import Foundation
import PlaidKit
@testable import PlaidSimulator
import Testing

@Suite("Linking an item and syncing its transactions")
struct TransactionSyncTests {
    @Test("Public token, exchange, accounts of every type, and a full sync: exactly the history plus the pending ones")
    func linkAccountsAndFullSync() async throws {
        try await SimulatorHarness.with(.init(transactionsPerItem: 1_500, today: SimulatorHarness.today)) { harness in
            let client = harness.client()
            let (accessToken, itemID) = try await harness.link()
            #expect(accessToken.hasPrefix("access-sandbox-"))
            #expect(itemID.count == 37)
            #expect(await harness.simulator.itemID(accessToken: accessToken) == itemID)

            let accounts = try await client.accounts(accessToken: accessToken)
            #expect(accounts.item.itemId == itemID)
            #expect(accounts.item.institutionName == "First Platypus Bank")
            #expect(Set(accounts.accounts.map(\.type)) == ["depository", "credit", "loan", "investment", "other"])
            #expect(Set(accounts.accounts.compactMap(\.subtype)) == ["checking", "savings", "credit card", "mortgage", "student", "brokerage", "other"])
            let checking = try #require(accounts.accounts.first { $0.subtype == "checking" })
            let card = try #require(accounts.accounts.first { $0.subtype == "credit card" })
            #expect(checking.name == "Plaid Checking" && checking.mask == "0000")
            #expect(card.mask == "3333" && card.balances.limit != nil)
            #expect(accounts.accounts.allSatisfy { $0.balances.isoCurrencyCode == "USD" && $0.balances.unofficialCurrencyCode == nil })

            var ledger = Ledger()
            let pages = try await harness.syncAll(accessToken, into: &ledger)
            #expect(pages.count == 4)
            #expect(pages.dropLast().allSatisfy { $0.hasMore })
            #expect(pages.allSatisfy { $0.transactionsUpdateStatus == "HISTORICAL_UPDATE_COMPLETE" })
            #expect(ledger.duplicateAdds.isEmpty)
            #expect(pages.allSatisfy { $0.modified.isEmpty && $0.removed.isEmpty })
            let all = Array(ledger.transactions.values)
            #expect(all.filter { !$0.pending }.count == 1_500)
            #expect(all.filter(\.pending).count == 4)
            #expect(pages.reduce(0) { $0 + $1.added.count } == 1_504)

            // Dates inside the two years up to today, amounts in cents, Plaid's enums.
            let first = try #require(Day(iso: SimulatorHarness.today)).adding(-729).iso
            #expect(all.allSatisfy { $0.date >= first && $0.date <= SimulatorHarness.today })
            #expect(all.allSatisfy { hasAtMost(2, decimalPlacesIn: $0.amount) })
            #expect(all.allSatisfy { ["online", "in store", "other"].contains($0.paymentChannel) })
            #expect(all.allSatisfy { ($0.authorizedDate ?? "") <= $0.date })
            let accountIDs = Set([checking.accountId, card.accountId, accounts.accounts.first { $0.subtype == "savings" }!.accountId])
            #expect(Set(all.map(\.accountId)) == accountIDs)
            let primaries = Set(all.compactMap { $0.personalFinanceCategory?.primary })
            #expect(primaries.isSuperset(of: ["INCOME", "FOOD_AND_DRINK", "TRANSFER_IN", "TRANSFER_OUT", "LOAN_PAYMENTS", "RENT_AND_UTILITIES"]))
            #expect(all.allSatisfy { pfc in pfc.personalFinanceCategory.map { $0.detailed.hasPrefix($0.primary + "_") } ?? false })
            // Pay is money in: a negative Plaid amount into checking.
            let pay = all.filter { $0.personalFinanceCategory?.detailed == "INCOME_SALARY" }
            #expect(pay.count >= 50 && pay.allSatisfy { $0.amount < 0 && $0.accountId == checking.accountId })
            #expect(all.contains { $0.merchantName == nil } && all.contains { $0.merchantName == "Starbucks" })

            // Balances follow the transactions: available is current less pending outflows; credit available is the rest of the limit.
            let balances = try await client.balances(accessToken: accessToken).accounts
            let checkingNow = try #require(balances.first { $0.accountId == checking.accountId }?.balances)
            let pendingOut = ledger.pending(in: checking.accountId).filter { $0.amount > 0 }.reduce(Decimal(0)) { $0 + $1.amount }
            #expect(checkingNow.available == (checkingNow.current ?? 0) - pendingOut)
            #expect((checkingNow.current ?? 0) > 0)
            let cardNow = try #require(balances.first { $0.accountId == card.accountId }?.balances)
            #expect(cardNow.available == (cardNow.limit ?? 0) - (cardNow.current ?? 0))
            // The sync page's accounts are the accounts its transactions touched, with the same balances.
            #expect(Set(ledger.accounts.keys) == accountIDs)
            #expect(ledger.accounts[checking.accountId]?.balances.current == checkingNow.current)

            // Nothing new since the last cursor.
            let again = try await harness.syncPage(accessToken, cursor: ledger.cursor)
            #expect(again.added.isEmpty && again.modified.isEmpty && again.removed.isEmpty && !again.hasMore)
            #expect(again.nextCursor == ledger.cursor)
        }
    }

    @Test("Advance: new, modified and removed transactions, a pending one posting in the same page, and balances that follow")
    func advanceThenSync() async throws {
        try await SimulatorHarness.with { harness in
            let client = harness.client()
            let (accessToken, itemID) = try await harness.link()
            var ledger = Ledger()
            try await harness.syncAll(accessToken, into: &ledger)
            let before = try await client.balances(accessToken: accessToken).accounts
            let previous = ledger.transactions

            let activity = await harness.simulator.advance(itemID: itemID)
            #expect(activity.added >= 4 && activity.modified == 1 && activity.removed == 2)

            let pages = try await harness.syncAll(accessToken, into: &ledger)
            let page = try #require(pages.first)
            #expect(pages.count == 1)
            #expect(page.added.count == activity.added && page.modified.count == activity.modified && page.removed.count == activity.removed)
            #expect(ledger.duplicateAdds.isEmpty && ledger.unknownModified.isEmpty && ledger.unknownRemoved.isEmpty)

            // The oldest pending transaction posted: the posted one names it, and it is removed in the same page.
            let posted = try #require(page.added.first { $0.pendingTransactionId != nil })
            let pendingID = try #require(posted.pendingTransactionId)
            #expect(previous[pendingID]?.pending == true)
            #expect(!posted.pending && posted.amount == previous[pendingID]?.amount)
            #expect(page.removed.contains { $0.transactionId == pendingID })
            #expect(page.added.filter(\.pending).count == 1)
            // The modified one existed before and changed.
            let modified = try #require(page.modified.first)
            let old = try #require(previous[modified.transactionId])
            #expect(old.amount != modified.amount || old.name != modified.name)

            // Depository: current + everything posted stays the opening balance; credit: current − posted does.
            let after = try await client.balances(accessToken: accessToken).accounts
            for account in after {
                let was = try #require(before.first { $0.accountId == account.accountId }?.balances.current)
                let now = try #require(account.balances.current)
                let postedBefore = previous.values.filter { $0.accountId == account.accountId && !$0.pending }.reduce(Decimal(0)) { $0 + $1.amount }
                let postedNow = ledger.sum(ledger.posted(in: account.accountId))
                switch account.type {
                case "depository": #expect(now + postedNow == was + postedBefore)
                case "credit": #expect(now - postedNow == was - postedBefore)
                default: #expect(now == was)
                }
            }
        }
    }

    @Test("A page never ends between a posted transaction and the removal of its pending one")
    func pendingPostingPairIsNeverSplit() async throws {
        try await SimulatorHarness.with(.init(transactionsPerItem: 40, today: SimulatorHarness.today)) { harness in
            let (accessToken, itemID) = try await harness.link()
            var ledger = Ledger()
            try await harness.syncAll(accessToken, into: &ledger)
            var pairs = 0
            for _ in 0..<3 {
                await harness.simulator.advance(itemID: itemID)
                // One entry a page, except the page holding the pair.
                for page in try await harness.syncAll(accessToken, into: &ledger, count: 1) {
                    if let posted = page.added.first(where: { $0.pendingTransactionId != nil }) {
                        #expect(page.removed.map(\.transactionId) == [posted.pendingTransactionId])
                        #expect(page.added.count == 1)
                        pairs += 1
                    } else {
                        #expect(page.added.count + page.modified.count + page.removed.count == 1)
                    }
                }
            }
            #expect(pairs == 3)
            #expect(ledger.unknownModified.isEmpty && ledger.unknownRemoved.isEmpty && ledger.duplicateAdds.isEmpty)
        }
    }

    @Test("The same seed and the same calls give the same answers, byte for byte; another seed does not")
    func deterministic() async throws {
        /// The raw answers of a fixed series of calls, each without its request id.
        func answers(seed: UInt64) async throws -> [String] {
            var texts: [String] = []
            try await SimulatorHarness.with(.init(transactionsPerItem: 250, today: SimulatorHarness.today, seed: seed)) { harness in
                let (accessToken, itemID) = try await harness.link()
                await harness.simulator.advance(itemID: itemID)
                var cursor = ""
                for path in ["/accounts/get", "/transactions/sync", "/transactions/sync", "/investments/holdings/get", "/item/get"] {
                    var body: [String: Any] = ["access_token": accessToken]
                    if path == "/transactions/sync" {
                        body["cursor"] = cursor
                        body["count"] = 200
                    }
                    let (status, json, text) = try await harness.raw(path, body)
                    #expect(status == 200)
                    cursor = json["next_cursor"] as? String ?? cursor
                    texts.append(text.replacing(/,"request_id":"[A-Za-z0-9]+"/, with: ""))
                }
                texts.append("\(accessToken) \(itemID)")
            }
            return texts
        }
        let first = try await answers(seed: 42)
        let second = try await answers(seed: 42)
        let other = try await answers(seed: 43)
        #expect(first.count == 6)
        #expect(first == second)
        #expect(first[1].count > 100_000)
        #expect(first[1] != other[1] && first.last != other.last)
    }

    @Test("Paging while the item changes is MUTATION_DURING_PAGINATION; restarting from the update's first cursor works")
    func mutationDuringPagination() async throws {
        try await SimulatorHarness.with { harness in
            let (accessToken, itemID) = try await harness.link()
            let first = try await harness.syncPage(accessToken, cursor: nil, count: 100)
            #expect(first.hasMore)
            let activity = await harness.simulator.advance(itemID: itemID)
            await #expect {
                try await harness.syncPage(accessToken, cursor: first.nextCursor, count: 100)
            } throws: { error in
                isPlaidError(error, code: "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION", type: "TRANSACTIONS_ERROR", status: 400)
            }
            var ledger = Ledger()
            try await harness.syncAll(accessToken, into: &ledger)
            #expect(ledger.transactions.count == 304 + activity.added - activity.removed)
            #expect(ledger.unknownModified.isEmpty && ledger.unknownRemoved.isEmpty && ledger.duplicateAdds.isEmpty)
        }
    }

    @Test("options.account_id syncs one account: exactly its share of the whole sync, with cursors of its own")
    func oneAccount() async throws {
        try await SimulatorHarness.with { harness in
            let (accessToken, _) = try await harness.link()
            var whole = Ledger()
            try await harness.syncAll(accessToken, into: &whole)
            let checking = try #require(whole.accounts.values.first { $0.subtype == "checking" }).accountId
            let client = harness.client()
            var mine: [String: String] = [:]
            var cursor: String?, pages = 0
            repeat {
                let page = try await client.call("/transactions/sync", TransactionsSyncRequest(
                    accessToken: accessToken, cursor: cursor, count: 50, options: .init(accountId: checking)), as: TransactionsSyncResponse.self)
                #expect(page.added.count <= 50)
                #expect(page.added.allSatisfy { $0.accountId == checking })
                for transaction in page.added { mine[transaction.transactionId] = transaction.accountId }
                cursor = page.nextCursor
                pages += 1
                if !page.hasMore { break }
            } while pages < 1_000
            let expected = Set(whole.transactions.values.filter { $0.accountId == checking }.map(\.transactionId))
            #expect(!expected.isEmpty && expected.count < whole.transactions.count)
            #expect(Set(mine.keys) == expected)
            #expect(pages > 1)
            // The account's cursor is not a cursor of the whole item, and an unknown account is refused.
            await #expect { try await harness.syncPage(accessToken, cursor: cursor) } throws: { error in
                isPlaidError(error, code: "INVALID_FIELD", type: "INVALID_REQUEST", status: 400)
            }
            await #expect {
                try await client.call("/transactions/sync", TransactionsSyncRequest(accessToken: accessToken, cursor: nil, options: .init(accountId: "nope")),
                                      as: TransactionsSyncResponse.self)
            } throws: { error in
                isPlaidError(error, code: "INVALID_ACCOUNT_ID", type: "INVALID_INPUT", status: 400)
            }
        }
    }

    @Test("A 100,000-transaction item is generated and served in 500-row pages")
    func largeItem() async throws {
        try await SimulatorHarness.with(.init(transactionsPerItem: 100_000, today: SimulatorHarness.today)) { harness in
            let clock = ContinuousClock()
            var accessToken = ""
            let generated = try await clock.measure { accessToken = try await harness.link().accessToken }
            // First the pages as bytes (the simulator's time plus loopback), then parsing them.
            var pages: [Data] = []
            var cursor = ""
            let served = try await clock.measure {
                while true {
                    let page = try await harness.rawBytes("/transactions/sync", ["access_token": accessToken, "cursor": cursor, "count": 500])
                    pages.append(page)
                    // The cursor and has_more are among the last members the simulator writes.
                    let tail = String(decoding: page.suffix(600), as: UTF8.self)
                    cursor = String(try #require(tail.firstMatch(of: /"next_cursor":"([^"]*)"/)).1)
                    if !tail.contains(#""has_more":true"#) { break }
                }
            }
            var ids = Set<String>()
            for page in pages {
                let json = try #require(try JSONSerialization.jsonObject(with: page) as? [String: Any])
                for transaction in json["added"] as? [[String: Any]] ?? [] { ids.insert(transaction["transaction_id"] as? String ?? "") }
            }
            print("100,000 transactions: item generated in \(generated); \(pages.count) pages of 500 fetched and read in \(served)")
            #expect(ids.count == 100_004)
            #expect(pages.count == 201)
        }
    }
}
