/// One transaction read from a statement file, in the API's sign convention: negative is money leaving the account.
public struct ImportedTransaction: Sendable, Equatable {
    /// Identifies the transaction across imports of the same account, so importing a file twice adds nothing:
    /// `FITID:<fitid>` for OFX; `CSV:<YYYY-MM-DD>:<16 hex digits>` for CSV, the day and a fingerprint of day,
    /// amount, description and occurrence. The day leads so that a statement's keys, like its rows, come in
    /// date order, and the database adds them to its index of keys in order rather than at random.
    public let importKey: String
    /// The 1-based line of the file where the transaction starts.
    public let line: Int
    public let date: LocalDate
    public let amount: Amount
    /// Never empty: `(no description)` stands in when the file has none.
    public let description: String
    public let merchantName: String?
    public let category: TransactionCategory?
    /// Always `false`: a statement file lists only posted transactions.
    public let pending: Bool

    public init(
        importKey: String,
        line: Int,
        date: LocalDate,
        amount: Amount,
        description: String,
        merchantName: String? = nil,
        category: TransactionCategory? = nil,
        pending: Bool = false
    ) {
        self.importKey = importKey
        self.line = line
        self.date = date
        self.amount = amount
        self.description = description
        self.merchantName = merchantName
        self.category = category
        self.pending = pending
    }
}

/// What a statement file says about one account. The CSV format carries only transactions, so the other
/// properties are `nil` for CSV files.
public struct ImportedStatement: Sendable, Equatable {
    /// In the order of the file.
    public let transactions: [ImportedTransaction]
    /// OFX `CURDEF`.
    public let currency: CurrencyCode?
    /// OFX `LEDGERBAL/BALAMT`.
    public let ledgerBalance: Amount?
    /// OFX `LEDGERBAL/DTASOF`.
    public let ledgerBalanceDate: LocalDate?
    public let accountKind: StatementAccountKind?

    public init(
        transactions: [ImportedTransaction],
        currency: CurrencyCode? = nil,
        ledgerBalance: Amount? = nil,
        ledgerBalanceDate: LocalDate? = nil,
        accountKind: StatementAccountKind? = nil
    ) {
        self.transactions = transactions
        self.currency = currency
        self.ledgerBalance = ledgerBalance
        self.ledgerBalanceDate = ledgerBalanceDate
        self.accountKind = accountKind
    }
}

/// The kind of account an OFX statement belongs to: `BANKMSGSRSV1` or `CREDITCARDMSGSRSV1`.
public enum StatementAccountKind: String, Sendable {
    case bank
    case creditCard
}

/// The file formats `StatementParser` reads. QFX is OFX with Intuit's extra tags, so it is `.ofx`.
public enum StatementFormat: String, Sendable {
    case csv
    case ofx
}

extension ImportedTransaction {
    /// The key earlier releases gave the same CSV row, `CSV:<16 hex digits>` (the fingerprint alone), which
    /// rows imported by them still carry; nil for other keys.
    public var undatedImportKey: String? {
        let parts = importKey.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "CSV", parts[2].utf8.count == 16 else { return nil }
        return "CSV:" + parts[2]
    }
}
