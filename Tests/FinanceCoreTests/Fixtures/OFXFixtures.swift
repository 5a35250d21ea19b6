/// OFX and QFX files shaped like the ones banks hand out. Line numbers in the tests refer to these texts:
/// the first line after the opening `"""` is line 1.
enum OFXFixtures {
    /// An OFX 1.02 checking account statement in SGML: leaf elements are never closed, the header is
    /// `KEY:VALUE` lines, one MEMO is present but empty (a bare `<MEMO>` followed by another tag).
    static let sgmlChecking = """
    OFXHEADER:100
    DATA:OFXSGML
    VERSION:102
    SECURITY:NONE
    ENCODING:USASCII
    CHARSET:1252
    COMPRESSION:NONE
    OLDFILEUID:NONE
    NEWFILEUID:NONE

    <OFX>
    <SIGNONMSGSRSV1>
    <SONRS>
    <STATUS>
    <CODE>0
    <SEVERITY>INFO
    </STATUS>
    <DTSERVER>20240201083015.123[-5:EST]
    <LANGUAGE>ENG
    </SONRS>
    </SIGNONMSGSRSV1>
    <BANKMSGSRSV1>
    <STMTTRNRS>
    <TRNUID>1001
    <STATUS>
    <CODE>0
    <SEVERITY>INFO
    </STATUS>
    <STMTRS>
    <CURDEF>USD
    <BANKACCTFROM>
    <BANKID>121000358
    <ACCTID>000123456789
    <ACCTTYPE>CHECKING
    </BANKACCTFROM>
    <BANKTRANLIST>
    <DTSTART>20240101
    <DTEND>20240131
    <STMTTRN>
    <TRNTYPE>DEBIT
    <DTPOSTED>20240102120000[-5:EST]
    <TRNAMT>-42.17
    <FITID>2024010201
    <NAME>WHOLE FOODS MARKET #10234
    <MEMO>POS PURCHASE
    </STMTTRN>
    <STMTTRN>
    <TRNTYPE>DIRECTDEP
    <DTPOSTED>20240115
    <TRNAMT>2450.00
    <FITID>2024011501
    <NAME>ACME CORP    PAYROLL
    </STMTTRN>
    <STMTTRN>
    <TRNTYPE>CHECK
    <DTPOSTED>20240118000000.000
    <TRNAMT>-1200.00
    <FITID>2024011801
    <CHECKNUM>1042
    <MEMO>CHECK 1042
    </STMTTRN>
    <STMTTRN>
    <TRNTYPE>FEE
    <DTPOSTED>20240131
    <TRNAMT>-0.01
    <FITID>2024013101
    <NAME>Interest &amp; Fees Adj.
    <MEMO>INTEREST &amp; FEES ADJ.
    </STMTTRN>
    <STMTTRN>
    <TRNTYPE>CREDIT
    <DTPOSTED>20240131235959[0:GMT]
    <TRNAMT>1234567.89
    <MEMO>
    <FITID>2024013102
    <NAME>WIRE IN &lt;ESTATE OF J. DOE&gt;
    </STMTTRN>
    </BANKTRANLIST>
    <LEDGERBAL>
    <BALAMT>1236967.88
    <DTASOF>20240131235959.000[-5:EST]
    </LEDGERBAL>
    <AVAILBAL>
    <BALAMT>1236900.00
    <DTASOF>20240131
    </AVAILBAL>
    </STMTRS>
    </STMTTRNRS>
    </BANKMSGSRSV1>
    </OFX>
    """

    /// An OFX 2.2 credit card statement in XML: every element closed, indented, with a comment,
    /// empty elements in both XML forms and a payee written with entities.
    static let xmlCreditCard = """
    <?xml version="1.0" encoding="UTF-8" standalone="no"?>
    <?OFX OFXHEADER="200" VERSION="220" SECURITY="NONE" OLDFILEUID="NONE" NEWFILEUID="NONE"?>
    <!-- Exported by Example Card Services online banking -->
    <OFX>
      <SIGNONMSGSRSV1>
        <SONRS>
          <STATUS>
            <CODE>0</CODE>
            <SEVERITY>INFO</SEVERITY>
          </STATUS>
          <DTSERVER>20240305101500.000[-8:PST]</DTSERVER>
          <LANGUAGE>ENG</LANGUAGE>
          <FI>
            <ORG>Example Card Services</ORG>
            <FID>1234</FID>
          </FI>
        </SONRS>
      </SIGNONMSGSRSV1>
      <CREDITCARDMSGSRSV1>
        <CCSTMTTRNRS>
          <TRNUID>0</TRNUID>
          <STATUS>
            <CODE>0</CODE>
            <SEVERITY>INFO</SEVERITY>
          </STATUS>
          <CCSTMTRS>
            <CURDEF>USD</CURDEF>
            <CCACCTFROM>
              <ACCTID>4111111111111111</ACCTID>
            </CCACCTFROM>
            <BANKTRANLIST>
              <DTSTART>20240201000000.000[-8:PST]</DTSTART>
              <DTEND>20240229235959.000[-8:PST]</DTEND>
              <STMTTRN>
                <TRNTYPE>DEBIT</TRNTYPE>
                <DTPOSTED>20240203000000.000[-8:PST]</DTPOSTED>
                <TRNAMT>-5.75</TRNAMT>
                <FITID>320240203000001</FITID>
                <NAME>BLUE BOTTLE COFFEE</NAME>
                <MEMO>OAKLAND CA</MEMO>
              </STMTTRN>
              <STMTTRN>
                <TRNTYPE>DEBIT</TRNTYPE>
                <DTPOSTED>20240203000000.000[-8:PST]</DTPOSTED>
                <TRNAMT>-5.75</TRNAMT>
                <FITID>320240203000002</FITID>
                <NAME>BLUE BOTTLE COFFEE</NAME>
                <MEMO>OAKLAND CA</MEMO>
              </STMTTRN>
              <STMTTRN>
                <TRNTYPE>CREDIT</TRNTYPE>
                <DTPOSTED>20240215</DTPOSTED>
                <TRNAMT>+850.00</TRNAMT>
                <FITID>320240215000003</FITID>
                <NAME>PAYMENT - THANK YOU</NAME>
                <MEMO></MEMO>
              </STMTTRN>
              <STMTTRN>
                <TRNTYPE>DEBIT</TRNTYPE>
                <DTPOSTED>20240229</DTPOSTED>
                <TRNAMT>-129.99</TRNAMT>
                <FITID>320240229000004</FITID>
                <NAME>B&amp;H PHOTO &quot;VIDEO&quot;</NAME>
                <MEMO/>
              </STMTTRN>
            </BANKTRANLIST>
            <LEDGERBAL>
              <BALAMT>-1523.44</BALAMT>
              <DTASOF>20240229235959.000[-8:PST]</DTASOF>
            </LEDGERBAL>
            <AVAILBAL>
              <BALAMT>3476.56</BALAMT>
              <DTASOF>20240229235959.000[-8:PST]</DTASOF>
            </AVAILBAL>
          </CCSTMTRS>
        </CCSTMTTRNRS>
      </CREDITCARDMSGSRSV1>
    </OFX>
    """

