import FinanceCore
import Foundation
import OpenAPIRuntime

/// How the API writes and reads `date-time` values: RFC 3339 in UTC to the second (`InstantText`),
/// with OpenAPI's general ISO 8601 transcoder for any other form a client sends.
struct TimestampTranscoder: DateTranscoder {
    private let general = ISO8601DateTranscoder()

    func encode(_ date: Date) throws -> String {
        try InstantText.format(date) ?? general.encode(date)
    }

    func decode(_ text: String) throws -> Date {
        try InstantText.parse(text) ?? general.decode(text)
    }
}
