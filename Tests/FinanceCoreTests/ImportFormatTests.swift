import FinanceCore
import Testing

@Suite("Statement format detection")
struct ImportFormatTests {
    @Test("OFX and QFX files of both generations are OFX")
    func ofx() {
        #expect(StatementParser.detectFormat(OFXFixtures.sgmlChecking) == .ofx)
        #expect(StatementParser.detectFormat(OFXFixtures.xmlCreditCard) == .ofx)
        #expect(StatementParser.detectFormat(OFXFixtures.qfxSavings) == .ofx)
        #expect(StatementParser.detectFormat(OFXFixtures.singleLineEuro) == .ofx)
        #expect(StatementParser.detectFormat("\u{FEFF}\r\n\r\nOFXHEADER:100\r\nDATA:OFXSGML\r\n") == .ofx)
        #expect(StatementParser.detectFormat("<?xml version=\"1.0\"?>\n<OFX>\n</OFX>") == .ofx)
        #expect(StatementParser.detectFormat("  <ofx><signonmsgsrsv1>") == .ofx)
        #expect(StatementParser.detectFormat(Array(OFXFixtures.qfxSavings.utf8)) == .ofx)
    }

    @Test("Text whose first line has a delimiter is CSV")
    func csv() {
        #expect(StatementParser.detectFormat(CSVFixtures.germanGiro) == .csv)
        #expect(StatementParser.detectFormat(CSVFixtures.usCreditUnion) == .csv)
        #expect(StatementParser.detectFormat("\n\nDate\tAmount\n2024-01-01\t1\n") == .csv)
        #expect(StatementParser.detectFormat(windows1252Bytes("Buchungstag;Empfänger;Betrag\n")) == .csv)
    }

    @Test("Anything else is no statement format", arguments: [
        "", "   \n\n", "Hello world\nfoo,bar", "<html><body>Your session expired</body></html>",
        "<?xml version=\"1.0\"?><rss></rss>", "%PDF-1.7",
    ])
    func neither(text: String) {
        #expect(StatementParser.detectFormat(text) == nil)
    }
}
