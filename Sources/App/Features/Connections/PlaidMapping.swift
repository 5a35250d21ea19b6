import FinanceCore
import Foundation
import PlaidKit

/// How Plaid's records read in this server's terms: account types, categories, signs, exact figures.
enum PlaidMapping {
    /// Plaid's `type` and `subtype` as one of our account types.
    static func accountType(type: String, subtype: String?) -> AccountType {
        let subtype = subtype?.lowercased() ?? ""
        switch type.lowercased() {
        case "depository":
            switch subtype {
            case "savings", "hsa": return .savings
            case "money market": return .moneyMarket
            case "cd": return .certificateOfDeposit
            default: return .checking
            }
        case "credit":
            return .creditCard
        case "loan":
            switch subtype {
            case "mortgage", "home equity": return .mortgage
            case "line of credit", "overdraft": return .lineOfCredit
            default: return .loan
            }
        case "investment", "brokerage":
            let retirement: Set<String> = [
                "401a", "401k", "403b", "457b", "ira", "roth", "roth 401k", "roth 403b", "roth 457b", "sep ira", "simple ira",
                "pension", "retirement", "keogh", "sarsep", "thrift savings plan", "roth thrift savings plan", "rrsp", "rrif",
                "lira", "lif", "lrif", "lrsp", "prif", "rlif", "sipp", "profit sharing plan", "roth profit sharing plan",
            ]
            if retirement.contains(subtype) { return .retirement }
            if subtype == "crypto exchange" || subtype == "non-custodial wallet" { return .crypto }
            return .investment
        default:
            return .other
        }
    }

    /// Plaid's personal finance category as our category: its primary when we know it, `OTHER` when
    /// Plaid named one we do not, `UNCATEGORIZED` when it named none.
    static func category(_ pfc: PersonalFinanceCategory?) -> (TransactionCategory, String?) {
        guard let pfc else { return (.uncategorized, nil) }
        let detailed = pfc.detailed.isEmpty ? nil : String(pfc.detailed.prefix(100))
        return (TransactionCategory(rawValue: pfc.primary) ?? .other, detailed)
    }

    /// The currency of a Plaid record: the ISO code, else an unofficial one that looks like one.
    static func currency(iso: String?, unofficial: String?) -> CurrencyCode? {
        if let iso, let code = CurrencyCode(iso) { return code }
        if let unofficial, let code = CurrencyCode(unofficial) { return code }
        return nil
    }

    /// A Plaid figure as an exact fixed-point value; digits beyond the format's scale are rounded half
    /// to even in decimal (Plaid sends cents, so this does not happen with real amounts).
    static func exact<Format: DecimalFormat>(_ value: Decimal, as _: FixedDecimal<Format>.Type = FixedDecimal<Format>.self) throws -> FixedDecimal<Format> {
        var input = value
        var rounded = Decimal()
        NSDecimalRound(&rounded, &input, Format.scale, .bankers)
        do {
            return try FixedDecimal<Format>(parsing: rounded.description)
        } catch {
            throw PlaidSyncError.unreadable("the figure \(value) is out of range")
        }
    }

    /// Our amount for a Plaid transaction: Plaid counts money out as positive, we count it negative.
    static func amount(plaid value: Decimal) throws -> Amount {
        try exact(value, as: Amount.self).negated
    }

    static func date(_ text: String) throws -> LocalDate {
        guard let date = LocalDate(iso8601: text) else { throw PlaidSyncError.unreadable("the date \"\(text)\"") }
        return date
    }

    /// A security's kind from Plaid's `type`.
    static func investmentType(_ type: String?) -> InvestmentType {
        switch type?.lowercased() {
        case "equity": .stock
        case "etf": .etf
        case "mutual fund": .mutualFund
        case "fixed income": .bond
        case "cryptocurrency": .crypto
        case "cash": .cash
        case "derivative": .option
        default: .other
        }
    }
}

/// A sync that cannot go on.
enum PlaidSyncError: Error, CustomStringConvertible {
    /// Plaid sent something this server cannot record.
    case unreadable(String)

    var description: String {
        switch self {
        case .unreadable(let what): "Plaid sent \(what), which cannot be recorded"
        }
    }
}
