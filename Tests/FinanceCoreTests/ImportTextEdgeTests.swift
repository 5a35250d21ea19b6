import FinanceCore
import Testing

/// The parsers read UTF-8 bytes, and fall back to characters where bytes alone would read text differently.
/// These pin what they make of text beyond ASCII and of unusual line ends and delimiters.
@Suite("Statement import of text beyond ASCII")
struct ImportTextEdgeTests {
    @Test("Fields beyond ASCII are trimmed, collapsed, lowercased and compared as characters")
    func nonASCIIFields() throws {
        let text = "Date;Description;Amount;Merchant\n"
            // A space with a combining mark is one whitespace character; no-break spaces are whitespace too.
            + "2024-01-02; \u{301}Caf\u{E9}\u{A0}Bar ;1\u{A0}234,56 €;\u{A0}Müller\u{2003}GmbH \n"
            // The same café with a decomposed é, which compares equal: the second of two identical rows.
            + "2024-01-02;Cafe\u{301} bar;1234,56;\u{A0}\n"
            // The Kelvin sign lowercases to k: the second row is the second occurrence of the first.
            + "2024-01-03;\u{212A}elvin;\u{2212}3,00;x\n"
            + "2024-01-03;kelvin;-3;\n"
        let mapping = CSVMapping(date: "Date", amount: "Amount", description: "Description", merchant: "Merchant", decimalSeparator: .comma)
        let statement = try StatementParser.parseCSV(text, mapping: mapping)
        #expect(importSummary(statement) == [
            "2 2024-01-02 1234.56 Café Bar",
            "3 2024-01-02 1234.56 Cafe\u{301} bar",
            "4 2024-01-03 -3 \u{212A}elvin",
            "5 2024-01-03 -3 kelvin",
        ])
        #expect(statement.transactions.map(\.merchantName) == ["Müller GmbH", nil, "x", nil])
        #expect(statement.transactions.map(\.importKey) == [
            "CSV:2024-01-02:8b039612a060b2d6", "CSV:2024-01-02:1599d4a0f1fa9841", "CSV:2024-01-03:c1a9ed5a28293880", "CSV:2024-01-03:c1a9f05a28293d99",
        ])
        #expect(try StatementParser.parseCSV(Array(text.utf8), mapping: mapping) == statement)
    }

    @Test("A delimiter beyond ASCII, lone CR line ends, and a CR LF inside quotes")
    func multiByteDelimiter() throws {
        let text = "Date¦Description¦Amount\r2024-02-01¦\"two\r\nlines ¦ here\"¦-1.50\r\r2024-02-02¦  \"quoted\" tail¦2\r"
        let mapping = CSVMapping(date: "Date", amount: "Amount", description: "Description", delimiter: "¦")
        let statement = try StatementParser.parseCSV(text, mapping: mapping)
        #expect(importSummary(statement) == ["2 2024-02-01 -1.5 two lines ¦ here", "5 2024-02-02 2 quoted tail"])
        #expect(statement.transactions.map(\.importKey) == ["CSV:2024-02-01:8e13e4bc2c325dac", "CSV:2024-02-02:af8968c970305b03"])
    }

    @Test("Digits and marks beyond ASCII make days and amounts unreadable")
    func nonASCIIRejections() {
        let text = "Date,Description,Amount\n2024-01-0\u{661},Arabic digit,1\n2024-01-01,Bad amount,1\u{301}2\n\u{A0},Blank date,1\n"
        let problems = importProblems { () throws(ImportFailure) in try StatementParser.parseCSV(text, mapping: CSVFixtures.isoMapping) }
        #expect(problems == [
            ImportProblem(line: 2, field: "date", message: "\"2024-01-0\u{661}\" is not a date in the form YYYY-MM-DD"),
            ImportProblem(line: 3, field: "amount", message: "\"1\u{301}2\" is not an amount like -1,234.56"),
            ImportProblem(line: 4, field: "date", message: "the date is empty"),
        ])
    }

    @Test("OFX with CDATA, entities, comments, empty elements, a tag beyond ASCII and lone CR line ends")
    func ofxMarkup() throws {
        let text = "<OFX>\r<BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>eur\r<BANKTRANLIST>\r"
            + "<!-- <STMTTRN> in a comment -->\r"
            + "<STMTTRN><DTPOSTED>20240105<TRNAMT>-3,20<FITID>A1<NAME><![CDATA[\r\rBäckerei <Müller> & Sohn]]>\r"
            + "<MEMO>caf&#233; &#x20AC;5 &bogus; &amp;</STMTTRN>\r"
            + "<stmttrn><dtposted>20240106[+1:CET]<trnamt>.5<fitid>A2<ÉTAT>x<name/><memo>  SAME   text <NAME>same TEXT</stmttrn>\r"
            + "</BANKTRANLIST><LEDGERBAL><BALAMT>-0,5<DTASOF>20240131</LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>"
        let statement = try StatementParser.parseOFX(text)
        #expect(importSummary(statement) == [
            "5 2024-01-05 -3.2 Bäckerei <Müller> & Sohn — café €5 &bogus; &",
            "9 2024-01-06 0.5 same TEXT",
        ])
        #expect(statement.transactions.map(\.importKey) == ["FITID:A1", "FITID:A2"])
        #expect(statement.currency == .eur)
        #expect(statement.ledgerBalance == (try importAmount("-0.5")))
        #expect(try StatementParser.parseOFX(Array(text.utf8)) == statement)
    }

    @Test("Every key of a generated file with repeated, recased and respaced rows")
    func generatedKeys() throws {
        var state: UInt64 = 2024
        func next(_ count: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(count))
        }
        let names = ["CORNER COFFEE", "Corner Coffee", "corner  coffee", "Café Bleu", "Cafe\u{301} Bleu", "ÜBERWEISUNG", "Straße", "STRASSE", "RENT"]
        var text = "Date,Description,Merchant,Amount\n"
        for _ in 0..<3000 {
            let day = 1 + next(3), cents = next(4)
            text += "2024-03-0\(day),\(names[next(names.count)]),M\(next(3)),-\(cents).\(cents)0\n"
        }
        let mapping = CSVMapping(date: "Date", amount: "Amount", description: "Description", merchant: "Merchant")
        let rows = try StatementParser.parseCSV(Array(text.utf8), mapping: mapping).transactions
        let keys = rows.compactMap(\.undatedImportKey)
        #expect(zip(rows, keys).allSatisfy { row, key in row.importKey == "CSV:\(row.date):" + key.dropFirst(4) })

        // All the fingerprints at once, through FNV-1a like the keys themselves.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in keys.joined().utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        #expect(keys.count == 3000)
        #expect(Set(keys).count == 3000)
        #expect(String(hash, radix: 16) == "ea08338b566604f0")
        #expect(keys.first == "CSV:65d8115c0110bf3d")
        #expect(keys.last == "CSV:23b65d476797d50b")
    }
}
