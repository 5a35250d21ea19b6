/// Text handling shared by the CSV and OFX readers.
enum ImportText {
    /// Bytes as text: UTF-8 when they are valid UTF-8, otherwise Windows-1252, the encoding banks' exports
    /// use when they are not UTF-8 (OFX 1.x files declare `CHARSET:1252`; many European CSVs are Latin-1,
    /// which Windows-1252 contains).
    static func decode(_ bytes: [UInt8]) -> String {
        var scalars = String.UnicodeScalarView()
        scalars.reserveCapacity(bytes.count)
        var iterator = bytes.makeIterator()
        var utf8 = UTF8()
        while true {
            switch utf8.decode(&iterator) {
            case .scalarValue(let scalar):
                scalars.append(scalar)
            case .emptyInput:
                return String(scalars)
            case .error:
                return String(String.UnicodeScalarView(bytes.map(windows1252)))
            }
        }
    }

    /// The text without a leading UTF-8 byte order mark, which spreadsheet programs put in front of CSV exports.
    static func droppingByteOrderMark(_ text: some StringProtocol) -> Substring {
        let scalars = Substring(text).unicodeScalars
        return scalars.first == "\u{FEFF}" ? Substring(scalars.dropFirst()) : Substring(text)
    }

    static func trimmed(_ text: some StringProtocol) -> String {
        guard let first = text.firstIndex(where: { !$0.isWhitespace }),
              let last = text.lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return String(text[first...last])
    }

    /// Trimmed, with every run of spaces, tabs and line breaks made one space: descriptions are one-line labels,
    /// and banks pad them with runs of spaces.
    static func collapsingWhitespace(_ text: some StringProtocol) -> String {
        text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
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
