import FinanceCore
import Testing

@Suite("Account balances from the ledger")
struct AccountBalanceTests {
    @Test("Assets move with their transactions, liabilities against them", arguments: AccountType.allCases)
    func signs(type: AccountType) throws {
        let opening = try Amount(parsing: "100")
        let spent = try Amount(parsing: "-30.50")
        let balance = try #require(AccountBalance.current(opening: opening, ledgerSum: spent, type: type))
        if type.isLiability {
            #expect(balance == (try Amount(parsing: "130.50")))
            #expect(AccountBalance.effect(of: spent, on: type) == (try Amount(parsing: "30.50")))
        } else {
            #expect(balance == (try Amount(parsing: "69.50")))
            #expect(AccountBalance.effect(of: spent, on: type) == spent)
        }
    }

    @Test("A balance that would leave the range is refused, not wrapped")
    func overflow() {
        #expect(AccountBalance.current(opening: .max, ledgerSum: Amount(1)!, type: .checking) == nil)
        #expect(AccountBalance.current(opening: .max, ledgerSum: Amount(-1)!, type: .loan) == nil)
    }
}
