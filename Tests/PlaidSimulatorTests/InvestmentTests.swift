import Foundation
import PlaidKit
@testable import PlaidSimulator
import Testing

@Suite("Holdings and investment transactions")
struct InvestmentTests {
    static let securityTypes: Set<String> = ["cash", "cryptocurrency", "derivative", "equity", "etf", "fixed income", "loan", "mutual fund", "other"]
    static let transactionTypes: Set<String> = ["buy", "sell", "cancel", "cash", "fee", "transfer"]

    @Test("Replaying every investment transaction from nothing gives exactly the holdings")
    func holdingsAreTheReplayOfTransactions() async throws {
        try await SimulatorHarness.with { harness in
            let client = harness.client()
            let (accessToken, _) = try await harness.link()
            let holdings = try await client.holdings(accessToken: accessToken)
            #expect(holdings.accounts.count == 1 && holdings.accounts.first?.subtype == "brokerage")
            let brokerage = try #require(holdings.accounts.first)

            // Pages of 40, newest first, until all are fetched.
            var transactions: [InvestmentTransaction] = []
            var total = 0
            repeat {
                let page = try await client.investmentTransactions(InvestmentsTransactionsGetRequest(
                    accessToken: accessToken, startDate: "2023-01-01", endDate: SimulatorHarness.today, count: 40, offset: transactions.count))
                total = page.totalInvestmentTransactions
                #expect(page.investmentTransactions.count <= 40)
                let referenced = Set(page.investmentTransactions.compactMap(\.securityId))
                #expect(referenced.isSubset(of: Set(page.securities.map(\.securityId))))
                transactions += page.investmentTransactions
            } while transactions.count < total && !transactions.isEmpty
            #expect(total > 60)
            #expect(transactions.count == total)
            #expect(Set(transactions.map(\.investmentTransactionId)).count == total)
            #expect(zip(transactions, transactions.dropFirst()).allSatisfy { $0.date >= $1.date })
            #expect(transactions.allSatisfy { Self.transactionTypes.contains($0.type) && $0.accountId == brokerage.accountId })
            #expect(transactions.allSatisfy { hasAtMost(2, decimalPlacesIn: $0.amount) })
            // Plaid's signs: a purchase debits cash and adds units; a sale or dividend credits cash.
            #expect(transactions.filter { $0.type == "buy" }.allSatisfy { $0.amount > 0 && $0.quantity > 0 })
            #expect(transactions.filter { $0.type == "sell" }.allSatisfy { $0.amount < 0 && $0.quantity < 0 })
            #expect(transactions.filter { $0.subtype == "dividend" }.allSatisfy { $0.amount < 0 && $0.quantity == 0 })
            #expect(transactions.last?.subtype == "deposit")

            let cash = try #require(holdings.securities.first { $0.tickerSymbol == "CUR:USD" })
            var replayed: [String: Decimal] = [:]
            for transaction in transactions {
                if let security = transaction.securityId { replayed[security, default: 0] += transaction.quantity }
                replayed[cash.securityId, default: 0] -= transaction.amount
            }
            for holding in holdings.holdings {
                #expect(replayed[holding.securityId] == holding.quantity, "\(holding.securityId)")
                #expect(holding.institutionValue == holding.quantity * holding.institutionPrice)
                #expect(hasAtMost(2, decimalPlacesIn: holding.institutionValue))
                #expect((holding.costBasis ?? 0) > 0)
            }
            #expect(Set(replayed.filter { $0.value != 0 }.keys) == Set(holdings.holdings.map(\.securityId)))
            let types = Set(holdings.securities.compactMap(\.type))
            #expect(types.isSubset(of: Self.securityTypes))
            #expect(types.isSuperset(of: ["equity", "etf", "mutual fund", "fixed income", "cash", "cryptocurrency"]))
            // The account is worth its holdings; its cash is what it can withdraw.
            let worth = holdings.holdings.reduce(Decimal(0)) { $0 + $1.institutionValue }
            #expect(brokerage.balances.current == worth)
            #expect(brokerage.balances.available == holdings.holdings.first { $0.securityId == cash.securityId }?.quantity)
        }
    }

    @Test("Dates filter the investment transactions; count and offset are checked")
    func dateFilterAndBounds() async throws {
        try await SimulatorHarness.with { harness in
            let client = harness.client()
            let (accessToken, _) = try await harness.link()
            let all = try await client.investmentTransactions(InvestmentsTransactionsGetRequest(
                accessToken: accessToken, startDate: "2000-01-01", endDate: SimulatorHarness.today, count: 500))
            let lastQuarter = try await client.investmentTransactions(InvestmentsTransactionsGetRequest(
                accessToken: accessToken, startDate: "2025-04-01", endDate: "2025-06-30", count: 500))
            #expect(lastQuarter.totalInvestmentTransactions == all.investmentTransactions.filter { $0.date >= "2025-04-01" }.count)
            #expect(lastQuarter.totalInvestmentTransactions > 0 && lastQuarter.totalInvestmentTransactions < all.totalInvestmentTransactions)
            #expect(lastQuarter.investmentTransactions.allSatisfy { $0.date >= "2025-04-01" && $0.date <= "2025-06-30" })

            let (status, json, _) = try await harness.raw("/investments/transactions/get", [
                "access_token": accessToken, "start_date": "2025-01-01", "end_date": "2025-06-30", "options": ["count": 501],
            ])
            #expect(status == 400 && json["error_code"] as? String == "INVALID_FIELD")
            let (defaultStatus, defaultJSON, _) = try await harness.raw("/investments/transactions/get", [
                "access_token": accessToken, "start_date": "2000-01-01", "end_date": "2025-06-30",
            ])
            #expect(defaultStatus == 200)
            #expect((defaultJSON["investment_transactions"] as? [Any])?.count == min(100, all.totalInvestmentTransactions))
        }
    }
}
