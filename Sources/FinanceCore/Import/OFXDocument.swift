/// An OFX element: an aggregate holding other elements, or a leaf holding text.
struct OFXElement {
    let name: String
    /// The line of its opening tag.
    let line: Int
    /// The text of a leaf, entity-decoded and trimmed; `nil` for an aggregate.
    var value: String?
    var children: [OFXElement] = []
    /// Whether its closing tag was found. An aggregate the file never closes is kept, so that the rest of
    /// the file can still be checked, but what it holds cannot be trusted.
    var isClosed = true

    func children(named name: String) -> [OFXElement] {
        children.filter { $0.name == name }
    }

    func child(named name: String) -> OFXElement? {
        children.first { $0.name == name }
    }

    /// The child leaf, when it is there and not empty.
    func leaf(named name: String) -> OFXElement? {
        children.first { $0.name == name && !($0.value ?? "").isEmpty }
    }
}

/// Reads OFX markup of both generations into elements: OFX 1.x SGML, whose leaf elements have no closing
/// tags (`<TRNAMT>-12.34`), and OFX 2.x XML, where everything is closed. Headers, processing instructions
/// and comments are skipped; tags are matched without regard to letter case.
enum OFXDocument {
    /// The elements of the file below a nameless root, and the problems with its structure.
    static func parse(_ text: Substring) -> (root: OFXElement, problems: [ImportProblem]) {
        build(tokens(text))
    }

    /// Aggregates whose closing tag the OFX specification requires. Any other element left open is an SGML
    /// leaf written without a value (`<MEMO>` followed directly by the next tag).
    private static let aggregates: Set<String> = [
        "OFX", "SIGNONMSGSRSV1", "SONRS", "STATUS", "FI",
        "BANKMSGSRSV1", "STMTTRNRS", "STMTRS", "BANKACCTFROM", "BANKACCTTO",
        "CREDITCARDMSGSRSV1", "CCSTMTTRNRS", "CCSTMTRS", "CCACCTFROM", "CCACCTTO",
        "BANKTRANLIST", "STMTTRN", "PAYEE", "CURRENCY", "ORIGCURRENCY",
        "LEDGERBAL", "AVAILBAL", "BALLIST", "BAL", "INVSTMTMSGSRSV1",
    ]

    private enum Token {
        case open(name: String, line: Int, isEmptyElement: Bool)
        case close(name: String, line: Int)
        case text(String, line: Int)
    }

    private static func tokens(_ text: Substring) -> [Token] {
        var scanner = Scanner(scalars: Array(text.unicodeScalars))
        var tokens: [Token] = []
        var text = String.UnicodeScalarView()
        // Where the text's first visible character is: the line a value is reported on.
        var textLine: Int?

        func flushText() {
            if let textLine { tokens.append(.text(ImportText.trimmed(String(text)), line: textLine)) }
            text = String.UnicodeScalarView()
            textLine = nil
        }
        func appendText(_ scalar: Unicode.Scalar, line: Int) {
            if textLine == nil, !scalar.properties.isWhitespace { textLine = line }
            text.append(scalar)
        }

        while let scalar = scanner.peek() {
            let line = scanner.line
            if scalar == "&" {
                scanner.advance()
                appendText(scanner.entity() ?? "&", line: line)
            } else if scalar == "<", scanner.startsWith("<![CDATA[") {
                scanner.advance(by: 9)
                for character in scanner.consume(upTo: "]]>").unicodeScalars { appendText(character, line: line) }
            } else if scalar == "<", scanner.startsWith("<!--") {
                scanner.advance(by: 4)
                _ = scanner.consume(upTo: "-->")
            } else if scalar == "<", scanner.startsWith("<?") || scanner.startsWith("<!") {
                _ = scanner.consume(upTo: ">")
            } else if scalar == "<", let next = scanner.peek(offset: 1), next == "/" || next.properties.isAlphabetic {
                flushText()
                scanner.advance()
                let isClose = next == "/"
                if isClose { scanner.advance() }
                let tag = scanner.consume(upTo: ">")
                let name = String(tag.prefix { !$0.isWhitespace && $0 != "/" }).uppercased()
                guard !name.isEmpty else { continue }
                if isClose {
                    tokens.append(.close(name: name, line: line))
                } else {
                    tokens.append(.open(name: name, line: line, isEmptyElement: tag.hasSuffix("/")))
                }
            } else {
                appendText(scalar, line: line)
                scanner.advance()
            }
        }
        flushText()
        return tokens
    }

