import Foundation

/// An instant written as RFC 3339 in UTC to the second, `2024-05-01T09:30:00Z`: how the API writes
/// every timestamp; live events write theirs to the millisecond, `2024-05-01T09:30:00.250Z`. Written
/// and read by hand: a page of transactions holds a hundred of them, and a general ISO 8601
/// formatter costs more than the rest of the page's encoding (an event stream's, 8% of a server's CPU).
public enum InstantText {
    /// `date` to the second (earlier fractions dropped), or with `milliseconds` to the nearest
    /// millisecond; nil outside years 1583...9999 (before 1583, Foundation's writers switch to the
    /// Julian calendar; a general writer keeps that).
    public static func format(_ date: Date, milliseconds: Bool = false) -> String? {
        let interval = date.timeIntervalSince1970
        guard interval.isFinite, abs(interval) < 1e12 else { return nil }
        // In whole milliseconds first, so that 0.9996 s is written 00:00:01.000, not 00:00:00.1000.
        let millis = milliseconds ? Int((interval * 1000).rounded()) : Int(interval.rounded(.down)) * 1000
        let whole = millis >= 0 ? millis / 1000 : -((-millis + 999) / 1000)
        let fraction = millis - whole * 1000
        let days = whole >= 0 ? whole / 86_400 : -((-whole + 86_399) / 86_400)
        let time = whole - days * 86_400
        let day = LocalDate(daysSinceEpoch: days)
        guard (1583...9999).contains(day.year) else { return nil }
        var bytes = [UInt8](repeating: 0, count: milliseconds ? 24 : 20)
        func put(_ value: Int, _ width: Int, at offset: Int) {
            var value = value
            for index in stride(from: offset + width - 1, through: offset, by: -1) {
                bytes[index] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
            }
        }
        put(day.year, 4, at: 0)
        bytes[4] = UInt8(ascii: "-")
        put(day.month, 2, at: 5)
        bytes[7] = UInt8(ascii: "-")
        put(day.day, 2, at: 8)
        bytes[10] = UInt8(ascii: "T")
        put(time / 3600, 2, at: 11)
        bytes[13] = UInt8(ascii: ":")
        put(time / 60 % 60, 2, at: 14)
        bytes[16] = UInt8(ascii: ":")
        put(time % 60, 2, at: 17)
        if milliseconds {
            bytes[19] = UInt8(ascii: ".")
            put(fraction, 3, at: 20)
        }
        bytes[bytes.count - 1] = UInt8(ascii: "Z")
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Reads exactly the form `format` writes (with `milliseconds`, the form with three digits of
    /// fraction); nil for anything else, years before 1583 included (a caller may try a general parser).
    public static func parse(_ text: String, milliseconds: Bool = false) -> Date? {
        let bytes = Array(text.utf8)
        let length = milliseconds ? 24 : 20
        guard bytes.count == length, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"), bytes[length - 1] == UInt8(ascii: "Z"),
              !milliseconds || bytes[19] == UInt8(ascii: ".") else { return nil }
        func number(_ offset: Int, _ width: Int) -> Int? {
            var value = 0
            for byte in bytes[offset..<offset + width] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0, 4), let month = number(5, 2), let dayOfMonth = number(8, 2),
              let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
              hour < 24, minute < 60, second < 60,
              year >= 1583, let day = LocalDate(year: year, month: month, day: dayOfMonth) else { return nil }
        let seconds = day.daysSinceEpoch * 86_400 + hour * 3600 + minute * 60 + second
        guard milliseconds else { return Date(timeIntervalSince1970: TimeInterval(seconds)) }
        guard let fraction = number(20, 3) else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(seconds * 1000 + fraction) / 1000)
    }
}
