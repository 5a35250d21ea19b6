/// Why an amount in a statement file could not be read.
enum AmountTextError: Error {
    case notANumber
    case tooManyFractionDigits
    case tooLarge

    func message(for text: String, example: String) -> String {
        switch self {
        case .notANumber: "\"\(text)\" is not an amount like \(example)"
        case .tooManyFractionDigits: "\"\(text)\" has more than \(AmountFormat.scale) digits after the decimal separator"
        case .tooLarge: "\"\(text)\" is too large"
        }
    }
}

/// Reading amounts as banks write them, exactly: the digits are rearranged into a plain decimal and parsed
/// by `Amount`, never through binary floating point.
enum AmountText {
    /// An amount from a CSV cell: an optional sign before or after the number, parentheses for negative
    /// amounts as accountants write them, thousands grouping, and a currency symbol or ISO code before or after.
    static func readCSV(_ text: String, decimalSeparator: DecimalSeparator) throws(AmountTextError) -> Amount {
        var text = text
        let ascii = text.withUTF8 { bytes in
            ASCIIText.isPlain(bytes) ? readCSV(ascii: bytes, decimalSeparator: decimalSeparator) : nil
        }
        if let ascii { return try ascii.get() }
        return try readCSV(characters: Array(text), decimalSeparator: decimalSeparator)
    }

    /// `readCSV` for any text, character by character.
    private static func readCSV(characters: [Character], decimalSeparator: DecimalSeparator) throws(AmountTextError) -> Amount {
        var start = characters.startIndex
        var end = characters.endIndex
        var openParentheses = 0, closeParentheses = 0, signs = 0
        var negative = false

        func isSign(_ character: Character) -> Bool { character == "-" || character == "+" || character == "\u{2212}" }

        while start < end {
            let character = characters[start]
            if character.isWhitespace || currencySymbols.contains(character) {
                start += 1
            } else if character == "(" {
                openParentheses += 1
                start += 1
            } else if isSign(character) {
                signs += 1
                negative = character != "+"
                start += 1
            } else if let length = currencyCodeLength(characters, at: start, limit: end) {
                start += length
            } else {
                break
            }
        }
        while end > start {
            let character = characters[end - 1]
            if character.isWhitespace || currencySymbols.contains(character) {
                end -= 1
            } else if character == ")" {
                closeParentheses += 1
                end -= 1
            } else if isSign(character) {
                // Some banks write the sign after the number: "1.234,56-".
                signs += 1
                negative = character != "+"
                end -= 1
            } else if end - start >= 3, currencyCodeLength(characters, at: end - 3, limit: end) == 3 {
                end -= 3
            } else {
                break
            }
        }
        guard openParentheses == closeParentheses, openParentheses <= 1, signs <= 1,
              openParentheses + signs <= 1, start < end else { throw .notANumber }
        negative = negative || openParentheses == 1

        let decimalMark: Character = decimalSeparator == .point ? "." : ","
        let groupingMarks: Set<Character> = [decimalSeparator == .point ? "," : ".", " ", "\u{00A0}", "\u{202F}", "'", "\u{2019}"]
        let number = characters[start..<end]
        let parts = number.split(separator: decimalMark, omittingEmptySubsequences: false)
        guard parts.count <= 2 else { throw .notANumber }
        let whole = parts[0]
        let fraction = parts.count == 2 ? parts[1] : []
        guard parts.count == 1 || !fraction.isEmpty, fraction.allSatisfy(\.isASCIIDigit) else { throw .notANumber }

        // Grouped digits must be grouped in threes, so that a decimal mark of the other convention
        // ("12,34" read with a decimal point) is refused instead of read a hundred times too large.
        let groups = whole.split(omittingEmptySubsequences: false, whereSeparator: groupingMarks.contains)
        for (index, group) in groups.enumerated() {
            let validLength = index == 0 ? (groups.count == 1 || (1...3).contains(group.count)) : group.count == 3
            guard validLength, group.allSatisfy(\.isASCIIDigit) else { throw .notANumber }
        }

        let digits = groups.joined()
        let plain = (negative ? "-" : "") + (digits.isEmpty ? "0" : String(digits)) + (fraction.isEmpty ? "" : "." + String(fraction))
        return try amount(plain)
    }

