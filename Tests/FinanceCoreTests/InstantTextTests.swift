import FinanceCore
import Foundation
import Testing

@Suite("Timestamps written and read by hand")
struct InstantTextTests {
    @Test("Written as Foundation's ISO 8601 style writes it, over instants from 1583 to 9999, before 1970 included")
    func matchesFoundation() throws {
        var generator = SystemRandomNumberGenerator()
        let style = Date.ISO8601FormatStyle()
        var instants: [TimeInterval] = [0, -1, 86_399, 86_400, -86_400, -86_401, 951_782_400, 4_107_542_399, -12_212_553_600, 253_402_300_799]
        for _ in 0..<5_000 { instants.append(TimeInterval(Int.random(in: -12_212_553_600...253_402_300_799, using: &generator))) }
        for seconds in instants {
            let date = Date(timeIntervalSince1970: seconds)
            let written = try #require(InstantText.format(date), "\(seconds)")
            #expect(written == date.formatted(style), "\(seconds)")
            #expect(InstantText.parse(written) == date, "\(written)")
        }
    }

    @Test("Fractions of a second are dropped, as the API has always written them")
    func fractions() {
        #expect(InstantText.format(Date(timeIntervalSince1970: 1.999)) == "1970-01-01T00:00:01Z")
        #expect(InstantText.format(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59Z")
    }

    /// Foundation's style with fractional seconds truncates the binary fraction: an instant made
    /// from 999 ms is written `.998`. The expected text is the second's (checked against Foundation
    /// above) with the intended milliseconds.
    @Test("Live events' form, to the millisecond: the second as above, then the millisecond meant, and read back")
    func milliseconds() throws {
        var generator = SystemRandomNumberGenerator()
        var instants: [Int] = [0, -1, 999, 1_000, -1_000, -1_001, 86_399_999, -86_400_001, 951_782_400_123, 253_402_300_799_999]
        for _ in 0..<5_000 { instants.append(Int.random(in: -12_212_553_600_000...253_402_300_799_999, using: &generator)) }
        for millis in instants {
            let date = Date(timeIntervalSince1970: TimeInterval(millis) / 1000)
            let written = try #require(InstantText.format(date, milliseconds: true), "\(millis)")
            let second = Int((Double(millis) / 1000).rounded(.down))
            let whole = try #require(InstantText.format(Date(timeIntervalSince1970: TimeInterval(second))))
            let fraction = String(millis - second * 1000)
            #expect(written == whole.dropLast() + "." + String(repeating: "0", count: 3 - fraction.count) + fraction + "Z", "\(millis)")
            let read = try #require(InstantText.parse(written, milliseconds: true), "\(written)")
            #expect(Int((read.timeIntervalSince1970 * 1000).rounded()) == millis, "\(written)")
        }
        // To the nearest millisecond, carried into the second.
        #expect(InstantText.format(Date(timeIntervalSince1970: 1.9996), milliseconds: true) == "1970-01-01T00:00:02.000Z")
        #expect(InstantText.format(Date(timeIntervalSince1970: -0.25), milliseconds: true) == "1969-12-31T23:59:59.750Z")
        for text in ["2024-05-01T09:30:00Z", "2024-05-01T09:30:00.12Z", "2024-05-01T09:30:00,123Z", "2024-05-01T09:30:00.1a3Z"] {
            #expect(InstantText.parse(text, milliseconds: true) == nil, "\(text)")
        }
    }

    @Test("Anything but the exact form is left to a general parser; years before 1583 or past 9999 to a general writer")
    func refusals() {
        for text in ["2024-05-01T09:30:00", "2024-05-01T09:30:00.000Z", "2024-05-01T09:30:00+00:00", "2024-02-30T09:30:00Z",
                     "2024-05-01T24:00:00Z", "2024-05-01 09:30:00Z", "２０２４-05-01T09:30:00Z", ""] {
            #expect(InstantText.parse(text) == nil, "\(text)")
        }
        #expect(InstantText.format(Date(timeIntervalSince1970: 253_402_300_800)) == nil)
        #expect(InstantText.format(Date(timeIntervalSince1970: -12_212_553_601)) == nil)
        #expect(InstantText.parse("1582-12-31T23:59:59Z") == nil)
        #expect(InstantText.format(Date(timeIntervalSince1970: .infinity)) == nil)
    }
}
