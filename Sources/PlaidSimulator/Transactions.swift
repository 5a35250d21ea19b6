/// The accounts every simulated item has, in the order Plaid lists them.
enum AccountKind: Int, CaseIterable, Sendable {
    case checking, savings, creditCard, mortgage, studentLoan, brokerage, other

    var name: String {
        switch self {
        case .checking: "Plaid Checking"
        case .savings: "Plaid Saving"
        case .creditCard: "Plaid Credit Card"
        case .mortgage: "Plaid Mortgage"
        case .studentLoan: "Plaid Student Loan"
        case .brokerage: "Plaid Brokerage"
        case .other: "Plaid Rewards"
        }
    }

    var officialName: String? {
        switch self {
        case .checking: "Plaid Gold Standard 0% Interest Checking"
        case .savings: "Plaid Silver Standard 0.1% Interest Saving"
        case .creditCard: "Plaid Diamond 12.5% APR Interest Credit Card"
        case .mortgage: "Plaid 30 Year Fixed Rate Mortgage"
        case .studentLoan: nil
        case .brokerage: "Plaid Self-Directed Brokerage"
        case .other: nil
        }
    }

    var mask: String {
        switch self {
        case .checking: "0000"
        case .savings: "1111"
        case .creditCard: "3333"
        case .mortgage: "8888"
        case .studentLoan: "7777"
        case .brokerage: "5555"
        case .other: "9999"
        }
    }

    var type: String {
        switch self {
        case .checking, .savings: "depository"
        case .creditCard: "credit"
        case .mortgage, .studentLoan: "loan"
        case .brokerage: "investment"
        case .other: "other"
        }
    }

    var subtype: String {
        switch self {
        case .checking: "checking"
        case .savings: "savings"
        case .creditCard: "credit card"
        case .mortgage: "mortgage"
        case .studentLoan: "student"
        case .brokerage: "brokerage"
        case .other: "other"
        }
    }
}

struct SimAccount: Sendable {
    let id: String
    let kind: AccountKind
    /// Depository: the balance before the first generated transaction. Credit: the amount owed then.
    /// Loans and others: the balance, which no transaction moves.
    let baseCents: Int64
    let limitCents: Int64?
}

/// What a transaction is to the simulator: everyday spending may later be modified or removed;
/// bills, pay and both legs of a transfer stay as they are.
enum TransactionRole: UInt8, Sendable {
    case spending, recurring
}

struct SimTransaction: Sendable {
    var id: String
    var accountID: String
    var account: AccountKind
    /// Plaid's sign: positive is money out of the account.
    var amountCents: Int64
    var date: Day
    var authorizedDate: Day
    var pending: Bool
    var pendingTransactionID: String?
    var merchant: Merchant
    var role: TransactionRole

