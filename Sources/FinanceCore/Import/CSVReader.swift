/// One CSV record: the fields of a row, and the physical line it starts on.
///
/// The fields' UTF-8 bytes, unquoted, lie end to end in one buffer that is reused from record to record,
/// so that reading a file allocates per file rather than per field.
struct CSVRecord {
    private(set) var line = 1
    private var bytes: [UInt8] = []
    /// Where each field ends in `bytes`; each starts where the one before it ends.
    private var fieldEnds: [Int] = []

    var count: Int { fieldEnds.count }

    func field(_ index: Int) -> ArraySlice<UInt8> {
        bytes[(index == 0 ? 0 : fieldEnds[index - 1])..<fieldEnds[index]]
    }

    var fields: [String] {
        (0..<count).map { String(decoding: field($0), as: UTF8.self) }
    }

    /// The field trimmed, as `ImportText.trimmed` trims its text.
    func value(_ index: Int) -> String {
        let field = field(index)
        guard ASCIIText.isASCII(field) else { return ImportText.trimmed(String(decoding: field, as: UTF8.self)) }
        return String(decoding: ASCIIText.trimmed(field), as: UTF8.self)
    }

    /// Whether any field is quoted or holds more than whitespace: a line of nothing but spaces and
    /// delimiters carries no data, and exports use such lines as separators.
    func hasData(hasQuotedField: Bool) -> Bool {
        hasQuotedField || (0..<count).contains { index in
            let field = field(index)
            guard ASCIIText.isASCII(field) else { return !ImportText.isBlank(String(decoding: field, as: UTF8.self)) }
            return !field.allSatisfy(ASCIIText.isWhitespace)
        }
    }

    fileprivate mutating func start(line: Int) {
        self.line = line
        bytes.removeAll(keepingCapacity: true)
        fieldEnds.removeAll(keepingCapacity: true)
    }

    fileprivate mutating func append(_ byte: UInt8) {
        bytes.append(byte)
    }

    fileprivate mutating func append(_ run: UnsafeBufferPointer<UInt8>) {
        bytes.append(contentsOf: run)
    }

    fileprivate mutating func endField() {
        fieldEnds.append(bytes.count)
    }

    /// Whether the field being read is empty or only spaces so far.
    fileprivate var openFieldIsSpaces: Bool {
        bytes[(fieldEnds.last ?? 0)...].allSatisfy { $0 == UInt8(ascii: " ") }
    }

    fileprivate mutating func clearOpenField() {
        bytes.removeSubrange((fieldEnds.last ?? 0)...)
    }
}

/// Splits CSV text into records as RFC 4180 describes, and reads what banks write beyond it:
/// LF, CRLF or lone CR line ends, `;` and tab delimiters, blank lines, and quotes inside unquoted fields.
///
/// It reads UTF-8 bytes. Quotes, line breaks and the usual delimiters are ASCII, and an ASCII byte is never part
/// of a longer UTF-8 sequence, so looking at bytes finds the same boundaries as looking at characters.
struct CSVReader {
    private let text: UnsafeBufferPointer<UInt8>
    /// The delimiter's UTF-8 bytes: one byte for every delimiter but a non-ASCII one.
    private let delimiter: [UInt8]
    private var index = 0
    private var line = 1
    private var isAtEnd = false
    /// The line of a quoted field that the file ends inside, if any; the record it starts is left out.
    private(set) var unclosedQuoteLine: Int?

    init(_ text: UnsafeBufferPointer<UInt8>, delimiter: Unicode.Scalar) {
        self.text = text
        self.delimiter = Array(String(delimiter).utf8)
    }

    /// Reads the next record with at least one non-blank or quoted field into `record`; `false` at the end.
    mutating func next(into record: inout CSVRecord) -> Bool {
        while !isAtEnd {
            let hasQuotedField = readRecord(into: &record)
            if let hasQuotedField, record.hasData(hasQuotedField: hasQuotedField) { return true }
        }
        return false
    }

