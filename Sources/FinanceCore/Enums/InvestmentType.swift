/// The kind of security a holding is.
public enum InvestmentType: String, CaseIterable, Codable, Sendable {
    case stock
    case etf
    case mutualFund = "mutual_fund"
    case bond
    case crypto
    case cash
    case option
    case other
}