    /// The Transaction object, every required key present (nullable ones as null).
    func write(to writer: inout JSONWriter) {
        writer.literal(#"{"account_id":"#)
        writer.string(accountID)
        writer.literal(#","account_owner":null,"amount":"#)
        writer.cents(amountCents)
        writer.literal(#","authorized_date":""#)
        authorizedDate.appendISO(to: &writer.bytes)
        writer.literal(#"","authorized_datetime":null,"check_number":null,"counterparties":[],"date":""#)
        date.appendISO(to: &writer.bytes)
        writer.literal(#"","datetime":null,"iso_currency_code":"USD","#)
        writer.append(merchant.fragment)
        writer.literal(#","original_description":null,"pending":"#)
        pending ? writer.literal("true") : writer.literal("false")
        writer.literal(#","pending_transaction_id":"#)
        if let pendingTransactionID { writer.string(pendingTransactionID) } else { writer.literal("null") }
        writer.literal(#","transaction_code":null,"transaction_id":"#)
        writer.string(id)
        writer.literal(#","unofficial_currency_code":null}"#)
    }
}

/// Two years of an item's posted transactions and a few pending ones, from its seeded generator.
struct TransactionHistory {
    var posted: [SimTransaction] = []
    var pending: [SimTransaction] = []
    var checkingOpeningCents: Int64 = 0
    var savingsOpeningCents: Int64 = 0
    var cardLimitCents: Int64 = 0

    static let days = 730

    private struct Draft {
        var account: AccountKind
        var cents: Int64
        var date: Day
        var authorized: Day
        var merchant: Merchant
        var role: TransactionRole
    }

    private enum Recurring {
        case salary, mortgage, savingsTransfer, interest, cardPayment
        case bill(Merchant, AccountKind, ClosedRange<Int64>)

        var size: Int {
            switch self {
            case .savingsTransfer, .cardPayment: 2
            default: 1
            }
        }
    }

    private struct Slot {
        let day: Day
        let kind: Recurring
        let order: Int
    }

    /// Exactly `count` posted transactions over the 730 days up to `today`: pay every other Friday, the
    /// mortgage, utilities and subscriptions monthly, a monthly transfer to savings and payment of the
    /// card's previous month, savings interest, and everyday spending with the odd refund. The pay is
    /// set so the checking account ends above its opening balance. Recurring entries take at most two
    /// fifths of `count`, the most recent first, so a small history still has everyday spending.
    static func generate(count: Int, today: Day, accountIDs: [String], rng: inout SeededGenerator) -> TransactionHistory {
        let first = today.adding(-(days - 1))
        let mortgageCents = rng.cents(in: 1_450_00...2_350_00)
        let transferCents = Int64(rng.int(in: 3...8)) * 100_00

        var slots: [Slot] = []
        var order = 0
        func add(_ day: Day, _ kind: Recurring) {
            guard day >= first, day <= today else { return }
            slots.append(Slot(day: day, kind: kind, order: order))
            order += 1
        }
        var month = first.firstOfMonth(adding: 0)
        while month <= today {
            add(month, .mortgage)
            add(month.inMonth(day: 2), .bill(Merchants.gym, .checking, 24_99...24_99))
            add(month.inMonth(day: 3), .savingsTransfer)
            add(month.inMonth(day: 5), .bill(Merchants.netflix, .creditCard, 15_49...15_49))
            add(month.inMonth(day: 8), .bill(Merchants.phone, .creditCard, 65_00...65_00))
            add(month.inMonth(day: 12), .bill(Merchants.internet, .checking, 79_99...79_99))
            add(month.inMonth(day: 17), .bill(Merchants.spotify, .creditCard, 11_99...11_99))
            add(month.inMonth(day: 20), .bill(Merchants.electricity, .checking, 60_00...190_00))
            add(month.inMonth(day: 25), .cardPayment)
            add(month.inMonth(day: 31), .interest)
            month = month.firstOfMonth(adding: 1)
        }
        let friday = today.adding(-((today.weekday - 5 + 7) % 7))
        var payday = friday
        while payday >= first {
            add(payday, .salary)
            payday = payday.adding(-14)
        }

        let budget = count * 2 / 5
        var used = 0
        var chosen: [Slot] = []
        for slot in slots.sorted(by: { ($0.day, $1.order) > ($1.day, $0.order) }) where used + slot.kind.size <= budget {
            chosen.append(slot)
            used += slot.kind.size
        }
        let spendingCount = count - used

        // Everyday spending first: the card payments and the pay depend on it.
        var buckets = [[Draft]](repeating: [], count: days)
        var cardDaily = [Int64](repeating: 0, count: days)
        for _ in 0..<spendingCount {
            let pattern = pickSpending(&rng)
            let date = first.adding(rng.below(days))
            let onCard = rng.chance(pattern.cardPercent)
            let draft = Draft(account: onCard ? .creditCard : .checking, cents: rng.cents(in: pattern.cents), date: date,
                              authorized: date.adding(-rng.below(onCard ? 3 : 2)), merchant: pattern.merchant, role: .spending)
            if onCard { cardDaily[date.number - first.number] += draft.cents }
            buckets[date.number - first.number].append(draft)
        }

        var recurringDrafts: [[Draft]] = [[Draft]](repeating: [], count: days)
        func post(_ account: AccountKind, _ cents: Int64, _ day: Day, _ merchant: Merchant) {
            recurringDrafts[day.number - first.number].append(Draft(account: account, cents: cents, date: day, authorized: day,
                                                                     merchant: merchant, role: .recurring))
        }
        let byDay = chosen.sorted { ($0.day, $0.order) < ($1.day, $1.order) }
        for slot in byDay {
            switch slot.kind {
            case .mortgage: post(.checking, mortgageCents, slot.day, Merchants.mortgage)
            case .bill(let merchant, let account, let range):
                let cents = rng.cents(in: range)
                post(account, cents, slot.day, merchant)
                if account == .creditCard { cardDaily[slot.day.number - first.number] += cents }
            case .savingsTransfer:
                post(.checking, transferCents, slot.day, Merchants.transferToSavings)
                post(.savings, -transferCents, slot.day, Merchants.transferFromChecking)
            case .interest: post(.savings, -rng.cents(in: 85...420), slot.day, Merchants.interest)
            case .salary, .cardPayment: break
            }
        }
        // The card's previous calendar month, paid in full on the 25th (a token amount when nothing was spent).
        for slot in byDay {
            guard case .cardPayment = slot.kind else { continue }
            let start = max(slot.day.firstOfMonth(adding: -1), first)
            let end = slot.day.firstOfMonth(adding: 0).adding(-1)
            var owed: Int64 = 0
            if start <= end {
                for offset in (start.number - first.number)...(end.number - first.number) { owed += cardDaily[offset] }
            }
            let payment = max(owed, 25_00)
            post(.checking, payment, slot.day, Merchants.cardPaymentSent)
            post(.creditCard, -payment, slot.day, Merchants.cardPaymentReceived)
        }
        var checkingOut: Int64 = 0
        for drafts in [buckets, recurringDrafts] {
            for day in drafts {
                for draft in day where draft.account == .checking && draft.cents > 0 { checkingOut += draft.cents }
            }
        }
        let paydays = byDay.filter { if case .salary = $0.kind { true } else { false } }
        if !paydays.isEmpty {
            // Whole dollars, enough that the pay covers 102% of what leaves checking.
            let needed = (checkingOut * 102 + Int64(100 * paydays.count) - 1) / Int64(100 * paydays.count)
            let pay = max(1_800_00, (needed + 99) / 100 * 100)
            for slot in paydays { post(.checking, -pay, slot.day, Merchants.payroll) }
        }

        var history = TransactionHistory()
        history.posted.reserveCapacity(count)
        for offset in 0..<days {
            for draft in recurringDrafts[offset] + buckets[offset] {
                history.posted.append(SimTransaction(id: rng.token(), accountID: accountIDs[draft.account.rawValue], account: draft.account,
                                                     amountCents: draft.cents, date: draft.date, authorizedDate: draft.authorized,
                                                     pending: false, pendingTransactionID: nil, merchant: draft.merchant, role: draft.role))
            }
        }
        for (pattern, account, daysAgo) in [(Merchants.restaurant, AccountKind.creditCard, 0), (Merchants.gas, .creditCard, 1),
                                             (Merchants.groceries, .checking, 0), (Merchants.coffee, .creditCard, 0)] {
            let date = today.adding(-daysAgo)
            history.pending.append(SimTransaction(id: rng.token(), accountID: accountIDs[account.rawValue], account: account,
                                                  amountCents: rng.cents(in: pattern.cents), date: date, authorizedDate: date, pending: true,
                                                  pendingTransactionID: nil, merchant: pattern.merchant, role: .spending))
        }

        history.checkingOpeningCents = rng.cents(in: 1_500_00...3_500_00)
        history.savingsOpeningCents = rng.cents(in: 4_000_00...9_000_00)
        var busiestMonth: Int64 = 0
        var monthStart = first.firstOfMonth(adding: 0)
        while monthStart <= today {
            let next = monthStart.firstOfMonth(adding: 1)
            var spent: Int64 = 0
            for offset in max(0, monthStart.number - first.number)..<min(days, next.number - first.number) { spent += cardDaily[offset] }
            busiestMonth = max(busiestMonth, spent)
            monthStart = next
        }
        // Room for two of the busiest months, in thousands.
        history.cardLimitCents = max(5_000_00, (busiestMonth * 2 + 1_000_00 - 1) / 1_000_00 * 1_000_00)
        return history
    }

    static func pickSpending(_ rng: inout SeededGenerator) -> SpendingPattern {
        var ticket = rng.below(Merchants.spendingWeight)
        for pattern in Merchants.spending {
            if ticket < pattern.weight { return pattern }
            ticket -= pattern.weight
        }
        return Merchants.spending[0]
    }
}