    /// Reads the record at `index` and the line break ending it; whether it had a quoted field, or `nil` when the
    /// file ends inside a quoted field.
    private mutating func readRecord(into record: inout CSVRecord) -> Bool? {
        record.start(line: line)
        var inQuotes = false
        var fieldIsQuoted = false
        var hasQuotedField = false
        let quote = UInt8(ascii: "\"")

        while index < text.count {
            let byte = text[index]
            if inQuotes {
                if byte == quote {
                    if index + 1 < text.count, text[index + 1] == quote {
                        record.append(quote)
                        index += 2
                    } else {
                        inQuotes = false
                        index += 1
                    }
                } else if Self.isLineBreak(byte) {
                    record.append(UInt8(ascii: "\n"))
                    skipLineBreak()
                } else {
                    appendRun(into: &record) { $0 == quote || Self.isLineBreak($0) }
                }
                continue
            }

            if byte == quote, !fieldIsQuoted, record.openFieldIsSpaces {
                // Spaces before an opening quote are a common hand-editing artifact, not part of the value.
                record.clearOpenField()
                inQuotes = true
                fieldIsQuoted = true
                hasQuotedField = true
                index += 1
            } else if isDelimiter(at: index) {
                record.endField()
                fieldIsQuoted = false
                index += delimiter.count
            } else if Self.isLineBreak(byte) {
                record.endField()
                skipLineBreak()
                return hasQuotedField
            } else {
                let delimiterStart = delimiter[0]
                appendRun(into: &record) { $0 == quote || $0 == delimiterStart || Self.isLineBreak($0) }
            }
        }

        isAtEnd = true
        if inQuotes {
            unclosedQuoteLine = record.line
            return nil
        }
        record.endField()
        return hasQuotedField
    }

    /// Appends the byte at `index`, which is content, and those after it up to the first that `stops`.
    private mutating func appendRun(into record: inout CSVRecord, stoppingAt stops: (UInt8) -> Bool) {
        var end = index + 1
        while end < text.count, !stops(text[end]) { end += 1 }
        record.append(UnsafeBufferPointer(rebasing: text[index..<end]))
        index = end
    }

    private static func isLineBreak(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
    }

    /// Steps over the LF, CR LF or lone CR at `index`, counting one line.
    private mutating func skipLineBreak() {
        let isCRLF = text[index] == UInt8(ascii: "\r") && index + 1 < text.count && text[index + 1] == UInt8(ascii: "\n")
        index += isCRLF ? 2 : 1
        line += 1
    }

    private func isDelimiter(at index: Int) -> Bool {
        guard text[index] == delimiter[0] else { return false }
        guard delimiter.count > 1 else { return true }
        return index + delimiter.count <= text.count && text[index..<index + delimiter.count].elementsEqual(delimiter)
    }

    /// The delimiter that occurs most often, outside quotes, in the first non-blank line. On a tie `;` wins,
    /// then tab: files separated by `;` write decimal commas, which add to the count of `,`.
    static func detectDelimiter(_ text: UnsafeBufferPointer<UInt8>) -> Unicode.Scalar {
        let candidates: [Unicode.Scalar] = [";", "\t", ","]
        var counts = [0, 0, 0]
        var inQuotes = false
        var lineHasContent = false
        for byte in text {
            if byte == UInt8(ascii: "\"") {
                inQuotes.toggle()
                lineHasContent = true
            } else if !inQuotes, byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                if lineHasContent { break }
            } else if !inQuotes, let candidate = candidates.firstIndex(where: { $0.value == byte }) {
                counts[candidate] += 1
                lineHasContent = true
            } else if !inQuotes, byte != UInt8(ascii: " ") {
                lineHasContent = true
            }
        }
        let best = candidates.indices.max { counts[$0] < counts[$1] }
        return best.flatMap { counts[$0] > 0 ? candidates[$0] : nil } ?? ","
    }
}
