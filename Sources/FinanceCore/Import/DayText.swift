/// Reading the days written in statement files.
enum DayText {
    enum Reading {
        case day(LocalDate)
        /// Not written in the expected form.
        case malformed
        /// In the expected form, but no such day exists, like 2024-02-30.
        case impossible
    }

    static func read(_ text: String, format: CSVDateFormat) -> Reading {
        switch format {
        case .iso:
            let parts = text.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
                  let year = number(parts[0]), let month = number(parts[1]), let day = number(parts[2]) else { return .malformed }
            return reading(year: year, month: month, day: day)
        case .dayMonthYear, .monthDayYear:
            // The separator is whichever of / . - comes first, and it must be the same both times.
            guard let separator = text.first(where: { $0 == "/" || $0 == "." || $0 == "-" }) else { return .malformed }
            let parts = text.split(separator: separator, omittingEmptySubsequences: false)
            guard parts.count == 3, (1...2).contains(parts[0].count), (1...2).contains(parts[1].count), parts[2].count == 4,
                  let first = number(parts[0]), let second = number(parts[1]), let year = number(parts[2]) else { return .malformed }
            return format == .dayMonthYear
                ? reading(year: year, month: second, day: first)
                : reading(year: year, month: first, day: second)
        }
    }

    /// An OFX date-time: `YYYYMMDD`, optionally followed by `HHMMSS`, `.XXX` milliseconds and a `[-5:EST]` zone.
    /// The calendar day is taken as written: a bank books a transaction on the day it says, whatever the zone.
    static func readOFX(_ text: String) -> Reading {
        let scalars = Array(text.unicodeScalars)
        guard scalars.count >= 8, let year = number(scalars[0..<4]), let month = number(scalars[4..<6]),
              let day = number(scalars[6..<8]), isTimeAndZone(scalars[8...]) else { return .malformed }
        return reading(year: year, month: month, day: day)
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

    /// `HH`, `HHMM` or `HHMMSS`, then optionally `.` and fraction digits, then optionally a bracketed zone.
    private static func isTimeAndZone(_ rest: ArraySlice<Unicode.Scalar>) -> Bool {
        var rest = rest
        let timeDigits = rest.prefix(while: isDigit).count
        guard [0, 2, 4, 6].contains(timeDigits) else { return false }
        rest = rest.dropFirst(timeDigits)
        if rest.first == ".", timeDigits == 6 {
            let fraction = rest.dropFirst().prefix(while: isDigit).count
            guard fraction > 0 else { return false }
            rest = rest.dropFirst(1 + fraction)
        }
        rest = rest.drop(while: { $0 == " " })
        if rest.isEmpty { return true }
        return rest.first == "[" && rest.last == "]" && !rest.dropFirst().dropLast().contains("]")
    }

    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool {
        scalar >= "0" && scalar <= "9"
    }

    private static func number(_ text: Substring) -> Int? {
        number(ArraySlice(text.unicodeScalars))
    }

    private static func number(_ scalars: ArraySlice<Unicode.Scalar>) -> Int? {
        guard !scalars.isEmpty, scalars.allSatisfy(isDigit) else { return nil }
        return scalars.reduce(0) { $0 * 10 + Int($1.value - 48) }
    }
}
