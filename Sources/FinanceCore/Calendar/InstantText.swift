import Foundation

/// An instant written as RFC 3339 in UTC to the second, `2024-05-01T09:30:00Z`: how the API writes
/// every timestamp. Written and read by hand: a page of transactions holds a hundred of them, and a
/// general ISO 8601 formatter costs more than the rest of the page's encoding.
public enum InstantText {
    /// `date` to the second (earlier fractions dropped), or nil outside years 1583...9999 (before
    /// 1583, Foundation's writers switch to the Julian calendar; a general writer keeps that).
    public static func format(_ date: Date) -> String? {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        guard seconds.isFinite, abs(seconds) < 1e12 else { return nil }
        let whole = Int(seconds)
        let days = whole >= 0 ? whole / 86_400 : -((-whole + 86_399) / 86_400)
        let time = whole - days * 86_400
        let day = LocalDate(daysSinceEpoch: days)
        guard (1583...9999).contains(day.year) else { return nil }
        var bytes = [UInt8](repeating: 0, count: 20)
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
        bytes[19] = UInt8(ascii: "Z")
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Reads exactly the form `format` writes; nil for anything else, years before 1583 included (a
    /// caller may try a general parser).
    public static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count == 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"), bytes[19] == UInt8(ascii: "Z") else { return nil }
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
        return Date(timeIntervalSince1970: TimeInterval(day.daysSinceEpoch * 86_400 + hour * 3600 + minute * 60 + second))
    }
}
