/// What kind of account a person holds. Liabilities keep the amount owed as a positive balance,
/// as banks and Plaid report it; net worth subtracts them.
public enum AccountType: String, CaseIterable, Codable, Sendable {
    case checking
    case savings
    case moneyMarket = "money_market"
    case certificateOfDeposit = "certificate_of_deposit"
    case cash
    case creditCard = "credit_card"
    case lineOfCredit = "line_of_credit"
    case loan
    case mortgage
    case investment
    case retirement
    case crypto
    case property
    case other

    /// Whether the balance is money owed rather than money held.
    public var isLiability: Bool {
        switch self {
        case .creditCard, .lineOfCredit, .loan, .mortgage: true
        default: false
        }
    }
}
