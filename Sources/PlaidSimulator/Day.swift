import Foundation

/// A calendar day, counted in days since 1970-01-01 (UTC): cheap to add to, compare and print.
struct Day: Hashable, Comparable, Sendable {
    var number: Int

    init(_ number: Int) { self.number = number }

    /// Howard Hinnant's `days_from_civil`: exact for the proleptic Gregorian calendar.
    init(year: Int, month: Int, day: Int) {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        number = era * 146_097 + dayOfEra - 719_468
    }

    /// Parses `YYYY-MM-DD` strictly; nil for anything else or a day that does not exist.
    init?(iso text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) else { return nil }
                value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              (1...12).contains(month), (1...Day.length(year: year, month: month)).contains(day) else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// Today in UTC, by the system clock.
    static func today() -> Day { Day(Int((Date().timeIntervalSince1970 / 86_400).rounded(.down))) }

    /// Howard Hinnant's `civil_from_days`.
    var civil: (year: Int, month: Int, day: Int) {
        let z = number + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// 0 = Sunday … 6 = Saturday (1970-01-01 was a Thursday).
    var weekday: Int { ((number % 7) + 7 + 4) % 7 }

    static func length(year: Int, month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// The given day of the same month, clamped to the month's length.
    func inMonth(day: Int) -> Day {
        let (year, month, _) = civil
        return Day(year: year, month: month, day: min(day, Day.length(year: year, month: month)))
    }

    /// The first day of the month `months` after this day's month (negative: before).
    func firstOfMonth(adding months: Int) -> Day {
        let (year, month, _) = civil
        let index = year * 12 + (month - 1) + months
        let newYear = index >= 0 ? index / 12 : (index - 11) / 12
        return Day(year: newYear, month: index - newYear * 12 + 1, day: 1)
    }

    func adding(_ days: Int) -> Day { Day(number + days) }

    var iso: String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(10)
        appendISO(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    func appendISO(to bytes: inout [UInt8]) {
        let (year, month, day) = civil
        func digits(_ value: Int, _ count: Int) {
            var divisor = 1
            for _ in 1..<count { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                bytes.append(UInt8(ascii: "0") + UInt8(rest / divisor % 10))
                rest %= divisor
                divisor /= 10
            }
        }
        digits(year, 4)
        bytes.append(UInt8(ascii: "-"))
        digits(month, 2)
        bytes.append(UInt8(ascii: "-"))
        digits(day, 2)
    }

    static func < (lhs: Day, rhs: Day) -> Bool { lhs.number < rhs.number }
}

/// ISO 8601 in UTC with whole seconds (`2024-05-01T12:00:00Z`), as Plaid writes datetimes.
func isoDateTime(unixSeconds: Int) -> String {
    let day = Day(unixSeconds >= 0 ? unixSeconds / 86_400 : (unixSeconds - 86_399) / 86_400)
    let seconds = unixSeconds - day.number * 86_400
    func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
    return "\(day.iso)T\(two(seconds / 3600)):\(two(seconds / 60 % 60)):\(two(seconds % 60))Z"
}

/// The system clock in unix seconds: for what a client compares with its own clock (token expiry, webhook `iat`).
func unixNow() -> Int { Int(Date().timeIntervalSince1970) }
