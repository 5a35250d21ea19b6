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

extension AccountBalance {
    /// The balance at the end of each day that has entries, replaying the ledger from the opening
    /// balance: the exact history that the daily balance snapshots must agree with. `nil` on overflow.
    public static func daily(opening: Amount, entries: [(date: LocalDate, amount: Amount)], type: AccountType) -> [(date: LocalDate, balance: Amount)]? {
        var byDay: [LocalDate: Amount] = [:]
        for entry in entries {
            guard let sum = (byDay[entry.date] ?? .zero).adding(effect(of: entry.amount, on: type)) else { return nil }
            byDay[entry.date] = sum
        }
        var balance = opening
        var series: [(date: LocalDate, balance: Amount)] = []
        for day in byDay.keys.sorted() {
            guard let next = balance.adding(byDay[day]!) else { return nil }
            balance = next
            series.append((day, balance))
        }
        return series
    }
}
