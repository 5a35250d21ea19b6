import FinanceCore
import Testing

/// A minimal OFX 1.02 bank statement around `transactions`, whose first line is line 11;
/// `balance` follows `</BANKTRANLIST>` on the next line.
private func bankStatement(_ transactions: String, currency: String = "USD", balance: String? = nil) -> String {
    """
    OFXHEADER:100
    DATA:OFXSGML
    VERSION:102

    <OFX>
    <BANKMSGSRSV1>
    <STMTTRNRS>
    <STMTRS>
    <CURDEF>\(currency)
    <BANKTRANLIST>
    \(transactions)
    </BANKTRANLIST>\(balance.map { "\n" + $0 } ?? "")
    </STMTRS>
    </STMTTRNRS>
    </BANKMSGSRSV1>
    </OFX>
    """
}

/// The fixture's first `count` lines.
private func firstLines(_ text: String, _ count: Int) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false).prefix(count).joined(separator: "\n")
}

private func parseOFXProblems(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> [ImportProblem] {
    importProblems(sourceLocation: sourceLocation) { () throws(ImportFailure) in try StatementParser.parseOFX(text) }
}

@Suite("OFX and QFX statement import")
struct ImportOFXTests {
    // MARK: Bank files

    @Test("OFX 1.02 SGML checking statement with unclosed leaf elements")
    func sgmlChecking() throws {
        let statement = try StatementParser.parseOFX(OFXFixtures.sgmlChecking)
        #expect(importSummary(statement) == [
            "39 2024-01-02 -42.17 WHOLE FOODS MARKET #10234 — POS PURCHASE",
            "47 2024-01-15 2450 ACME CORP PAYROLL",
            "54 2024-01-18 -1200 CHECK 1042",
            "62 2024-01-31 -0.01 Interest & Fees Adj.",
            "70 2024-01-31 1234567.89 WIRE IN <ESTATE OF J. DOE>",
        ])
        #expect(statement.transactions.map(\.importKey) == [
            "FITID:2024010201", "FITID:2024011501", "FITID:2024011801", "FITID:2024013101", "FITID:2024013102",
        ])
        #expect(statement.transactions.map(\.amount.units) == [-421_700, 24_500_000, -12_000_000, -100, 12_345_678_900])
        #expect(statement.transactions.allSatisfy { $0.merchantName == nil && $0.category == nil && !$0.pending })
        #expect(statement.accountKind == .bank)
        #expect(statement.currency == .usd)
        #expect(statement.ledgerBalance == (try importAmount("1236967.88")))
        #expect(statement.ledgerBalanceDate == (try importDay("2024-01-31")))
    }

    @Test("CRLF line ends and a byte order mark read the same, with the same lines")
    func sgmlCRLF() throws {
        let crlf = "\u{FEFF}" + OFXFixtures.sgmlChecking.replacing("\n", with: "\r\n") + "\r\n"
        #expect(try StatementParser.parseOFX(crlf) == StatementParser.parseOFX(OFXFixtures.sgmlChecking))
    }

    @Test("OFX 2.2 XML credit card statement")
    func xmlCreditCard() throws {
        let statement = try StatementParser.parseOFX(OFXFixtures.xmlCreditCard)
        #expect(importSummary(statement) == [
            "34 2024-02-03 -5.75 BLUE BOTTLE COFFEE — OAKLAND CA",
            "42 2024-02-03 -5.75 BLUE BOTTLE COFFEE — OAKLAND CA",
            "50 2024-02-15 850 PAYMENT - THANK YOU",
            "58 2024-02-29 -129.99 B&H PHOTO \"VIDEO\"",
        ])
        // Two identical coffees stay two transactions: the bank gave them different FITIDs.
        #expect(statement.transactions.map(\.importKey) == [
            "FITID:320240203000001", "FITID:320240203000002", "FITID:320240215000003", "FITID:320240229000004",
        ])
        #expect(statement.accountKind == .creditCard)
        #expect(statement.currency == .usd)
        #expect(statement.ledgerBalance == (try importAmount("-1523.44")))
        #expect(statement.ledgerBalanceDate == (try importDay("2024-02-29")))
    }

    @Test("QFX with Intuit's sign-on tags")
    func qfx() throws {
        let statement = try StatementParser.parseOFX(OFXFixtures.qfxSavings)
        #expect(importSummary(statement) == [
            "46 2024-03-15 -500 Online Transfer to CHK ...4321 — transaction#: 10293847561",
            "54 2024-03-31 3.21 INTEREST PAYMENT",
        ])
        #expect(statement.transactions.map(\.importKey) == ["FITID:202403150", "FITID:202403310"])
        #expect(statement.accountKind == .bank)
        #expect(statement.ledgerBalance == (try importAmount("10503.21")))
        #expect(statement.ledgerBalanceDate == (try importDay("2024-03-31")))
    }

    @Test("A whole file on one line, with decimal commas")
    func singleLine() throws {
        let statement = try StatementParser.parseOFX(OFXFixtures.singleLineEuro)
        #expect(importSummary(statement) == [
            "1 2024-01-31 -1234.56 Hausverwaltung Schmidt — Miete Februar",
            "1 2024-01-05 -3.2 Bäckerei Müller",
        ])
        #expect(statement.currency == .eur)
        #expect(statement.ledgerBalance == (try importAmount("5432.10")))
        #expect(statement.ledgerBalanceDate == (try importDay("2024-01-31")))
    }

    @Test("Bytes that are not UTF-8 are read as Windows-1252")
    func windows1252Input() throws {
        let fromBytes = try StatementParser.parseOFX(windows1252Bytes(OFXFixtures.singleLineEuro))
        #expect(fromBytes == (try StatementParser.parseOFX(OFXFixtures.singleLineEuro)))

        let text = bankStatement("<STMTTRN><DTPOSTED>20240102<TRNAMT>-4.50<FITID>C1<NAME>Caf\u{E9} \u{20AC}</STMTTRN>")
        let bytes = Array(text.unicodeScalars).flatMap { scalar -> [UInt8] in
            switch scalar {
            case "\u{20AC}": [0x80]
            default: [UInt8(truncatingIfNeeded: scalar.value)]
            }
        }
        #expect(try StatementParser.parseOFX(bytes).transactions.map(\.description) == ["Café €"])
    }

    @Test("Tag names are read without regard to letter case")
    func lowercaseTags() throws {
        let text = "<ofx><bankmsgsrsv1><stmttrnrs><stmtrs><curdef>GBP<banktranlist>"
            + "<stmttrn><dtposted>20240102<trnamt>-9.99<fitid>L1<name>Tesco</stmttrn>"
            + "</banktranlist></stmtrs></stmttrnrs></bankmsgsrsv1></ofx>"
        let statement = try StatementParser.parseOFX(text)
        #expect(importSummary(statement) == ["1 2024-01-02 -9.99 Tesco"])
        #expect(statement.currency == CurrencyCode("GBP"))
    }

    @Test("A statement without transactions or balance is empty, not an error")
    func emptyStatement() throws {
        let text = "<OFX><CREDITCARDMSGSRSV1><CCSTMTTRNRS><CCSTMTRS><CURDEF>CAD</CCSTMTRS></CCSTMTTRNRS></CREDITCARDMSGSRSV1></OFX>"
        let statement = try StatementParser.parseOFX(text)
        #expect(statement == ImportedStatement(transactions: [], currency: CurrencyCode("CAD"), accountKind: .creditCard))
    }

    // MARK: Values

    @Test("Descriptions from NAME, PAYEE and MEMO")
    func descriptions() throws {
        let text = bankStatement("""
        <STMTTRN><DTPOSTED>20240102<TRNAMT>-1<FITID>D1<NAME>Name only</STMTTRN>
        <STMTTRN><DTPOSTED>20240102<TRNAMT>-1<FITID>D2<MEMO>Memo only</STMTTRN>
        <STMTTRN><DTPOSTED>20240102<TRNAMT>-1<FITID>D3<NAME>SAME TEXT<MEMO>Same Text</STMTTRN>
        <STMTTRN><DTPOSTED>20240102<TRNAMT>-1<FITID>D4<PAYEE><NAME>Payee Inc<CITY>Springfield</PAYEE><MEMO>Invoice 7</STMTTRN>
        <STMTTRN><DTPOSTED>20240102<TRNAMT>-1<FITID>D5</STMTTRN>
        <STMTTRN><DTPOSTED>20240102<TRNAMT>-1<FITID>D6<NAME>  SQ *BLUE   BOTTLE  <MEMO>   </STMTTRN>
        <STMTTRN><DTPOSTED>20240102<TRNAMT>-1<FITID>D7<NAME>AT&T &#233;t&#xE9; &foo; &amp;amp;</STMTTRN>
        """)
        let statement = try StatementParser.parseOFX(text)
        #expect(statement.transactions.map(\.description) == [
            "Name only", "Memo only", "SAME TEXT", "Payee Inc — Invoice 7", "(no description)", "SQ *BLUE BOTTLE",
            "AT&T été &foo; &amp;",
        ])
        #expect(statement.transactions.map(\.line) == Array(11...17))
    }

    @Test("OFX dates of every precision, with or without a time zone", arguments: [
        ("20240131", "2024-01-31"), ("20240131120000", "2024-01-31"), ("20240131120000.000", "2024-01-31"),
        ("20240131120000.000[-5:EST]", "2024-01-31"), ("20240131235959[0:GMT]", "2024-01-31"),
        ("20240131000000.123[+5.30:IST]", "2024-01-31"), ("202401311200", "2024-01-31"),
        ("20240131 [-5:EST]", "2024-01-31"), ("20240229", "2024-02-29"),
    ])
    func ofxDates(text: String, expected: String) throws {
        let statement = try StatementParser.parseOFX(bankStatement("<STMTTRN><DTPOSTED>\(text)<TRNAMT>1<FITID>1</STMTTRN>"))
        #expect(statement.transactions.map(\.date) == [try importDay(expected)])
    }

    @Test("OFX dates that are malformed or do not exist are refused", arguments: [
        ("2024013", false), ("2024-01-31", false), ("20240131T120000", false), ("20240131120000.[-5:EST]", false),
        ("20240131120", false), ("20240131[-5:EST", false), ("00000101", false), ("20241331", true), ("20240230", true),
        ("20230229", true),
    ])
    func invalidOFXDates(text: String, impossible: Bool) {
        let problems = parseOFXProblems(bankStatement("<STMTTRN>\n<DTPOSTED>\(text)\n<TRNAMT>1\n<FITID>1\n</STMTTRN>"))
        let message = impossible
            ? "\"\(text)\" is not a day of the calendar"
            : "\"\(text)\" is not an OFX date such as 20240131 or 20240131120000.000[-5:EST]"
        #expect(problems == [ImportProblem(line: 12, field: "DTPOSTED", message: message)])
    }

    @Test("OFX amounts, with a decimal point or comma", arguments: [
        ("-12.34", -123_400), ("+12.34", 123_400), ("12", 120_000), ("-12,34", -123_400), (".5", 5_000),
        ("-.5", -5_000), ("1234567.89", 12_345_678_900), ("-0.01", -100), ("0.0001", 1), ("0", 0),
    ] as [(String, Int64)])
    func ofxAmounts(text: String, units: Int64) throws {
        let statement = try StatementParser.parseOFX(bankStatement("<STMTTRN><DTPOSTED>20240102<TRNAMT>\(text)<FITID>1</STMTTRN>"))
        #expect(statement.transactions.map(\.amount.units) == [units])
    }

    @Test("OFX amounts that are not plain decimals are refused", arguments: [
        "1,234.56", "12.34.56", "1,2,3", "- 1", "1e3", "$5", "12.", "(5.00)",
    ])
    func invalidOFXAmounts(text: String) {
        let problems = parseOFXProblems(bankStatement("<STMTTRN>\n<DTPOSTED>20240102\n<TRNAMT>\(text)\n<FITID>1\n</STMTTRN>"))
        #expect(problems == [ImportProblem(line: 13, field: "TRNAMT", message: "\"\(text)\" is not an amount like -1234.56")])
    }

    @Test("An amount finer than the ledger keeps is refused, not rounded")
    func tooPreciseAmount() {
        let problems = parseOFXProblems(bankStatement("<STMTTRN>\n<DTPOSTED>20240102\n<TRNAMT>-0.00001\n<FITID>1\n</STMTTRN>"))
        #expect(problems == [ImportProblem(line: 13, field: "TRNAMT", message: "\"-0.00001\" has more than 4 digits after the decimal separator")])
    }

    @Test("CURDEF in lower case is accepted; a code that is not ISO 4217 is refused")
    func currency() throws {
        #expect(try StatementParser.parseOFX(bankStatement("", currency: "chf")).currency == CurrencyCode("CHF"))
        #expect(parseOFXProblems(bankStatement("", currency: "EURO")) == [
            ImportProblem(line: 9, field: "CURDEF", message: "\"EURO\" is not an ISO 4217 currency code"),
        ])
    }

    // MARK: Rejections

    @Test("A file missing </OFX> is reported as truncated at its <OFX>")
    func truncatedAtEnd() {
        let text = firstLines(OFXFixtures.sgmlChecking, 89)
        #expect(parseOFXProblems(text) == [
            ImportProblem(line: 11, field: "OFX", message: "the file ends before <OFX> is closed: it looks truncated"),
        ])
    }

    @Test("A file cut inside a transaction is reported as truncated at that transaction", arguments: [50, 49])
    func truncatedInTransaction(lines: Int) {
        #expect(parseOFXProblems(firstLines(OFXFixtures.sgmlChecking, lines)) == [
            ImportProblem(line: 47, field: "STMTTRN", message: "the file ends before <STMTTRN> is closed: it looks truncated"),
        ])
    }

    @Test("A file cut inside a tag is reported as truncated")
    func truncatedInTag() {
        let text = firstLines(OFXFixtures.xmlCreditCard, 44) + "\n            <TRNA"
        #expect(parseOFXProblems(text) == [
            ImportProblem(line: 42, field: "STMTTRN", message: "the file ends before <STMTTRN> is closed: it looks truncated"),
        ])
    }

    @Test("A transaction closed by the end of its list instead of </STMTTRN> is reported where it opens")
    func unclosedTransaction() {
        let text = bankStatement("""
        <STMTTRN>
        <TRNTYPE>DEBIT
        <DTPOSTED>20240102
        <TRNAMT>-1.00
        <FITID>A1
        <STMTTRN>
        <TRNTYPE>DEBIT
        <DTPOSTED>20240103
        <TRNAMT>-2.00
        <FITID>A2
        </STMTTRN>
        """)
        #expect(parseOFXProblems(text) == [
            ImportProblem(line: 11, field: "STMTTRN", message: "<STMTTRN> is not closed before </BANKTRANLIST> on line 22"),
        ])
    }

    @Test("A closing tag with nothing to close is reported")
    func strayClosingTag() {
        let text = bankStatement("<STMTTRN><DTPOSTED>20240102<TRNAMT>-1<FITID>A1</STMTTRN>\n</STMTTRN>")
        #expect(parseOFXProblems(text) == [
            ImportProblem(line: 12, field: "STMTTRN", message: "</STMTTRN> closes an element that is not open"),
        ])
    }

    @Test("Transactions missing FITID, DTPOSTED or TRNAMT are reported at their STMTTRN")
    func missingFields() {
        let text = bankStatement("""
        <STMTTRN>
        <TRNTYPE>DEBIT
        <TRNAMT>-1.00
        <FITID>A1
        </STMTTRN>
        <STMTTRN>
        <TRNTYPE>DEBIT
        <DTPOSTED>20240102
        <FITID>A2
        </STMTTRN>
        <STMTTRN>
        <TRNTYPE>DEBIT
        <DTPOSTED>20240102
        <TRNAMT>-1.00
        <NAME>No ID
        </STMTTRN>
        <STMTTRN>
        <TRNTYPE>OTHER
        <FITID>
        </STMTTRN>
        """)
        #expect(parseOFXProblems(text) == [
            ImportProblem(line: 11, field: "DTPOSTED", message: "the transaction has no DTPOSTED (date posted)"),
            ImportProblem(line: 16, field: "TRNAMT", message: "the transaction has no TRNAMT (amount)"),
            ImportProblem(line: 21, field: "FITID", message: "the transaction has no FITID (the bank's transaction ID)"),
            ImportProblem(line: 27, field: "DTPOSTED", message: "the transaction has no DTPOSTED (date posted)"),
            ImportProblem(line: 27, field: "TRNAMT", message: "the transaction has no TRNAMT (amount)"),
            ImportProblem(line: 27, field: "FITID", message: "the transaction has no FITID (the bank's transaction ID)"),
        ])
    }

    @Test("A FITID used twice is reported at the second use")
    func duplicateFITID() {
        let text = bankStatement("""
        <STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240102<TRNAMT>-1.00<FITID>X1</STMTTRN>
        <STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240103<TRNAMT>-2.00<FITID>X2</STMTTRN>
        <STMTTRN>
        <DTPOSTED>20240104
        <TRNAMT>-3.00
        <FITID>X1
        </STMTTRN>
        """)
        #expect(parseOFXProblems(text) == [
            ImportProblem(line: 16, field: "FITID", message: "FITID \"X1\" is also used by the transaction on line 11"),
        ])
    }

    @Test("Every problem of a file is reported at once, in line order")
    func allProblems() {
        let text = bankStatement("""
        <STMTTRN>
        <DTPOSTED>20240102
        <TRNAMT>-1.00
        <FITID>X1
        </STMTTRN>
        <STMTTRN>
        <DTPOSTED>20240132
        <TRNAMT>ten
        <FITID>X2
        </STMTTRN>
        <STMTTRN>
        <TRNAMT>-3.00
        <FITID>X1
        </STMTTRN>
        <STMTTRN>
        <DTPOSTED>20240104
        <TRNAMT>-4.00
        <FITID>X1
        </STMTTRN>
        """, currency: "XXX", balance: """
        <LEDGERBAL>
        <BALAMT>1.234,56
        <DTASOF>yesterday
        </LEDGERBAL>
        """)
        #expect(parseOFXProblems(text) == [
            ImportProblem(line: 9, field: "CURDEF", message: "\"XXX\" is not an ISO 4217 currency code"),
            ImportProblem(line: 17, field: "DTPOSTED", message: "\"20240132\" is not a day of the calendar"),
            ImportProblem(line: 18, field: "TRNAMT", message: "\"ten\" is not an amount like -1234.56"),
            ImportProblem(line: 21, field: "DTPOSTED", message: "the transaction has no DTPOSTED (date posted)"),
            ImportProblem(line: 28, field: "FITID", message: "FITID \"X1\" is also used by the transaction on line 11"),
            ImportProblem(line: 32, field: "BALAMT", message: "\"1.234,56\" is not an amount like -1234.56"),
            ImportProblem(line: 33, field: "DTASOF", message: "\"yesterday\" is not an OFX date such as 20240131 or 20240131120000.000[-5:EST]"),
        ])
    }

    @Test("Text that is not OFX is refused", arguments: ["", "Date,Description,Amount\n2024-01-01,Rent,-1\n", "<html><body>Sign in</body></html>"])
    func notOFX(text: String) {
        #expect(parseOFXProblems(text) == [
            ImportProblem(line: 0, message: "the file has no <OFX> element: it is not an OFX or QFX file"),
        ])
    }

    @Test("An OFX file without a statement is refused")
    func noStatement() {
        let text = "<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS></SONRS></SIGNONMSGSRSV1></OFX>"
        #expect(parseOFXProblems(text) == [
            ImportProblem(line: 0, message: "the file holds no bank or credit card statement (STMTRS or CCSTMTRS)"),
        ])
    }

    @Test("The bank's error is passed on when it sent one instead of a statement")
    func bankError() {
        let text = """
        <OFX>
        <BANKMSGSRSV1>
        <STMTTRNRS>
        <TRNUID>1
        <STATUS>
        <CODE>2000
        <SEVERITY>ERROR
        <MESSAGE>General error &amp; retry later
        </STATUS>
        </STMTTRNRS>
        </BANKMSGSRSV1>
        </OFX>
        """
        #expect(parseOFXProblems(text) == [
            ImportProblem(line: 5, field: "STATUS", message: "the bank sent error 2000 instead of a statement: General error & retry later"),
        ])
    }

    @Test("An investment statement is refused with a reason")
    func investmentStatement() {
        let text = "<OFX><INVSTMTMSGSRSV1><INVSTMTTRNRS><INVSTMTRS><CURDEF>USD</INVSTMTRS></INVSTMTTRNRS></INVSTMTMSGSRSV1></OFX>"
        #expect(parseOFXProblems(text) == [
            ImportProblem(line: 0, message: "the file holds an investment statement; only bank and credit card statements can be imported"),
        ])
    }

    @Test("A file with statements of several accounts is refused")
    func severalStatements() {
        let text = """
        <OFX>
        <BANKMSGSRSV1>
        <STMTTRNRS><STMTRS><CURDEF>USD</STMTRS></STMTTRNRS>
        </BANKMSGSRSV1>
        <CREDITCARDMSGSRSV1>
        <CCSTMTTRNRS>
        <CCSTMTRS><CURDEF>USD</CCSTMTRS>
        </CCSTMTTRNRS>
        </CREDITCARDMSGSRSV1>
        </OFX>
        """
        #expect(parseOFXProblems(text) == [
            ImportProblem(line: 7, field: "CCSTMTRS", message: "the file holds statements of 2 accounts; export one account per file"),
        ])
    }
}
