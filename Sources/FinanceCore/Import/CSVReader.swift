/// One CSV record: the fields of a row, and the physical line it starts on.
struct CSVRecord {
    let line: Int
    let fields: [String]
}

/// Splits CSV text into records as RFC 4180 describes, and reads what banks write beyond it:
/// LF, CRLF or lone CR line ends, `;` and tab delimiters, blank lines, and quotes inside unquoted fields.
enum CSVReader {
    struct Contents {
        /// Records with at least one non-blank or quoted field, in file order.
        var records: [CSVRecord]
        /// The line of a quoted field that the file ends inside, if any; the record it starts is left out.
        var unclosedQuoteLine: Int?
    }

    static func read(_ text: Substring, delimiter: Unicode.Scalar) -> Contents {
        let scalars = Array(text.unicodeScalars)
        var records: [CSVRecord] = []
        var fields: [String] = []
        var field = String.UnicodeScalarView()
        var fieldIsQuoted = false
        var recordHasQuotedField = false
        var inQuotes = false
        var line = 1
        var recordLine = 1
        var index = 0

        func endField() {
            fields.append(String(field))
            field = String.UnicodeScalarView()
            fieldIsQuoted = false
        }
        func endRecord() {
            endField()
            // A line of nothing but spaces and delimiters carries no data: exports use them as separators.
            if recordHasQuotedField || fields.contains(where: { !ImportText.isBlank($0) }) {
                records.append(CSVRecord(line: recordLine, fields: fields))
            }
            fields = []
            recordHasQuotedField = false
        }

        while index < scalars.count {
            let scalar = scalars[index]
            let isLineBreak = scalar == "\n" || scalar == "\r"
            let lineBreakLength = scalar == "\r" && index + 1 < scalars.count && scalars[index + 1] == "\n" ? 2 : 1

            if inQuotes {
                if scalar == "\"" {
                    if index + 1 < scalars.count, scalars[index + 1] == "\"" {
                        field.append("\"")
                        index += 2
                    } else {
                        inQuotes = false
                        index += 1
                    }
                } else if isLineBreak {
                    field.append("\n")
                    line += 1
                    index += lineBreakLength
                } else {
                    field.append(scalar)
                    index += 1
                }
                continue
            }

            if scalar == "\"", !fieldIsQuoted, field.allSatisfy({ $0 == " " }) {
                // Spaces before an opening quote are a common hand-editing artifact, not part of the value.
                field = String.UnicodeScalarView()
                inQuotes = true
                fieldIsQuoted = true
                recordHasQuotedField = true
                index += 1
            } else if scalar == delimiter {
                endField()
                index += 1
            } else if isLineBreak {
                endRecord()
                line += 1
                recordLine = line
                index += lineBreakLength
            } else {
                field.append(scalar)
                index += 1
            }
        }

        if inQuotes {
            return Contents(records: records, unclosedQuoteLine: recordLine)
        }
        endRecord()
        return Contents(records: records, unclosedQuoteLine: nil)
    }

    /// The delimiter that occurs most often, outside quotes, in the first non-blank line. On a tie `;` wins,
    /// then tab: files separated by `;` write decimal commas, which add to the count of `,`.
    static func detectDelimiter(_ text: Substring) -> Unicode.Scalar {
        let candidates: [Unicode.Scalar] = [";", "\t", ","]
        var counts: [Unicode.Scalar: Int] = [:]
        var inQuotes = false
        var lineHasContent = false
        for scalar in text.unicodeScalars {
            if scalar == "\"" {
                inQuotes.toggle()
                lineHasContent = true
            } else if !inQuotes, scalar == "\n" || scalar == "\r" {
                if lineHasContent { break }
            } else if !inQuotes, candidates.contains(scalar) {
                counts[scalar, default: 0] += 1
                lineHasContent = true
            } else if !inQuotes, scalar != " " {
                lineHasContent = true
            }
        }
        let best = candidates.max { counts[$0, default: 0] < counts[$1, default: 0] }
        return best.flatMap { counts[$0, default: 0] > 0 ? $0 : nil } ?? ","
    }
}
