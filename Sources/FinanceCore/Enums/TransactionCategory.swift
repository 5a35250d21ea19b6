/// The primary category of a transaction: Plaid's personal finance category primaries
/// (v1, plus v2's `LOAN_DISBURSEMENTS` and `OTHER`) and `UNCATEGORIZED` for what nothing has categorized yet.
/// The detailed category (`FOOD_AND_DRINK_GROCERIES`) is kept beside it as free text, as Plaid does.
public enum TransactionCategory: String, CaseIterable, Codable, Sendable {
    case income = "INCOME"
    case transferIn = "TRANSFER_IN"
    case transferOut = "TRANSFER_OUT"
    case loanPayments = "LOAN_PAYMENTS"
    case loanDisbursements = "LOAN_DISBURSEMENTS"
    case bankFees = "BANK_FEES"
    case entertainment = "ENTERTAINMENT"
    case foodAndDrink = "FOOD_AND_DRINK"
    case generalMerchandise = "GENERAL_MERCHANDISE"
    case homeImprovement = "HOME_IMPROVEMENT"
    case medical = "MEDICAL"
    case personalCare = "PERSONAL_CARE"
    case generalServices = "GENERAL_SERVICES"
    case governmentAndNonProfit = "GOVERNMENT_AND_NON_PROFIT"
    case transportation = "TRANSPORTATION"
    case travel = "TRAVEL"
    case rentAndUtilities = "RENT_AND_UTILITIES"
    case other = "OTHER"
    case uncategorized = "UNCATEGORIZED"

    /// Money moved between a person's own accounts: neither income nor spending.
    public var isTransfer: Bool { self == .transferIn || self == .transferOut }
}