    /// An OFX amount: an optional sign, digits and a decimal point or, as the OFX specification also allows,
    /// a decimal comma. No grouping.
    static func readOFX(_ text: String) throws(AmountTextError) -> Amount {
        var text = text
        let ascii = text.withUTF8 { bytes in ASCIIText.isPlain(bytes) ? readOFX(ascii: bytes) : nil }
        if let ascii { return try ascii.get() }

        var body = Substring(text)
        var sign = ""
        if let first = body.first, first == "-" || first == "+" {
            sign = String(first)
            body = body.dropFirst()
        }
        var plain = String(body)
        if !plain.contains("."), plain.filter({ $0 == "," }).count == 1 {
            plain = plain.replacing(",", with: ".")
        }
        if plain.first == "." { plain = "0" + plain }
        return try amount(sign + plain)
    }

    private static func amount(_ plain: String) throws(AmountTextError) -> Amount {
        do {
            return try Amount(parsing: plain)
        } catch {
            switch error {
            case .tooManyFractionDigits: throw .tooManyFractionDigits
            case .outOfRange: throw .tooLarge
            case .empty, .invalidCharacter: throw .notANumber
            }
        }
    }

    /// `readCSV` for plain ASCII text, read from its bytes: the same steps, without building characters or strings.
    private static func readCSV(ascii characters: UnsafeBufferPointer<UInt8>, decimalSeparator: DecimalSeparator) -> Result<Amount, AmountTextError> {
        var start = 0
        var end = characters.count
        var openParentheses = 0, closeParentheses = 0, signs = 0
        var negative = false

        func isSign(_ byte: UInt8) -> Bool { byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+") }
        // The one currency symbol in ASCII.
        func isSkipped(_ byte: UInt8) -> Bool { ASCIIText.isWhitespace(byte) || byte == UInt8(ascii: "$") }

        while start < end {
            let byte = characters[start]
            if isSkipped(byte) {
                start += 1
            } else if byte == UInt8(ascii: "(") {
                openParentheses += 1
                start += 1
            } else if isSign(byte) {
                signs += 1
                negative = byte != UInt8(ascii: "+")
                start += 1
            } else if let length = currencyCodeLength(characters, at: start, limit: end) {
                start += length
            } else {
                break
            }
        }
        while end > start {
            let byte = characters[end - 1]
            if isSkipped(byte) {
                end -= 1
            } else if byte == UInt8(ascii: ")") {
                closeParentheses += 1
                end -= 1
            } else if isSign(byte) {
                signs += 1
                negative = byte != UInt8(ascii: "+")
                end -= 1
            } else if end - start >= 3, currencyCodeLength(characters, at: end - 3, limit: end) == 3 {
                end -= 3
            } else {
                break
            }
        }
        guard openParentheses == closeParentheses, openParentheses <= 1, signs <= 1,
              openParentheses + signs <= 1, start < end else { return .failure(.notANumber) }
        negative = negative || openParentheses == 1

        let decimalMark = decimalSeparator == .point ? UInt8(ascii: ".") : UInt8(ascii: ",")
        let otherMark = decimalSeparator == .point ? UInt8(ascii: ",") : UInt8(ascii: ".")
        func isGroupingMark(_ byte: UInt8) -> Bool { byte == otherMark || byte == UInt8(ascii: " ") || byte == UInt8(ascii: "'") }

        // The whole part, up to a single decimal mark, and a fraction of digits after it.
        let number = characters[start..<end]
        let mark = number.firstIndex(of: decimalMark)
        let whole = number[..<(mark ?? end)]
        let fraction = mark.map { number[($0 + 1)...] } ?? number[end...]
        guard mark == nil || !fraction.isEmpty, fraction.allSatisfy(ASCIIText.isDigit) else { return .failure(.notANumber) }

        // Grouped digits must be grouped in threes, as in `readCSV(characters:)`.
        let isGrouped = whole.contains(where: isGroupingMark)
        var groupIndex = 0, groupLength = 0
        for byte in whole {
            if isGroupingMark(byte) {
                guard groupIndex == 0 ? (1...3).contains(groupLength) : groupLength == 3 else { return .failure(.notANumber) }
                groupIndex += 1
                groupLength = 0
            } else {
                guard ASCIIText.isDigit(byte) else { return .failure(.notANumber) }
                groupLength += 1
            }
        }
        guard !isGrouped || groupLength == 3 else { return .failure(.notANumber) }

        // The digits as `Amount(parsing:)` would read "-digits.fraction", with "0" for no whole digits.
        var parser = DecimalParser()
        do {
            if whole.contains(where: ASCIIText.isDigit) {
                for byte in whole where !isGroupingMark(byte) { try parser.add(byte) }
            } else {
                try parser.add(UInt8(ascii: "0"))
            }
            if !fraction.isEmpty {
                try parser.add(UInt8(ascii: "."))
                for byte in fraction { try parser.add(byte) }
            }
            return .success(try parser.amount(negative: negative))
        } catch {
            return .failure(error)
        }
    }

    /// `readOFX` for plain ASCII text, read from its bytes.
    private static func readOFX(ascii bytes: UnsafeBufferPointer<UInt8>) -> Result<Amount, AmountTextError> {
        var body = bytes[...]
        var negative = false
        if let first = body.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            body = body.dropFirst()
        }
        // A lone decimal comma stands for the point; a leading point gets a zero before it.
        let commaIsPoint = !body.contains(UInt8(ascii: ".")) && body.count(where: { $0 == UInt8(ascii: ",") }) == 1
        var parser = DecimalParser()
        do {
            if body.first == UInt8(ascii: ".") || (commaIsPoint && body.first == UInt8(ascii: ",")) {
                try parser.add(UInt8(ascii: "0"))
            }
            for byte in body {
                try parser.add(commaIsPoint && byte == UInt8(ascii: ",") ? UInt8(ascii: ".") : byte)
            }
            return .success(try parser.amount(negative: negative))
        } catch {
            return .failure(error)
        }
    }

