@testable import App
import FinanceCore
import Foundation
import Testing
import Vapor

@Suite("Importing bank files")
struct ImportTests {
    static let ofx = """
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
        <SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS><DTSERVER>20240131120000<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1>
        <BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS>
        <STMTRS><CURDEF>USD<BANKACCTFROM><BANKID>121000248<ACCTID>0001234567<ACCTTYPE>CHECKING</BANKACCTFROM>
        <BANKTRANLIST><DTSTART>20240101<DTEND>20240131
        <STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240103120000[-5:EST]<TRNAMT>-4.50<FITID>2024010301<NAME>CORNER COFFEE</STMTTRN>
        <STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20240115<TRNAMT>2500.00<FITID>2024011501<NAME>ACME PAYROLL</STMTTRN>
        <STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240120<TRNAMT>-1200.00<FITID>2024012001<NAME>LANDLORD LLC<MEMO>January rent</STMTTRN>
        </BANKTRANLIST>
        <LEDGERBAL><BALAMT>1295.50<DTASOF>20240131</LEDGERBAL>
        </STMTRS></STMTTRNRS></BANKMSGSRSV1>
        </OFX>
        """

    func checking(_ client: TestClient, _ user: TestClient.SignedIn, currency: String = "USD") async throws -> String {
        try #require(try await client.send(.POST, "/api/v1/accounts", token: user.accessToken,
                                           json: ["name": "Checking", "type": "checking", "currency": currency])["id"] as? String)
    }

    @Test("The same OFX file twice adds nothing the second time; the statement balance is recorded", arguments: TestBackend.all)
    func ofxIsIdempotent(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let ada = try await client.signUp()
            let account = try await checking(client, ada)
            try await client.send(.POST, "/api/v1/rules", token: ada.accessToken,
                                  json: ["match_field": "description", "match_kind": "contains", "match_value": "coffee", "category": "FOOD_AND_DRINK"])

            let first = try await client.send(.POST, "/api/v1/accounts/\(account)/imports", token: ada.accessToken, file: Self.ofx)
            #expect(first.status == .created, "\(first.json)")
            #expect(first["added"] as? Int == 3)
            #expect(first["skipped_duplicates"] as? Int == 0)
            #expect(first["ledger_balance"] as? String == "1295.5")
            #expect(first["format"] as? String == "ofx")

            let second = try await client.send(.POST, "/api/v1/accounts/\(account)/imports", token: ada.accessToken, file: Self.ofx)
            #expect(second["added"] as? Int == 0)
            #expect(second["skipped_duplicates"] as? Int == 3)
            #expect(try await app.scalar("SELECT count(*) FROM transactions") == 3)
            #expect(try await app.scalar("SELECT count(*) FROM statement_imports") == 2)

            let balance = try await client.send(.GET, "/api/v1/accounts/\(account)", token: ada.accessToken)["current_balance"] as? String
            #expect(balance == "1295.50")
            let listed = try await client.send(.GET, "/api/v1/transactions?q=coffee", token: ada.accessToken)["items"] as? [[String: Any]] ?? []
            #expect(listed.first?["category"] as? String == "FOOD_AND_DRINK")
            #expect(listed.first?["category_source"] as? String == "rule")
            #expect(listed.first?["date"] as? String == "2024-01-03")
            let rent = try await client.send(.GET, "/api/v1/transactions?q=landlord", token: ada.accessToken)["items"] as? [[String: Any]] ?? []
            #expect(rent.first?["amount"] as? String == "-1200.00")
        }
    }

    @Test("A CSV with a broken line imports nothing and names the line", arguments: TestBackend.all)
    func brokenCSV(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let ada = try await client.signUp()
            let account = try await checking(client, ada)
            let csv = "Date,Description,Amount\n2024-02-01,Coffee,-3.50\n2024-02-30,Impossible day,-1.00\n2024-02-03,Book,twelve\n"
            let path = "/api/v1/accounts/\(account)/imports?format=csv&date_column=Date&description_column=Description&amount_column=Amount"
            let reply = try await client.send(.POST, path, token: ada.accessToken, file: csv)
            #expect(reply.status == .unprocessableEntity)
            #expect(reply.errorCode == "import_failed")
            #expect(reply.errorFields["line 3"]?.contains("date") == true)
            #expect(reply.errorFields["line 4"]?.contains("amount") == true)
            #expect(reply.errorFields["line 2"] == nil)
            #expect(try await app.scalar("SELECT count(*) FROM transactions") == 0)
            #expect(try await app.scalar("SELECT count(*) FROM statement_imports") == 0)

            let missingColumn = try await client.send(.POST, path.replacingOccurrences(of: "Amount", with: "Betrag"), token: ada.accessToken, file: csv)
            #expect(missingColumn.status == .unprocessableEntity)
            #expect(missingColumn.errorFields["line 1"]?.contains("Betrag") == true)
        }
    }

    @Test("Two real identical transactions on one day stay two; previews write nothing", arguments: TestBackend.all)
    func csvDuplicatesAndPreview(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let ada = try await client.signUp()
            let account = try await checking(client, ada, currency: "EUR")
            let csv = "\u{FEFF}Buchungstag;Verwendungszweck;Betrag\n31.01.2024;Kaffee;-3,20\n31.01.2024;Kaffee;-3,20\n01.02.2024;\"Miete; Februar\";-1.234,56\n"
            let path = "/api/v1/accounts/\(account)/imports?date_column=Buchungstag&description_column=Verwendungszweck&amount_column=Betrag&date_format=dmy&decimal_separator=comma"
            let preview = try await client.send(.POST, path + "&preview=true", token: ada.accessToken, file: csv)
            #expect(preview.status == .ok)
            #expect(preview["added"] as? Int == 3)
            #expect((preview["transactions"] as? [[String: Any]])?.last?["amount"] as? String == "-1234.56")
            #expect(try await app.scalar("SELECT count(*) FROM transactions") == 0)

            #expect(try await client.send(.POST, path, token: ada.accessToken, file: csv)["added"] as? Int == 3)
            #expect(try await client.send(.POST, path, token: ada.accessToken, file: csv)["added"] as? Int == 0)
            #expect(try await app.scalar("SELECT count(*) FROM transactions") == 3)
            let balance = try await client.send(.GET, "/api/v1/accounts/\(account)", token: ada.accessToken)["current_balance"] as? String
            #expect(balance == "-1240.96")
        }
    }

    @Test("Rows an earlier release imported, keyed by the fingerprint alone, are not imported again", arguments: TestBackend.all)
    func undatedKeys(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let ada = try await client.signUp()
            let account = try await checking(client, ada)
            let csv = "Date,Description,Amount\n2024-01-30,Coffee,-3.20\n2024-01-30,Coffee,-3.20\n2024-01-31,Rent,-900\n"
            let mapping = CSVMapping(date: "Date", amount: "Amount", description: "Description")
            let rows = try StatementParser.parseCSV(csv, mapping: mapping).transactions
            // The first coffee and the rent, as an earlier release stored them.
            for row in [rows[0], rows[2]] {
                let key = try #require(row.undatedImportKey)
                #expect(row.importKey == "CSV:\(row.date):\(key.dropFirst(4))")
                _ = try await app.db.asUser(ada.id) { db in
                    try await TransactionBulkInsert.insert([NewTransactionRow(
                        userID: ada.id, accountID: UUID(uuidString: account)!, date: row.date, amount: row.amount, currency: .usd,
                        description: row.description, merchantName: nil, category: .uncategorized, pending: false, importKey: key)], on: db)
                }
            }
            let path = "/api/v1/accounts/\(account)/imports?date_column=Date&description_column=Description&amount_column=Amount"
            let reply = try await client.send(.POST, path, token: ada.accessToken, file: csv)
            #expect(reply["added"] as? Int == 1)
            #expect(reply["skipped_duplicates"] as? Int == 2)
            #expect(try await client.send(.POST, path, token: ada.accessToken, file: csv)["added"] as? Int == 0)
            #expect(try await app.scalar("SELECT count(*) FROM transactions") == 3)
        }
    }

    @Test("Another user's account, a linked account, a foreign currency and an unreadable file are refused", arguments: TestBackend.all)
    func refusals(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let ada = try await client.signUp(), bob = try await client.signUp()
            let bobs = try await checking(client, bob)
            #expect(try await client.send(.POST, "/api/v1/accounts/\(bobs)/imports", token: ada.accessToken, file: Self.ofx).status == .notFound)
            let euros = try await checking(client, ada, currency: "EUR")
            let wrongCurrency = try await client.send(.POST, "/api/v1/accounts/\(euros)/imports", token: ada.accessToken, file: Self.ofx)
            #expect(wrongCurrency.errorFields["file"]?.contains("USD") == true)
            let truncated = String(Self.ofx.prefix(Self.ofx.count - 40))
            let account = try await checking(client, ada)
            let cut = try await client.send(.POST, "/api/v1/accounts/\(account)/imports", token: ada.accessToken, file: truncated)
            #expect(cut.status == .unprocessableEntity)
            #expect(cut.errorCode == "import_failed")
            let unknown = try await client.send(.POST, "/api/v1/accounts/\(account)/imports", token: ada.accessToken, file: "\u{1}\u{2}")
            #expect(unknown.status == .unprocessableEntity)
            #expect(try await app.scalar("SELECT count(*) FROM transactions") == 0)
        }
    }
}
