/// Reading the days written in statement files.
///
/// Days are read from UTF-8 bytes. Every form accepted is ASCII digits and separators, so any other byte
/// makes a day malformed, exactly as it would when read character by character.
enum DayText {
    enum Reading {
        case day(LocalDate)
        /// Not written in the expected form.
        case malformed
        /// In the expected form, but no such day exists, like 2024-02-30.
        case impossible
    }

    static func read(_ text: String, format: CSVDateFormat) -> Reading {
        var text = text
        return text.withUTF8 { read($0, format: format) }
    }

    private static func read(_ text: UnsafeBufferPointer<UInt8>, format: CSVDateFormat) -> Reading {
        switch format {
        case .iso:
            guard let (year, month, day) = numbers(text, separator: UInt8(ascii: "-"), lengths: 4...4, 2...2, 2...2) else { return .malformed }
            return reading(year: year, month: month, day: day)
        case .dayMonthYear, .monthDayYear:
            // The separator is whichever of / . - comes first, and it must be the same both times.
            guard let separator = text.first(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }),
                  let (first, second, year) = numbers(text, separator: separator, lengths: 1...2, 1...2, 4...4) else { return .malformed }
            return format == .dayMonthYear
                ? reading(year: year, month: second, day: first)
                : reading(year: year, month: first, day: second)
        }
    }

    /// An OFX date-time: `YYYYMMDD`, optionally followed by `HHMMSS`, `.XXX` milliseconds and a `[-5:EST]` zone.
    /// The calendar day is taken as written: a bank books a transaction on the day it says, whatever the zone.
    static func readOFX(_ text: String) -> Reading {
        var text = text
        return text.withUTF8 { bytes in
            guard bytes.count >= 8 else { return .malformed }
            var year = 0, month = 0, day = 0
            for (offset, byte) in bytes.prefix(8).enumerated() {
                guard ASCIIText.isDigit(byte) else { return .malformed }
                let digit = Int(byte - UInt8(ascii: "0"))
                switch offset {
                case 0..<4: year = year * 10 + digit
                case 4..<6: month = month * 10 + digit
                default: day = day * 10 + digit
                }
            }
            guard isTimeAndZone(bytes.dropFirst(8)) else { return .malformed }
            return reading(year: year, month: month, day: day)
        }
    }

    /// Describes the form `read(_:format:)` expects, for messages.
    static func pattern(_ format: CSVDateFormat) -> String {
        switch format {
        case .iso: "YYYY-MM-DD"
        case .dayMonthYear: "DD.MM.YYYY, DD/MM/YYYY or DD-MM-YYYY"
        case .monthDayYear: "MM/DD/YYYY"
        }
    }

    private static func reading(year: Int, month: Int, day: Int) -> Reading {
        guard year >= 1 else { return .malformed }
        return LocalDate(year: year, month: month, day: day).map(Reading.day) ?? .impossible
    }

    /// The three numbers of a text made of exactly three runs of digits between two `separator`s, each run
    /// as long as its range allows; `nil` for anything else.
    private static func numbers(
        _ text: UnsafeBufferPointer<UInt8>, separator: UInt8,
        lengths first: ClosedRange<Int>, _ second: ClosedRange<Int>, _ third: ClosedRange<Int>
    ) -> (Int, Int, Int)? {
        var numbers = (0, 0, 0)
        var part = 0
        var length = 0
        for byte in text {
            if byte == separator {
                guard part < 2, (part == 0 ? first : second).contains(length) else { return nil }
                part += 1
                length = 0
            } else {
                // No run may be longer than four digits, which also keeps the number from overflowing.
                guard ASCIIText.isDigit(byte), length < 4 else { return nil }
                let digit = Int(byte - UInt8(ascii: "0"))
                switch part {
                case 0: numbers.0 = numbers.0 * 10 + digit
                case 1: numbers.1 = numbers.1 * 10 + digit
                default: numbers.2 = numbers.2 * 10 + digit
                }
                length += 1
            }
        }
        guard part == 2, third.contains(length) else { return nil }
        return numbers
    }

    /// `HH`, `HHMM` or `HHMMSS`, then optionally `.` and fraction digits, then optionally a bracketed zone.
    private static func isTimeAndZone(_ rest: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        var rest = rest
        let timeDigits = rest.prefix(while: ASCIIText.isDigit).count
        guard [0, 2, 4, 6].contains(timeDigits) else { return false }
        rest = rest.dropFirst(timeDigits)
        if rest.first == UInt8(ascii: "."), timeDigits == 6 {
            let fraction = rest.dropFirst().prefix(while: ASCIIText.isDigit).count
            guard fraction > 0 else { return false }
            rest = rest.dropFirst(1 + fraction)
        }
        rest = rest.drop(while: { $0 == UInt8(ascii: " ") })
        if rest.isEmpty { return true }
        return rest.first == UInt8(ascii: "[") && rest.last == UInt8(ascii: "]") && !rest.dropFirst().dropLast().contains(UInt8(ascii: "]"))
    }
}
