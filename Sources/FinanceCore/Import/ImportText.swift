/// Text handling shared by the CSV and OFX readers.
enum ImportText {
    /// Bytes as text: UTF-8 when they are valid UTF-8, otherwise Windows-1252, the encoding banks' exports
    /// use when they are not UTF-8 (OFX 1.x files declare `CHARSET:1252`; many European CSVs are Latin-1,
    /// which Windows-1252 contains).
    static func decode(_ bytes: [UInt8]) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        // Transcoding to UTF-8 bytes first builds the string in one go instead of one scalar at a time.
        var utf8: [UInt8] = []
        utf8.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            if byte < 0x80 {
                utf8.append(byte)
            } else {
                utf8.append(contentsOf: String(windows1252(byte)).utf8)
            }
        }
        return String(decoding: utf8, as: UTF8.self)
    }

    /// The text without a leading UTF-8 byte order mark, which spreadsheet programs put in front of CSV exports.
    static func droppingByteOrderMark(_ text: some StringProtocol) -> Substring {
        let scalars = Substring(text).unicodeScalars
        return scalars.first == "\u{FEFF}" ? Substring(scalars.dropFirst()) : Substring(text)
    }

    /// Calls `body` with the UTF-8 of `text`, in place when the string stores it contiguously.
    static func withUTF8<Value>(_ text: Substring, _ body: (UnsafeBufferPointer<UInt8>) -> Value) -> Value {
        if let result = text.utf8.withContiguousStorageIfAvailable(body) { return result }
        return Array(text.utf8).withUnsafeBufferPointer(body)
    }

    static func trimmed(_ text: some StringProtocol) -> String {
        guard let first = text.firstIndex(where: { !$0.isWhitespace }),
              let last = text.lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return String(text[first...last])
    }

    /// Trimmed, with every run of spaces, tabs and line breaks made one space: descriptions are one-line labels,
    /// and banks pad them with runs of spaces.
    static func collapsingWhitespace(_ text: some StringProtocol) -> String {
        if let collapsed = text.utf8.withContiguousStorageIfAvailable({ ASCIIText.collapsingWhitespace($0) }) {
            return collapsed ?? text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        }
        return text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    static func isBlank(_ text: some StringProtocol) -> Bool {
        text.allSatisfy(\.isWhitespace)
    }

    /// A description as imported: `(no description)` when the file has none.
    static func description(_ text: String) -> String {
        text.isEmpty ? "(no description)" : text
    }

    private static func windows1252(_ byte: UInt8) -> Unicode.Scalar {
        guard (0x80...0x9F).contains(byte) else { return Unicode.Scalar(byte) }
        return Unicode.Scalar(windows1252Controls[Int(byte - 0x80)]) ?? Unicode.Scalar(byte)
    }

    /// Windows-1252 puts printable characters where Latin-1 has C1 controls (0x80–0x9F); its five
    /// unassigned bytes keep their Latin-1 meaning.
    private static let windows1252Controls: [UInt32] = [
        0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D, 0x017D, 0x8F,
        0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
    ]
}

/// Text operations done on the UTF-8 bytes of ASCII text, where they give what `Character`s give.
///
/// Outside ASCII they would differ: `Character` joins a space and a following combining mark into one
/// whitespace character, and case mapping changes lengths (`ß` → `SS`). Callers check `isASCII` or `isPlain`
/// first, or use the functions that return `nil` for other text, and fall back to `String` there.
enum ASCIIText {
    /// In ASCII text every byte is one `Character` but CR LF, which is one whitespace character: trimming and
    /// collapsing whitespace, which only ask whether characters are whitespace, can work byte by byte.
    static func isASCII(_ bytes: some Sequence<UInt8>) -> Bool {
        bytes.allSatisfy { $0 < 0x80 }
    }

    /// ASCII without a carriage return: every byte is one `Character`, for readers that count characters.
    static func isPlain(_ bytes: some Sequence<UInt8>) -> Bool {
        bytes.allSatisfy { $0 < 0x80 && $0 != UInt8(ascii: "\r") }
    }

    /// `Character.isWhitespace` for an ASCII byte: tab, line feed, vertical tab, form feed, carriage return, space.
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || (byte >= 0x09 && byte <= 0x0D)
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    static func isLetter(_ byte: UInt8) -> Bool {
        (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
    }

    /// `ImportText.trimmed` for ASCII bytes.
    static func trimmed<Bytes: BidirectionalCollection<UInt8>>(_ bytes: Bytes) -> Bytes.SubSequence {
        guard let first = bytes.firstIndex(where: { !isWhitespace($0) }),
              let last = bytes.lastIndex(where: { !isWhitespace($0) }) else { return bytes[bytes.endIndex...] }
        return bytes[first...last]
    }

    /// `ImportText.collapsingWhitespace`, or `nil` when the bytes are not ASCII.
    static func collapsingWhitespace(_ bytes: some Collection<UInt8>) -> String? {
        var isASCII = true
        let text = String(unsafeUninitializedCapacity: bytes.count) { buffer in
            var count = 0
            var pendingSpace = false
            for byte in bytes {
                guard byte < 0x80 else {
                    isASCII = false
                    return 0
                }
                if isWhitespace(byte) {
                    pendingSpace = count > 0
                } else {
                    if pendingSpace {
                        buffer[count] = UInt8(ascii: " ")
                        count += 1
                        pendingSpace = false
                    }
                    buffer[count] = byte
                    count += 1
                }
            }
            return count
        }
        return isASCII ? text : nil
    }
}
