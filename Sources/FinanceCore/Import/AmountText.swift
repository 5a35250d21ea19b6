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
        let characters = Array(text)
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

    private static let currencySymbols: Set<Character> = ["$", "€", "£", "¥", "₹", "₩", "₽", "₺", "₪", "₫", "₱", "₦", "฿", "¢"]

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
