import FinanceCore
import Testing

@Suite("CSV statement import")
struct ImportCSVTests {
    // MARK: Bank exports

    @Test("German export: byte order mark, semicolons, DD.MM.YYYY, decimal commas")
    func germanExport() throws {
        let statement = try StatementParser.parseCSV(CSVFixtures.germanGiro, mapping: CSVFixtures.germanGiroMapping)
        #expect(importSummary(statement) == [
            "2 2024-01-31 -1234.56 Miete Februar",
            "3 2024-01-30 -23.45 REWE SAGT DANKE; 12345",
            "4 2024-01-15 3500 Gehalt Januar 2024",
            "5 2024-01-02 -4.95 Kontoführungsgebühr",
        ])
        #expect(statement.transactions.map(\.amount.units) == [-12_345_600, -234_500, 35_000_000, -49_500])
        #expect(statement.transactions.map(\.merchantName) == ["Hausverwaltung Schmidt", "REWE Markt GmbH", "ACME GmbH", nil])
        #expect(statement.transactions.allSatisfy { $0.category == nil && !$0.pending && $0.importKey.hasPrefix("CSV:") })
        // A CSV says nothing about the account.
        #expect(statement.currency == nil)
        #expect(statement.ledgerBalance == nil)
        #expect(statement.ledgerBalanceDate == nil)
        #expect(statement.accountKind == nil)
    }

    @Test("CRLF line ends read the same as LF")
    func crlf() throws {
        let lf = try StatementParser.parseCSV(CSVFixtures.germanGiro, mapping: CSVFixtures.germanGiroMapping)
        let crlf = try StatementParser.parseCSV(
            CSVFixtures.germanGiro.replacing("\n", with: "\r\n") + "\r\n",
            mapping: CSVFixtures.germanGiroMapping
        )
        #expect(crlf == lf)
    }

    @Test("Windows-1252 bytes are read when the file is not UTF-8")
    func windows1252() throws {
        let text = String(CSVFixtures.germanGiro.unicodeScalars.dropFirst()) // no byte order mark in a Latin-1 file
        let fromBytes = try StatementParser.parseCSV(windows1252Bytes(text), mapping: CSVFixtures.germanGiroMapping)
        let fromText = try StatementParser.parseCSV(CSVFixtures.germanGiro, mapping: CSVFixtures.germanGiroMapping)
        #expect(fromBytes == fromText)
        #expect(fromBytes.transactions.last?.description == "Kontoführungsgebühr")
    }

    @Test("UTF-8 bytes with a byte order mark read the same as the text")
    func utf8Bytes() throws {
        let fromBytes = try StatementParser.parseCSV(Array(CSVFixtures.germanGiro.utf8), mapping: CSVFixtures.germanGiroMapping)
        #expect(fromBytes == (try StatementParser.parseCSV(CSVFixtures.germanGiro, mapping: CSVFixtures.germanGiroMapping)))
    }

    @Test("US export: MM/DD/YYYY, debit and credit columns, quotes, categories")
    func usExport() throws {
        let statement = try StatementParser.parseCSV(CSVFixtures.usCreditUnion, mapping: CSVFixtures.usCreditUnionMapping)
        #expect(importSummary(statement) == [
            "2 2024-01-05 -4.75 STARBUCKS STORE #1234, SEATTLE WA",
            "3 2024-01-06 2500 PAYROLL DEPOSIT ACME INC",
            "4 2024-01-07 -89.99 AMAZON.COM*RT4YU \"PRIME\"",
            "5 2024-01-08 -60 ATM WITHDRAWAL",
            "6 2024-01-31 0.12 INTEREST EARNED",
        ])
        // Only exact category names count, in any letter case; "Shopping" and an empty cell are no category.
        #expect(statement.transactions.map(\.category) == [.foodAndDrink, .income, nil, nil, nil])
        #expect(statement.transactions.allSatisfy { $0.merchantName == nil })
    }

    @Test("Quoted fields keep delimiters and quotes; line breaks inside them become spaces; lines stay physical")
    func quotedFields() throws {
        let statement = try StatementParser.parseCSV(CSVFixtures.multiLineDescriptions, mapping: CSVFixtures.isoMapping)
        #expect(importSummary(statement) == [
            "2 2024-03-01 -100 Transfer to savings Ref: 2024-03-01-001",
            "4 2024-03-02 -57.3 Restaurant \"Chez Marie\", Paris",
            "5 2024-03-03 1000 Refund",
        ])
    }

    @Test("A quoted field may hold a CRLF, and an empty quoted field is an empty value")
    func quotedLineBreakAndEmpty() throws {
        let text = "Date,Description,Amount,Merchant\r\n2024-03-01,\"two\r\nlines\",-1.00,\"\"\r\n2024-03-02,\"\",-2.00,\"Shop\"\r\n"
        let mapping = CSVMapping(date: "Date", amount: "Amount", description: "Description", merchant: "Merchant")
        let statement = try StatementParser.parseCSV(text, mapping: mapping)
        #expect(importSummary(statement) == ["2 2024-03-01 -1 two lines", "4 2024-03-02 -2 (no description)"])
        #expect(statement.transactions.map(\.merchantName) == [nil, "Shop"])
    }

    @Test("Charges written positive are turned negative when asked")
    func negatedAmounts() throws {
        let text = """
        Date,Description,Amount
        02/01/2024,UBER   TRIP,23.40
        02/03/2024,AUTOPAY PAYMENT - THANK YOU,-500.00
        """
        var mapping = CSVMapping(date: "Date", amount: "Amount", description: "Description", dateFormat: .monthDayYear)
        mapping.negateAmounts = true
        let statement = try StatementParser.parseCSV(text, mapping: mapping)
        #expect(importSummary(statement) == ["2 2024-02-01 -23.4 UBER TRIP", "3 2024-02-03 500 AUTOPAY PAYMENT - THANK YOU"])
    }

    @Test("A tab-separated file without a header, columns by number")
    func tabsWithoutHeader() throws {
        let text = "2024-05-01\tGROCERY OUTLET\t-12.00\tFOOD_AND_DRINK\n\n2024-05-02\tSALARY\t1500.00\tincome\n"
        let mapping = CSVMapping(date: "0", amount: "2", description: "1", category: "3", hasHeader: false)
        let statement = try StatementParser.parseCSV(text, mapping: mapping)
        #expect(importSummary(statement) == ["1 2024-05-01 -12 GROCERY OUTLET", "3 2024-05-02 1500 SALARY"])
        #expect(statement.transactions.map(\.category) == [.foodAndDrink, .income])
    }

    @Test("A delimiter given in the mapping is used as is")
    func explicitDelimiter() throws {
        let text = "Date|Description|Amount\n2024-06-01|Rent, June|-950.00\n"
        var mapping = CSVFixtures.isoMapping
        mapping.delimiter = "|"
        let statement = try StatementParser.parseCSV(text, mapping: mapping)
        #expect(importSummary(statement) == ["2 2024-06-01 -950 Rent, June"])
    }

    @Test("Header names match without regard to case and surrounding spaces; extra columns are ignored")
    func headerMatching() throws {
        let text = " DATE ;  description;AMOUNT ;Saldo\n2024-06-01;Rent;-950,00;1.050,00;trailing\n"
        let mapping = CSVMapping(date: "date", amount: "Amount", description: "Description ", decimalSeparator: .comma)
        let statement = try StatementParser.parseCSV(text, mapping: mapping)
        #expect(importSummary(statement) == ["2 2024-06-01 -950 Rent"])
    }

    @Test("Blank lines and lines of bare delimiters are skipped, and line numbers count them")
    func blankLines() throws {
        let text = "\n\nDate;Description;Amount\n;;\n   \n2024-07-01;Lunch;-9,90\n\r\n2024-07-02;Dinner;-19,90\n;;;\n"
        let mapping = CSVMapping(date: "Date", amount: "Amount", description: "Description", decimalSeparator: .comma)
        let statement = try StatementParser.parseCSV(text, mapping: mapping)
        #expect(importSummary(statement) == ["6 2024-07-01 -9.9 Lunch", "8 2024-07-02 -19.9 Dinner"])
    }

    @Test("A file with only a header has no transactions")
    func headerOnly() throws {
        let statement = try StatementParser.parseCSV("Date,Description,Amount\n", mapping: CSVFixtures.isoMapping)
        #expect(statement == ImportedStatement(transactions: []))
    }

    @Test("Descriptions and merchants are trimmed, inner runs of spaces made one, and never empty")
    func descriptions() throws {
        let text = "Date,Description,Amount,Merchant\n2024-01-01,   ,-1.00,   \n2024-01-02,  Two   spaces  ,-1.00,  ACME   Corp \n"
        let mapping = CSVMapping(date: "Date", amount: "Amount", description: "Description", merchant: "Merchant")
        let statement = try StatementParser.parseCSV(text, mapping: mapping)
        #expect(statement.transactions.map(\.description) == ["(no description)", "Two spaces"])
        #expect(statement.transactions.map(\.merchantName) == [nil, "ACME Corp"])
    }

    @Test("Blank optional column references count as not mapped")
    func blankOptionalReferences() throws {
        let mapping = CSVMapping(date: "Date", amount: "Amount", debit: "", credit: " ", description: "Description", merchant: "", category: "")
        let statement = try StatementParser.parseCSV(CSVFixtures.coffees, mapping: mapping)
        #expect(statement.transactions.count == 4)
    }

    // MARK: Import keys

    @Test("Identical rows get distinct keys, and the same file always gets the same keys")
    func duplicateRows() throws {
        let first = try StatementParser.parseCSV(CSVFixtures.coffees, mapping: CSVFixtures.isoMapping)
        let second = try StatementParser.parseCSV(CSVFixtures.coffees, mapping: CSVFixtures.isoMapping)
        let keys = first.transactions.map(\.importKey)
        #expect(keys == second.transactions.map(\.importKey))
        #expect(Set(keys).count == 4)
        // The key is FNV-1a 64 of "day␟amount units␟lowercased description␟occurrence": pinned so that keys
        // stored by earlier imports keep matching.
        #expect(first.transactions.map(\.undatedImportKey) == ["CSV:b7da5c0877271c78", "CSV:b7da5f0877272191", "CSV:b7da5e0877271fde", "CSV:801f37b197f299a5"])
        // The key leads with the day, so a statement's keys come in its days' order.
        #expect(zip(first.transactions, keys).allSatisfy { row, key in key == "CSV:\(row.date):" + key.suffix(16) })
        // Letter case and spacing do not make a different transaction.
        #expect(first.transactions.map(\.description) == ["Coffee Shop", "Coffee Shop", "coffee shop", "Coffee Shop"])
    }

    @Test("Keys do not depend on the line, so an export of a longer period still matches")
    func keysIndependentOfPosition() throws {
        let longer = """
        Date,Description,Amount
        2024-04-01,Bookshop,-12.00

        2024-04-02,Coffee Shop,-3.50
        2024-04-02,Coffee Shop,-3.50
        2024-04-02,  coffee shop ,-3.50
        2024-04-03,Coffee Shop,-3.50
        """
        let original = try StatementParser.parseCSV(CSVFixtures.coffees, mapping: CSVFixtures.isoMapping)
        let extended = try StatementParser.parseCSV(longer, mapping: CSVFixtures.isoMapping)
        #expect(Array(extended.transactions.dropFirst().map(\.importKey)) == original.transactions.map(\.importKey))
        #expect(extended.transactions.map(\.line) == [2, 4, 5, 6, 7])
    }

    @Test("Day, amount and description each change the key")
    func keyInputs() throws {
        let text = """
        Date,Description,Amount
        2024-04-02,Coffee Shop,-3.50
        2024-04-02,Coffee Shop,-3.51
        2024-04-02,Coffee Bar,-3.50
        2024-04-03,Coffee Shop,-3.50
        2024-04-02,Coffee Shop,3.50
        """
        let keys = try StatementParser.parseCSV(text, mapping: CSVFixtures.isoMapping).transactions.map(\.importKey)
        #expect(Set(keys).count == 5)
        #expect(keys.allSatisfy { $0.hasPrefix("CSV:2024-04-0") && $0.count == 31 })
    }

    // MARK: Amounts

    @Test("Amounts as banks write them, with a decimal point", arguments: [
        ("-12.34", -123_400), ("+12.34", 123_400), ("12.34", 123_400), ("(12.34)", -123_400),
        ("$1,234.56", 12_345_600), ("-$1,234.56", -12_345_600), ("$-1,234.56", -12_345_600), ("($1,234.56)", -12_345_600),
        ("1,234,567.89", 12_345_678_900), ("1234567.89", 12_345_678_900), ("-0.01", -100), ("0.01", 100),
        ("12.34-", -123_400), ("£5", 50_000), ("€ 7.50", 75_000), ("7.50 €", 75_000), ("USD 10.00", 100_000),
        ("10.00 USD", 100_000), (".50", 5_000), ("1 234.56", 12_345_600), ("1'234.56", 12_345_600),
        ("12.3456", 123_456), ("0", 0), ("-0.00", 0), ("99999999999999.9999", 999_999_999_999_999_999),
        ("\u{2212}3.00", -30_000),
    ] as [(String, Int64)])
    func pointAmounts(text: String, units: Int64) throws {
        let csv = "Date,Description,Amount\n2024-01-01,Test,\"\(text)\"\n"
        let statement = try StatementParser.parseCSV(csv, mapping: CSVFixtures.isoMapping)
        #expect(statement.transactions.map(\.amount.units) == [units])
    }

    @Test("Amounts as banks write them, with a decimal comma", arguments: [
        ("-1.234,56", -12_345_600), ("1.234.567,89", 12_345_678_900), ("0,01", 100), ("-0,01", -100),
        ("12,5", 125_000), ("1234,56", 12_345_600), ("1 234,56", 12_345_600), ("\u{00A0}1\u{00A0}234,56 €", 12_345_600),
        ("€-5,00", -50_000), ("5,00 EUR", 50_000), ("1.234,56-", -12_345_600), ("(7,00)", -70_000), ("+3", 30_000),
    ] as [(String, Int64)])
    func commaAmounts(text: String, units: Int64) throws {
        let csv = "Datum;Text;Betrag\n01.01.2024;Test;\(text)\n"
        let mapping = CSVMapping(date: "Datum", amount: "Betrag", description: "Text", dateFormat: .dayMonthYear, decimalSeparator: .comma)
        let statement = try StatementParser.parseCSV(csv, mapping: mapping)
        #expect(statement.transactions.map(\.amount.units) == [units])
    }

    @Test("Amounts that are not numbers, or not in the file's convention, are refused", arguments: [
        "abc", "12.34.56", "1,23.45", "12,34", "--12", "(-12.00)", "(12.00", "12.00)", "1e5", "12 CR", "EURO 5",
        "$", "()", "12.", "1,2345.00", "5 000 000.00 0",
    ])
    func invalidAmounts(text: String) {
        let csv = "Date,Description,Amount\n2024-01-01,Test,\"\(text)\"\n"
        let problems = importProblems { () throws(ImportFailure) in try StatementParser.parseCSV(csv, mapping: CSVFixtures.isoMapping) }
        #expect(problems == [ImportProblem(line: 2, field: "amount", message: "\"\(text)\" is not an amount like -1,234.56")])
    }

    @Test("Amounts are never rounded or overflowed silently")
    func amountLimits() {
        let csv = "Date,Description,Amount\n2024-01-01,Fraction,1.00001\n2024-01-02,Huge,100000000000000\n"
        let problems = importProblems { () throws(ImportFailure) in try StatementParser.parseCSV(csv, mapping: CSVFixtures.isoMapping) }
        #expect(problems == [
            ImportProblem(line: 2, field: "amount", message: "\"1.00001\" has more than 4 digits after the decimal separator"),
            ImportProblem(line: 3, field: "amount", message: "\"100000000000000\" is too large"),
        ])
    }

    @Test("A zero in the column that does not apply is ignored")
    func zeroInOtherColumn() throws {
        let text = "Date,Description,Debit,Credit\n01/02/2024,Fee,2.50,0.00\n01/03/2024,Refund,0,2.50\n01/04/2024,Nothing,0.00,0.00\n"
        let statement = try StatementParser.parseCSV(text, mapping: CSVFixtures.usCreditUnionMapping.withoutCategory)
        #expect(statement.transactions.map(\.amount.units) == [-25_000, 25_000, 0])
    }

    @Test("A debit-only mapping reads money out")
    func debitOnly() throws {
        let text = "Date,Description,Withdrawal\n2024-01-02,ATM,40.00\n"
        let mapping = CSVMapping(date: "Date", debit: "Withdrawal", description: "Description")
        let statement = try StatementParser.parseCSV(text, mapping: mapping)
        #expect(statement.transactions.map(\.amount.units) == [-400_000])
    }

    // MARK: Days

    @Test("Days in each supported form", arguments: [
        (CSVDateFormat.iso, "2024-01-31", "2024-01-31"), (.iso, "2024-02-29", "2024-02-29"),
        (.dayMonthYear, "31.01.2024", "2024-01-31"), (.dayMonthYear, "31/01/2024", "2024-01-31"),
        (.dayMonthYear, "31-01-2024", "2024-01-31"), (.dayMonthYear, "1.2.2024", "2024-02-01"),
        (.monthDayYear, "01/31/2024", "2024-01-31"), (.monthDayYear, "1/31/2024", "2024-01-31"),
        (.monthDayYear, "02/01/2024", "2024-02-01"),
    ])
    func days(format: CSVDateFormat, text: String, expected: String) throws {
        let csv = "Date;Description;Amount\n\(text);Test;1\n"
        let mapping = CSVMapping(date: "Date", amount: "Amount", description: "Description", dateFormat: format)
        let statement = try StatementParser.parseCSV(csv, mapping: mapping)
        #expect(statement.transactions.map(\.date) == [try importDay(expected)])
    }

    @Test("Days that are malformed or do not exist are refused", arguments: [
        (CSVDateFormat.iso, "2024-02-30", "\"2024-02-30\" is not a day of the calendar"),
        (.iso, "2023-02-29", "\"2023-02-29\" is not a day of the calendar"),
        (.iso, "2024/01/31", "\"2024/01/31\" is not a date in the form YYYY-MM-DD"),
        (.iso, "31.01.2024", "\"31.01.2024\" is not a date in the form YYYY-MM-DD"),
        (.iso, "2024-1-31", "\"2024-1-31\" is not a date in the form YYYY-MM-DD"),
        (.dayMonthYear, "31.01.24", "\"31.01.24\" is not a date in the form DD.MM.YYYY, DD/MM/YYYY or DD-MM-YYYY"),
        (.dayMonthYear, "31/01-2024", "\"31/01-2024\" is not a date in the form DD.MM.YYYY, DD/MM/YYYY or DD-MM-YYYY"),
        (.dayMonthYear, "2024-01-31", "\"2024-01-31\" is not a date in the form DD.MM.YYYY, DD/MM/YYYY or DD-MM-YYYY"),
        (.dayMonthYear, "31.04.2024", "\"31.04.2024\" is not a day of the calendar"),
        (.monthDayYear, "31/01/2024", "\"31/01/2024\" is not a day of the calendar"),
        (.monthDayYear, "01/31/2024 10:00", "\"01/31/2024 10:00\" is not a date in the form MM/DD/YYYY"),
        (.monthDayYear, "Jan 31, 2024", "\"Jan 31, 2024\" is not a date in the form MM/DD/YYYY"),
        (.monthDayYear, "", "the date is empty"),
    ])
    func invalidDays(format: CSVDateFormat, text: String, message: String) {
        let csv = "Date;Description;Amount\n\(text);Test;1\n"
        let mapping = CSVMapping(date: "Date", amount: "Amount", description: "Description", dateFormat: format)
        let problems = importProblems { () throws(ImportFailure) in try StatementParser.parseCSV(csv, mapping: mapping) }
        #expect(problems == [ImportProblem(line: 2, field: "date", message: message)])
    }

    // MARK: Rejections

    @Test("Every bad row is reported at once, at the line it starts on, in line order")
    func allRowProblems() {
        let text = """
        Date,Description,Amount
        2024-02-29,Leap day,-1.00
        2024-02-30,Impossible,-1.00
        yesterday,Bad date,-1.00
        2024-03-01,Bad amount,12.34.56
        2024-03-02,Short row

        2024-13-01,Both bad,abc
        2024-03-03,"quoted over
        two lines",oops
        2024-03-04,Fine,1.00
        """
        let problems = importProblems { () throws(ImportFailure) in try StatementParser.parseCSV(text, mapping: CSVFixtures.isoMapping) }
        #expect(problems == [
            ImportProblem(line: 3, field: "date", message: "\"2024-02-30\" is not a day of the calendar"),
            ImportProblem(line: 4, field: "date", message: "\"yesterday\" is not a date in the form YYYY-MM-DD"),
            ImportProblem(line: 5, field: "amount", message: "\"12.34.56\" is not an amount like -1,234.56"),
            ImportProblem(line: 6, field: "amount", message: "the row has 2 columns, but the mapping needs 3"),
            ImportProblem(line: 8, field: "date", message: "\"2024-13-01\" is not a day of the calendar"),
            ImportProblem(line: 8, field: "amount", message: "\"abc\" is not an amount like -1,234.56"),
            ImportProblem(line: 9, field: "amount", message: "\"oops\" is not an amount like -1,234.56"),
        ])
        #expect(problems.map(\.description).first == "line 3 (date): \"2024-02-30\" is not a day of the calendar")
    }

    @Test("Columns missing from the header are all reported on the header's line, named as mapped")
    func missingHeaderColumns() {
        let mapping = CSVMapping(date: "Datum", amount: "Betrag", description: "Description", merchant: "Payee")
        let problems = importProblems { () throws(ImportFailure) in try StatementParser.parseCSV(CSVFixtures.coffees, mapping: mapping) }
        #expect(problems == [
            ImportProblem(line: 1, field: "Datum", message: "the header has no column \"Datum\" (mapped as date); its columns are: Date, Description, Amount"),
            ImportProblem(line: 1, field: "Betrag", message: "the header has no column \"Betrag\" (mapped as amount); its columns are: Date, Description, Amount"),
            ImportProblem(line: 1, field: "Payee", message: "the header has no column \"Payee\" (mapped as merchant); its columns are: Date, Description, Amount"),
        ])
    }

    @Test("A header after blank lines is reported on its own line")
    func headerAfterBlankLines() {
        let text = "\n\nDate,Text,Amount\n2024-01-01,Rent,-1\n"
        let problems = importProblems { () throws(ImportFailure) in try StatementParser.parseCSV(text, mapping: CSVFixtures.isoMapping) }
        #expect(problems.map(\.line) == [3])
        #expect(problems.map(\.field) == ["Description"])
    }

    @Test("A row with neither debit nor credit is refused")
    func emptyDebitAndCredit() {
        let text = "Date,Description,Debit,Credit,Category\n01/02/2024,Nothing, , ,\n01/03/2024,Fine,1.00,,\n"
        let problems = importProblems { () throws(ImportFailure) in
            try StatementParser.parseCSV(text, mapping: CSVFixtures.usCreditUnionMapping)
        }
        #expect(problems == [ImportProblem(line: 2, field: "amount", message: "the debit and credit are empty")])
    }

    @Test("A row with both a debit and a credit is refused")
    func bothDebitAndCredit() {
        let text = "Date,Description,Debit,Credit\n01/02/2024,Both,1.00,2.00\n01/03/2024,Bad credit,,x\n"
        let problems = importProblems { () throws(ImportFailure) in
            try StatementParser.parseCSV(text, mapping: CSVFixtures.usCreditUnionMapping.withoutCategory)
        }
        #expect(problems == [
            ImportProblem(line: 2, field: "amount", message: "the row has both a debit (1.00) and a credit (2.00)"),
            ImportProblem(line: 3, field: "credit", message: "\"x\" is not an amount like -1,234.56"),
        ])
    }

    @Test("An empty amount cell and an empty debit-only cell are refused")
    func emptyAmounts() {
        let amountProblems = importProblems { () throws(ImportFailure) in
            try StatementParser.parseCSV("Date,Description,Amount\n2024-01-01,Nothing,\n", mapping: CSVFixtures.isoMapping)
        }
        #expect(amountProblems == [ImportProblem(line: 2, field: "amount", message: "the amount is empty")])

        let debitProblems = importProblems { () throws(ImportFailure) in
            try StatementParser.parseCSV(
                "Date,Description,Out\n2024-01-01,Nothing,\n",
                mapping: CSVMapping(date: "Date", debit: "Out", description: "Description")
            )
        }
        #expect(debitProblems == [ImportProblem(line: 2, field: "amount", message: "the debit is empty")])
    }

    @Test("A row too short for the mapping names the first column it lacks")
    func shortRowWithoutHeader() {
        let text = "2024-01-01;Rent;-950,00;RENT_AND_UTILITIES\n2024-01-02;Coffee\n2024-01-03\n"
        let mapping = CSVMapping(date: "0", amount: "2", description: "1", category: "3", decimalSeparator: .comma, hasHeader: false)
        let problems = importProblems { () throws(ImportFailure) in try StatementParser.parseCSV(text, mapping: mapping) }
        #expect(problems == [
            ImportProblem(line: 2, field: "amount", message: "the row has 2 columns, but the mapping needs 4"),
            ImportProblem(line: 3, field: "amount", message: "the row has 1 column, but the mapping needs 4"),
        ])
    }

    @Test("A quote that is never closed is reported where its field starts")
    func unclosedQuote() {
        let text = "Date,Description,Amount\n2024-01-01,Fine,-1.00\n2024-01-02,\"Never closed,-2.00\n2024-01-03,Swallowed,-3.00\n"
        let problems = importProblems { () throws(ImportFailure) in try StatementParser.parseCSV(text, mapping: CSVFixtures.isoMapping) }
        #expect(problems == [ImportProblem(line: 3, message: "a quoted field starting on this line is never closed: a \" is missing")])
    }

    @Test("An empty file is refused", arguments: ["", "\u{FEFF}", "\n\n  \n"])
    func emptyFile(text: String) {
        let problems = importProblems { () throws(ImportFailure) in try StatementParser.parseCSV(text, mapping: CSVFixtures.isoMapping) }
        #expect(problems == [ImportProblem(line: 0, message: "the file is empty")])
    }

    @Test("Mappings that cannot work are refused before the file is read", arguments: [
        (CSVMapping(date: "Date", amount: "Amount", debit: "Debit", description: "Text"),
         [ImportProblem(line: 0, field: "amount", message: "map either an amount column or debit and credit columns, not both")]),
        (CSVMapping(date: "Date", description: "Text"),
         [ImportProblem(line: 0, field: "amount", message: "map an amount column, or a debit column and/or a credit column")]),
        (CSVMapping(date: " ", amount: "Amount", description: ""),
         [ImportProblem(line: 0, field: "date", message: "no column is mapped to the date"),
          ImportProblem(line: 0, field: "description", message: "no column is mapped to the description")]),
        (CSVMapping(date: "Date", debit: "Amount", credit: "amount", description: "Text"),
         [ImportProblem(line: 0, field: "credit", message: "the debit and credit columns must be different columns")]),
        (CSVMapping(date: "Date", debit: "Out", credit: "In", description: "Text", negateAmounts: true),
         [ImportProblem(line: 0, field: "negateAmounts", message: "negating applies to a single amount column; debit and credit columns already say which way money moved")]),
        (CSVMapping(date: "Datum", amount: "2", description: "-1", hasHeader: false),
         [ImportProblem(line: 0, field: "date", message: "without a header row, columns are numbered from 0; \"Datum\" is not a column number"),
          ImportProblem(line: 0, field: "description", message: "without a header row, columns are numbered from 0; \"-1\" is not a column number")]),
        (CSVMapping(date: "Date", amount: "Amount", description: "Text", delimiter: "\""),
         [ImportProblem(line: 0, field: "delimiter", message: "a delimiter must be a single character other than a quote or a line break")]),
        (CSVMapping(date: "Date", amount: "Amount", description: "Text", delimiter: "\r\n"),
         [ImportProblem(line: 0, field: "delimiter", message: "a delimiter must be a single character other than a quote or a line break")]),
    ])
    func invalidMappings(mapping: CSVMapping, expected: [ImportProblem]) {
        let problems = importProblems { () throws(ImportFailure) in
            try StatementParser.parseCSV("Date,Text,Amount,Debit,In,Out\n2024-01-01,Rent,-1,1,1,1\n", mapping: mapping)
        }
        #expect(problems == expected)
    }

    // MARK: Delimiters

    @Test("The delimiter is the one the first line uses most, outside quotes", arguments: [
        ("Date;Description;Amount\n2024-01-01;Rent, flat 2;-950\n", "Rent, flat 2"),
        ("Date\tDescription\tAmount\n2024-01-01\tRent; flat 2\t-950\n", "Rent; flat 2"),
        ("Date,Description,Amount\n2024-01-01,Rent; flat 2,-950\n", "Rent; flat 2"),
        ("\"Date, booked\";Description;Amount\n2024-01-01;Rent, flat 2;-950\n", "Rent, flat 2"),
        ("\n\nDate;Description;Amount\n2024-01-01;Rent;-950\n", "Rent"),
    ])
    func detectedDelimiter(text: String, description: String) throws {
        var mapping = CSVFixtures.isoMapping
        if text.hasPrefix("\"") { mapping.date = "Date, booked" }
        let statement = try StatementParser.parseCSV(text, mapping: mapping)
        #expect(statement.transactions.map(\.description) == [description])
        #expect(statement.transactions.map(\.amount.units) == [-9_500_000])
    }

    @Test("Problems print as line, field and message")
    func problemDescription() {
        #expect(ImportProblem(line: 4, field: "amount", message: "is bad").description == "line 4 (amount): is bad")
        #expect(ImportProblem(line: 0, message: "the file is empty").description == "file: the file is empty")
        let failure = ImportFailure(problems: [ImportProblem(line: 1, field: "x", message: "a"), ImportProblem(line: 2, message: "b")])
        #expect(failure.description == "line 1 (x): a\nline 2: b")
    }
}

private extension CSVMapping {
    var withoutCategory: CSVMapping {
        var mapping = self
        mapping.category = nil
        return mapping
    }
}
