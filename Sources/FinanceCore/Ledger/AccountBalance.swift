/// How a manual account's balance follows its ledger.
///
/// Transaction amounts are signed from the account holder's side: negative is money leaving the
/// account. An asset's balance is what it holds, so it moves with them: opening + Σ amounts.
/// A liability's balance is what is owed, written positive as banks report it, so it moves against
/// them: spending on a card (a negative amount) raises what is owed: opening − Σ amounts.
public enum AccountBalance {
    public static func current(opening: Amount, ledgerSum: Amount, type: AccountType) -> Amount? {
        type.isLiability ? opening.subtracting(ledgerSum) : opening.adding(ledgerSum)
    }

    /// What one transaction changes the balance by.
    public static func effect(of amount: Amount, on type: AccountType) -> Amount {
        type.isLiability ? amount.negated : amount
    }
}
