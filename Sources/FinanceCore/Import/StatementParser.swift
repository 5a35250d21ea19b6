/// Reads bank statement files: CSV exports (with a `CSVMapping` saying which column holds what), and OFX
/// files of both generations, including Quicken's QFX.
///
/// Every parse either returns the whole statement or throws one `ImportFailure` listing every problem
/// found, so that a person can fix the file in one go; nothing is half imported. The throws are typed,
/// `throws(ImportFailure)`, so callers catch an `ImportFailure` without casting.
public enum StatementParser {
    /// Reads a CSV export. A leading byte order mark is ignored.
    public static func parseCSV(_ text: String, mapping: CSVMapping) throws(ImportFailure) -> ImportedStatement {
        try CSVStatementReader.read(ImportText.droppingByteOrderMark(text), mapping: mapping)
    }

    /// Reads a CSV export from the bytes of the file: UTF-8, or Windows-1252 when they are not valid UTF-8.
    public static func parseCSV(_ data: [UInt8], mapping: CSVMapping) throws(ImportFailure) -> ImportedStatement {
        try parseCSV(ImportText.decode(data), mapping: mapping)
    }

    /// Reads the bank (`BANKMSGSRSV1`) or credit card (`CREDITCARDMSGSRSV1`) statement of an OFX 1.x (SGML),
    /// OFX 2.x (XML) or QFX file. Elements it does not need, such as Intuit's `<INTU.BID>`, are ignored.
    public static func parseOFX(_ text: String) throws(ImportFailure) -> ImportedStatement {
        try OFXStatementReader.read(ImportText.droppingByteOrderMark(text))
    }

    /// Reads an OFX or QFX file from its bytes: UTF-8, or Windows-1252 when they are not valid UTF-8.
    public static func parseOFX(_ data: [UInt8]) throws(ImportFailure) -> ImportedStatement {
        try parseOFX(ImportText.decode(data))
    }

    /// `.ofx` for text that starts with an OFX 1.x header (`OFXHEADER:100`) or is markup holding `<?OFX` or
    /// `<OFX>`; `.csv` for text whose first line has a `,`, `;` or tab; `nil` for anything else.
    public static func detectFormat(_ text: String) -> StatementFormat? {
        let body = ImportText.droppingByteOrderMark(text).drop(while: \.isWhitespace)
        if body.hasPrefix("OFXHEADER") { return .ofx }
        if body.hasPrefix("<") {
            let upper = body.prefix(4096).uppercased()
            return upper.contains("<?OFX") || upper.contains("<OFX>") || upper.contains("<OFX ") ? .ofx : nil
        }
        let firstLine = body.prefix { !$0.isNewline }
        return firstLine.contains(where: { $0 == "," || $0 == ";" || $0 == "\t" }) ? .csv : nil
    }

    /// `detectFormat(_:)` for the bytes of a file.
    public static func detectFormat(_ data: [UInt8]) -> StatementFormat? {
        detectFormat(ImportText.decode(data))
    }
}
