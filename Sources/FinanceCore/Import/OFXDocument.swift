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
        build(ImportText.withUTF8(text, tokens))
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

    /// Splits the UTF-8 of the file into tags and text. Markup is ASCII, and an ASCII byte is never part of a
    /// longer UTF-8 sequence, so looking at bytes finds the same tags as looking at characters.
    private static func tokens(_ bytes: UnsafeBufferPointer<UInt8>) -> [Token] {
        var scanner = Scanner(bytes: bytes)
        var tokens: [Token] = []
        var text: [UInt8] = []
        // Where the text's first visible character is: the line a value is reported on.
        var textLine: Int?

        func flushText() {
            if let textLine { tokens.append(.text(trimmed(text), line: textLine)) }
            text.removeAll(keepingCapacity: true)
            textLine = nil
        }
        func appendText(_ run: UnsafeBufferPointer<UInt8>, line: Int) {
            if textLine == nil, hasVisibleCharacter(run) { textLine = line }
            text.append(contentsOf: run)
        }

        while let byte = scanner.peek() {
            let line = scanner.line
            if byte == UInt8(ascii: "&") {
                scanner.advance()
                let scalar = scanner.entity() ?? "&"
                if textLine == nil, !isWhitespace(scalar) { textLine = line }
                text.append(contentsOf: String(scalar).utf8)
            } else if byte == UInt8(ascii: "<"), scanner.isAtDeclaration {
                if scanner.startsWith("<![CDATA[") {
                    scanner.advance(by: 9)
                    appendText(scanner.consume(upTo: "]]>"), line: line)
                } else if scanner.startsWith("<!--") {
                    scanner.advance(by: 4)
                    _ = scanner.consume(upTo: "-->")
                } else {
                    _ = scanner.consume(upTo: ">")
                }
            } else if byte == UInt8(ascii: "<"), let next = scanner.scalar(offset: 1), next == "/" || isAlphabetic(next) {
                flushText()
                scanner.advance()
                let isClose = next == "/"
                if isClose { scanner.advance() }
                let (name, endsWithSlash) = tagName(scanner.consume(upTo: ">"))
                guard !name.isEmpty else { continue }
                if isClose {
                    tokens.append(.close(name: name, line: line))
                } else {
                    tokens.append(.open(name: name, line: line, isEmptyElement: endsWithSlash))
                }
            } else if textLine == nil {
                // Until the text has a visible character, each one is looked at for the line it is on.
                let length = scanner.scalarLength()
                appendText(scanner.run(count: length), line: line)
                scanner.advance(by: length)
            } else {
                // The byte is text whatever it is; so is what follows, up to the next `&` or `<`.
                let run = scanner.run { $0 == UInt8(ascii: "&") || $0 == UInt8(ascii: "<") }
                text.append(contentsOf: run)
                scanner.advance(by: run.count)
            }
        }
        flushText()
        return tokens
    }

    /// `ImportText.trimmed` of text bytes, working on the bytes when they are ASCII.
    private static func trimmed(_ text: [UInt8]) -> String {
        guard ASCIIText.isASCII(text) else { return ImportText.trimmed(String(decoding: text, as: UTF8.self)) }
        return String(decoding: ASCIIText.trimmed(text), as: UTF8.self)
    }

    /// Whether the bytes hold a scalar that is not whitespace.
    private static func hasVisibleCharacter(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 0
        while index < bytes.count {
            let (scalar, length) = Scanner.scalar(in: bytes, at: index)
            if !isWhitespace(scalar) { return true }
            index += length
        }
        return false
    }

    // The Unicode properties, answered for ASCII without looking them up.

    private static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII ? ASCIIText.isWhitespace(UInt8(scalar.value)) : scalar.properties.isWhitespace
    }

    private static func isAlphabetic(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII ? ASCIIText.isLetter(UInt8(scalar.value)) : scalar.properties.isAlphabetic
    }

    /// The upper-cased element name at the start of a tag's text, and whether the text ends with `/`
    /// (an empty XML element). ASCII tags are read from their bytes; others as characters.
    private static func tagName(_ tag: UnsafeBufferPointer<UInt8>) -> (name: String, endsWithSlash: Bool) {
        guard ASCIIText.isASCII(tag) else {
            let text = String(decoding: tag, as: UTF8.self)
            return (String(text.prefix { !$0.isWhitespace && $0 != "/" }).uppercased(), text.hasSuffix("/"))
        }
        let nameLength = tag.firstIndex { ASCIIText.isWhitespace($0) || $0 == UInt8(ascii: "/") } ?? tag.count
        let name = String(unsafeUninitializedCapacity: nameLength) { buffer in
            for index in 0..<nameLength {
                let byte = tag[index]
                buffer[index] = byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") ? byte - 0x20 : byte
            }
            return nameLength
        }
        return (name, tag.last == UInt8(ascii: "/"))
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

    /// Walks the UTF-8 of the text, counting lines: LF, CRLF and a lone CR each end one.
    private struct Scanner {
        private let bytes: UnsafeBufferPointer<UInt8>
        private var index = 0
        private(set) var line = 1

        init(bytes: UnsafeBufferPointer<UInt8>) {
            self.bytes = bytes
        }

        func peek() -> UInt8? {
            index < bytes.count ? bytes[index] : nil
        }

        /// The scalar that starts `offset` bytes ahead.
        func scalar(offset: Int) -> Unicode.Scalar? {
            index + offset < bytes.count ? Self.scalar(in: bytes, at: index + offset).scalar : nil
        }

        /// The number of bytes of the scalar at `index`.
        func scalarLength() -> Int {
            Self.scalar(in: bytes, at: index).length
        }

        /// Whether the text is at `<!` or `<?`: a CDATA section, a comment, a declaration or a processing instruction.
        var isAtDeclaration: Bool {
            index + 1 < bytes.count && (bytes[index + 1] == UInt8(ascii: "!") || bytes[index + 1] == UInt8(ascii: "?"))
        }

        func startsWith(_ prefix: String) -> Bool {
            var offset = index
            for byte in prefix.utf8 {
                guard offset < bytes.count, bytes[offset] == byte else { return false }
                offset += 1
            }
            return true
        }

        /// The next `count` bytes, or as many as are left.
        func run(count: Int) -> UnsafeBufferPointer<UInt8> {
            UnsafeBufferPointer(rebasing: bytes[index..<min(index + count, bytes.count)])
        }

        /// The byte at `index` and those after it, up to the first that `stops` or the end.
        func run(upTo stops: (UInt8) -> Bool) -> UnsafeBufferPointer<UInt8> {
            var end = index + 1
            while end < bytes.count, !stops(bytes[end]) { end += 1 }
            return UnsafeBufferPointer(rebasing: bytes[index..<end])
        }

        mutating func advance(by count: Int = 1) {
            let end = min(index + count, bytes.count)
            while index < end {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\n") || (byte == UInt8(ascii: "\r") && (index + 1 == bytes.count || bytes[index + 1] != UInt8(ascii: "\n"))) {
                    line += 1
                }
                index += 1
            }
        }

        /// The text up to `terminator`, which is consumed too; the rest of the file when it never comes.
        mutating func consume(upTo terminator: String) -> UnsafeBufferPointer<UInt8> {
            let start = index
            let first = terminator.utf8.first
            while index < bytes.count, bytes[index] != first || !startsWith(terminator) {
                advance()
            }
            let consumed = UnsafeBufferPointer(rebasing: bytes[start..<index])
            advance(by: terminator.utf8.count)
            return consumed
        }

        /// After an `&`: the character a predefined or numeric entity stands for, with the entity consumed,
        /// or `nil` (consuming nothing) when what follows is no entity, since SGML files often carry a bare `&`.
        mutating func entity() -> Unicode.Scalar? {
            // The name is at most ten scalars before the `;`.
            var end = index
            var scalars = 0
            while end < bytes.count, bytes[end] != UInt8(ascii: ";"), scalars < 10 {
                end += Self.scalar(in: bytes, at: end).length
                scalars += 1
            }
            guard end < bytes.count, bytes[end] == UInt8(ascii: ";") else { return nil }
            let name = String(decoding: UnsafeBufferPointer(rebasing: bytes[index..<end]), as: UTF8.self)
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
            if scalar != nil { advance(by: end + 1 - index) }
            return scalar
        }

        /// The scalar starting at `index` of valid UTF-8, and its length in bytes.
        static func scalar(in bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> (scalar: Unicode.Scalar, length: Int) {
            let lead = bytes[index]
            let length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
            guard length > 1 else { return (Unicode.Scalar(lead), 1) }
            guard index + length <= bytes.count else { return ("\u{FFFD}", bytes.count - index) }
            var value = UInt32(lead) & (0x7F >> length)
            for offset in 1..<length {
                value = value << 6 | UInt32(bytes[index + offset] & 0x3F)
            }
            return (Unicode.Scalar(value) ?? "\u{FFFD}", length)
        }
    }
}