    /// `Amount(parsing:)` of a plain decimal, fed one byte at a time after its sign, so that a number can be read
    /// without first being written out. Every check is made at the same byte, so the same error comes first.
    private struct DecimalParser {
        private var units: Int64 = 0
        private var sawDigit = false
        private var inFraction = false
        private var fractionDigits = 0
        private var last: UInt8?

        mutating func add(_ byte: UInt8) throws(AmountTextError) {
            last = byte
            if byte == UInt8(ascii: ".") {
                guard !inFraction, sawDigit else { throw .notANumber }
                inFraction = true
                return
            }
            guard ASCIIText.isDigit(byte) else { throw .notANumber }
            sawDigit = true
            if inFraction {
                fractionDigits += 1
                // Trailing zeros beyond the scale are harmless; any other digit would be lost.
                if fractionDigits > AmountFormat.scale {
                    guard byte == UInt8(ascii: "0") else { throw .tooManyFractionDigits }
                    return
                }
            }
            try shift(adding: Int64(byte - UInt8(ascii: "0")))
        }

        func amount(negative: Bool) throws(AmountTextError) -> Amount {
            guard sawDigit, last != UInt8(ascii: ".") else { throw .notANumber }
            var parser = self
            for _ in min(fractionDigits, AmountFormat.scale)..<AmountFormat.scale {
                try parser.shift(adding: 0)
            }
            guard let amount = Amount(units: negative ? -parser.units : parser.units) else { throw .tooLarge }
            return amount
        }

        private mutating func shift(adding digit: Int64) throws(AmountTextError) {
            let (shifted, overflow) = units.multipliedReportingOverflow(by: 10)
            let (added, carry) = shifted.addingReportingOverflow(digit)
            guard !overflow, !carry, added <= AmountText.maxUnits else { throw .tooLarge }
            units = added
        }
    }

    /// Kept once: `Amount.maxUnits` is computed on every use.
    private static let maxUnits = Amount.maxUnits

    private static let currencySymbols: Set<Character> = ["$", "€", "£", "¥", "₹", "₩", "₽", "₺", "₪", "₫", "₱", "₦", "฿", "¢"]

    /// `currencyCodeLength` for ASCII bytes.
    private static func currencyCodeLength(_ characters: UnsafeBufferPointer<UInt8>, at index: Int, limit: Int) -> Int? {
        guard index + 3 <= limit else { return nil }
        let letters = characters[index..<index + 3]
        guard letters.allSatisfy({ $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }),
              CurrencyCode(String(decoding: letters, as: UTF8.self)) != nil else { return nil }
        if index + 3 < limit, ASCIIText.isLetter(characters[index + 3]) { return nil }
        if index > 0, ASCIIText.isLetter(characters[index - 1]) { return nil }
        return 3
    }

    /// 3 when the characters at `index` are an ISO 4217 code standing alone (`EUR`, not the start of `EURO`).
    private static func currencyCodeLength(_ characters: [Character], at index: Int, limit: Int) -> Int? {
        guard index + 3 <= limit else { return nil }
        let letters = characters[index..<index + 3]
        guard letters.allSatisfy({ $0.isASCII && $0.isUppercase }), CurrencyCode(String(letters)) != nil else { return nil }
        if index + 3 < limit, characters[index + 3].isLetter { return nil }
        if index > 0, characters[index - 1].isLetter { return nil }
        return 3
    }
}

private extension Character {
    var isASCIIDigit: Bool { isASCII && isWholeNumber }
}
