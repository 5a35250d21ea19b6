/// Reads the bank or credit card statement of an OFX or QFX file.
enum OFXStatementReader {
    static func read(_ text: Substring) throws(ImportFailure) -> ImportedStatement {
        let (root, structureProblems) = OFXDocument.parse(text)
        var problems = structureProblems

        guard let ofx = root.child(named: "OFX") else {
            throw ImportFailure(sorting: problems + [ImportProblem(line: 0, message: "the file has no <OFX> element: it is not an OFX or QFX file")])
        }

        let statements = statements(in: ofx)
        guard let (kind, statement) = statements.first else {
            throw ImportFailure(sorting: problems + [noStatementProblem(ofx)])
        }
        if statements.count > 1 {
            problems.append(ImportProblem(
                line: statements[1].statement.line, field: statements[1].statement.name,
                message: "the file holds statements of \(statements.count) accounts; export one account per file"
            ))
        }

        var currency: CurrencyCode?
        if let element = statement.leaf(named: "CURDEF"), let value = element.value {
            currency = CurrencyCode(value.uppercased())
            if currency == nil {
                problems.append(ImportProblem(line: element.line, field: "CURDEF", message: "\"\(value)\" is not an ISO 4217 currency code"))
            }
        }

        let entries = statement.child(named: "BANKTRANLIST")?.children(named: "STMTTRN") ?? []
        var transactions: [ImportedTransaction] = []
        transactions.reserveCapacity(entries.count)
        var lineByFITID: [String: Int] = Dictionary(minimumCapacity: entries.count)
        // An unclosed STMTTRN has already been reported, and its contents may be cut off.
        for entry in entries where entry.isClosed {
            switch transaction(entry) {
            case .failure(let failure):
                problems += failure.problems
            case .success(let (transaction, fitid)):
                if let firstLine = lineByFITID[fitid] {
                    problems.append(ImportProblem(
                        line: entry.leaf(named: "FITID")?.line ?? entry.line, field: "FITID",
                        message: "FITID \"\(fitid)\" is also used by the transaction on line \(firstLine)"
                    ))
                } else {
                    lineByFITID[fitid] = entry.line
                }
                transactions.append(transaction)
            }
        }

        var ledgerBalance: Amount?
        var ledgerBalanceDate: LocalDate?
        if let balance = statement.child(named: "LEDGERBAL"), balance.isClosed {
            if let element = balance.leaf(named: "BALAMT") {
                ledgerBalance = amount(element, problems: &problems)
            }
            if let element = balance.leaf(named: "DTASOF") {
                ledgerBalanceDate = date(element, problems: &problems)
            }
        }

        guard problems.isEmpty else { throw ImportFailure(sorting: problems) }
        return ImportedStatement(
            transactions: transactions,
            currency: currency,
            ledgerBalance: ledgerBalance,
            ledgerBalanceDate: ledgerBalanceDate,
            accountKind: kind
        )
    }

    /// Every bank (`STMTRS`) and credit card (`CCSTMTRS`) statement, in file order within each kind.
    private static func statements(in ofx: OFXElement) -> [(kind: StatementAccountKind, statement: OFXElement)] {
        let paths: [(StatementAccountKind, String, String, String)] = [
            (.bank, "BANKMSGSRSV1", "STMTTRNRS", "STMTRS"),
            (.creditCard, "CREDITCARDMSGSRSV1", "CCSTMTTRNRS", "CCSTMTRS"),
        ]
        return paths.flatMap { kind, messages, response, statement in
            ofx.children(named: messages)
                .flatMap { $0.children(named: response) }
                .flatMap { $0.children(named: statement) }
                .map { (kind, $0) }
        }
    }

    /// Says why a well-formed OFX file has nothing to import, with the bank's own words when it sent an error.
    private static func noStatementProblem(_ ofx: OFXElement) -> ImportProblem {
        let responses = ofx.children(named: "BANKMSGSRSV1").flatMap { $0.children(named: "STMTTRNRS") }
            + ofx.children(named: "CREDITCARDMSGSRSV1").flatMap { $0.children(named: "CCSTMTTRNRS") }
        for response in responses {
            guard let status = response.child(named: "STATUS"), let code = status.leaf(named: "CODE")?.value, code != "0" else { continue }
            let message = status.leaf(named: "MESSAGE")?.value.map { ": \($0)" } ?? ""
            return ImportProblem(line: status.line, field: "STATUS", message: "the bank sent error \(code) instead of a statement\(message)")
        }
        if ofx.child(named: "INVSTMTMSGSRSV1") != nil {
            return ImportProblem(line: 0, message: "the file holds an investment statement; only bank and credit card statements can be imported")
        }
        return ImportProblem(line: 0, message: "the file holds no bank or credit card statement (STMTRS or CCSTMTRS)")
    }

    private static func transaction(_ entry: OFXElement) -> Result<(ImportedTransaction, fitid: String), ImportFailure> {
        var problems: [ImportProblem] = []
        func required(_ name: String, _ meaning: String) -> OFXElement? {
            guard let element = entry.leaf(named: name) else {
                problems.append(ImportProblem(line: entry.line, field: name, message: "the transaction has no \(name) (\(meaning))"))
                return nil
            }
            return element
        }
        let datePostedElement = required("DTPOSTED", "date posted")
        let amountElement = required("TRNAMT", "amount")
        let fitid = required("FITID", "the bank's transaction ID")?.value
        let datePosted = datePostedElement.flatMap { date($0, problems: &problems) }
        let transactionAmount = amountElement.flatMap { amount($0, problems: &problems) }
        guard let datePosted, let transactionAmount, let fitid, problems.isEmpty else {
            return .failure(ImportFailure(problems: problems))
        }

        let name = (entry.leaf(named: "NAME") ?? entry.child(named: "PAYEE")?.leaf(named: "NAME"))
            .flatMap(\.value).map(ImportText.collapsingWhitespace) ?? ""
        let memo = entry.leaf(named: "MEMO").flatMap(\.value).map(ImportText.collapsingWhitespace) ?? ""
        let description: String
        if name.isEmpty {
            description = memo
        } else if memo.isEmpty || memo.lowercased() == name.lowercased() {
            description = name
        } else {
            description = "\(name) — \(memo)"
        }

        return .success((
            ImportedTransaction(
                importKey: "FITID:" + fitid,
                line: entry.line,
                date: datePosted,
                amount: transactionAmount,
                description: ImportText.description(description)
            ),
            fitid
        ))
    }

    private static func date(_ element: OFXElement, problems: inout [ImportProblem]) -> LocalDate? {
        let text = element.value ?? ""
        switch DayText.readOFX(text) {
        case .day(let day):
            return day
        case .malformed:
            problems.append(ImportProblem(line: element.line, field: element.name, message: "\"\(text)\" is not an OFX date such as 20240131 or 20240131120000.000[-5:EST]"))
        case .impossible:
            problems.append(ImportProblem(line: element.line, field: element.name, message: "\"\(text)\" is not a day of the calendar"))
        }
        return nil
    }

    private static func amount(_ element: OFXElement, problems: inout [ImportProblem]) -> Amount? {
        let text = element.value ?? ""
        do {
            return try AmountText.readOFX(text)
        } catch {
            problems.append(ImportProblem(line: element.line, field: element.name, message: error.message(for: text, example: "-1234.56")))
            return nil
        }
    }
}