    private static func build(_ tokens: [Token]) -> (root: OFXElement, problems: [ImportProblem]) {
        var stack = [OFXElement(name: "", line: 0, isClosed: false)]
        var problems: [ImportProblem] = []
        var index = 0

        // An element closed without its closing tag: an SGML leaf without a value gives back what it wrongly
        // took in, an aggregate is kept as it is and marked unclosed.
        func closeImplicitly(_ element: OFXElement) {
            var element = element
            if aggregates.contains(element.name) {
                element.isClosed = false
                stack[stack.count - 1].children.append(element)
            } else {
                let adopted = element.children
                element.children = []
                element.value = ""
                stack[stack.count - 1].children.append(element)
                stack[stack.count - 1].children += adopted
            }
        }

        while index < tokens.count {
            switch tokens[index] {
            case .text:
                // Text outside any leaf: the OFX 1.x header, or stray text between tags.
                index += 1
            case .open(let name, let line, let isEmptyElement):
                index += 1
                if isEmptyElement {
                    stack[stack.count - 1].children.append(OFXElement(name: name, line: line, value: ""))
                } else if index < tokens.count, case .text(let value, _) = tokens[index] {
                    stack[stack.count - 1].children.append(OFXElement(name: name, line: line, value: value))
                    index += 1
                    if index < tokens.count, case .close(name, _) = tokens[index] { index += 1 }
                } else if index < tokens.count, case .close(name, _) = tokens[index] {
                    stack[stack.count - 1].children.append(OFXElement(name: name, line: line, value: ""))
                    index += 1
                } else {
                    stack.append(OFXElement(name: name, line: line))
                }
            case .close(let name, let line):
                index += 1
                guard let depth = stack.lastIndex(where: { $0.name == name }), depth > 0 else {
                    problems.append(ImportProblem(line: line, field: name, message: "</\(name)> closes an element that is not open"))
                    continue
                }
                while stack.count - 1 > depth {
                    let inner = stack.removeLast()
                    if aggregates.contains(inner.name) {
                        problems.append(ImportProblem(
                            line: inner.line, field: inner.name,
                            message: "<\(inner.name)> is not closed before </\(name)> on line \(line)"
                        ))
                    }
                    closeImplicitly(inner)
                }
                let element = stack.removeLast()
                stack[stack.count - 1].children.append(element)
            }
        }

        if let unclosed = stack.dropFirst().last(where: { aggregates.contains($0.name) }) {
            problems.append(ImportProblem(
                line: unclosed.line, field: unclosed.name,
                message: "the file ends before <\(unclosed.name)> is closed: it looks truncated"
            ))
        }
        while stack.count > 1 {
            closeImplicitly(stack.removeLast())
        }
        return (stack[0], problems)
    }

    /// Walks the text one Unicode scalar at a time, counting lines: LF, CRLF and a lone CR each end one.
    private struct Scanner {
        let scalars: [Unicode.Scalar]
        var index = 0
        var line = 1

        func peek(offset: Int = 0) -> Unicode.Scalar? {
            index + offset < scalars.count ? scalars[index + offset] : nil
        }

        func startsWith(_ prefix: String) -> Bool {
            var offset = 0
            for scalar in prefix.unicodeScalars {
                guard let next = peek(offset: offset), next == scalar else { return false }
                offset += 1
            }
            return true
        }

        mutating func advance(by count: Int = 1) {
            for _ in 0..<count where index < scalars.count {
                let scalar = scalars[index]
                if scalar == "\n" || (scalar == "\r" && peek(offset: 1) != "\n") { line += 1 }
                index += 1
            }
        }

        /// The text up to `terminator`, which is consumed too; the rest of the file when it never comes.
        mutating func consume(upTo terminator: String) -> String {
            var consumed = String.UnicodeScalarView()
            while index < scalars.count, !startsWith(terminator) {
                consumed.append(scalars[index])
                advance()
            }
            advance(by: terminator.unicodeScalars.count)
            return String(consumed)
        }

        /// After an `&`: the character a predefined or numeric entity stands for, with the entity consumed,
        /// or `nil` (consuming nothing) when what follows is no entity, since SGML files often carry a bare `&`.
        mutating func entity() -> Unicode.Scalar? {
            var name = ""
            var offset = 0
            while let next = peek(offset: offset), next != ";", offset < 10 {
                name.unicodeScalars.append(next)
                offset += 1
            }
            guard peek(offset: offset) == ";" else { return nil }
            let scalar: Unicode.Scalar? = switch name {
            case "amp": "&"
            case "lt": "<"
            case "gt": ">"
            case "quot": "\""
            case "apos": "'"
            case "nbsp": "\u{00A0}"
            default:
                if name.hasPrefix("#x") || name.hasPrefix("#X") {
                    UInt32(name.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init)
                } else if name.hasPrefix("#") {
                    UInt32(name.dropFirst(), radix: 10).flatMap(Unicode.Scalar.init)
                } else {
                    nil
                }
            }
            if scalar != nil { advance(by: offset + 1) }
            return scalar
        }
    }
}