    /// A QFX savings statement as Quicken downloads it: OFX 1.02 SGML plus Intuit's `INTU.BID` and
    /// `INTU.USERID` in the sign-on response.
    static let qfxSavings = """
    OFXHEADER:100
    DATA:OFXSGML
    VERSION:102
    SECURITY:NONE
    ENCODING:USASCII
    CHARSET:1252
    COMPRESSION:NONE
    OLDFILEUID:NONE
    NEWFILEUID:NONE

    <OFX>
    <SIGNONMSGSRSV1>
    <SONRS>
    <STATUS>
    <CODE>0
    <SEVERITY>INFO
    <MESSAGE>Successful Sign On
    </STATUS>
    <DTSERVER>20240410120000[-4:EDT]
    <LANGUAGE>ENG
    <FI>
    <ORG>B1
    <FID>10898
    </FI>
    <INTU.BID>10898
    <INTU.USERID>JDOE1234
    </SONRS>
    </SIGNONMSGSRSV1>
    <BANKMSGSRSV1>
    <STMTTRNRS>
    <TRNUID>1
    <STATUS>
    <CODE>0
    <SEVERITY>INFO
    </STATUS>
    <STMTRS>
    <CURDEF>USD
    <BANKACCTFROM>
    <BANKID>322271627
    <ACCTID>987654321
    <ACCTTYPE>SAVINGS
    </BANKACCTFROM>
    <BANKTRANLIST>
    <DTSTART>20240301120000[-4:EDT]
    <DTEND>20240331120000[-4:EDT]
    <STMTTRN>
    <TRNTYPE>XFER
    <DTPOSTED>20240315120000[-4:EDT]
    <TRNAMT>-500.00
    <FITID>202403150
    <NAME>Online Transfer to CHK ...4321
    <MEMO>transaction#: 10293847561
    </STMTTRN>
    <STMTTRN>
    <TRNTYPE>INT
    <DTPOSTED>20240331120000[-4:EDT]
    <TRNAMT>3.21
    <FITID>202403310
    <NAME>INTEREST PAYMENT
    </STMTTRN>
    </BANKTRANLIST>
    <LEDGERBAL>
    <BALAMT>10503.21
    <DTASOF>20240331120000[-4:EDT]
    </LEDGERBAL>
    </STMTRS>
    </STMTTRNRS>
    </BANKMSGSRSV1>
    </OFX>
    """

    /// A European bank's OFX on a single line, header included: euro amounts with decimal commas.
    static let singleLineEuro = "OFXHEADER:100 DATA:OFXSGML VERSION:102 SECURITY:NONE ENCODING:UTF-8 CHARSET:NONE "
        + "COMPRESSION:NONE OLDFILEUID:NONE NEWFILEUID:NONE "
        + "<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS><DTSERVER>20240202<LANGUAGE>GER</SONRS></SIGNONMSGSRSV1>"
        + "<BANKMSGSRSV1><STMTTRNRS><TRNUID>0<STATUS><CODE>0<SEVERITY>INFO</STATUS><STMTRS><CURDEF>EUR"
        + "<BANKACCTFROM><BANKID>50010517<ACCTID>DE89370400440532013000<ACCTTYPE>CHECKING</BANKACCTFROM>"
        + "<BANKTRANLIST><DTSTART>20240101<DTEND>20240131"
        + "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240131<TRNAMT>-1234,56<FITID>DE-2024-0131-1<NAME>Hausverwaltung Schmidt<MEMO>Miete Februar</STMTTRN>"
        + "<STMTTRN><TRNTYPE>POS<DTPOSTED>20240105<TRNAMT>-3,20<FITID>DE-2024-0105-1<NAME>Bäckerei Müller</STMTTRN>"
        + "</BANKTRANLIST><LEDGERBAL><BALAMT>5432,10<DTASOF>20240131</LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>"
}
