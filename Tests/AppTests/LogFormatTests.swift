@testable import App
import Logging
import Testing

@Suite("Log lines")
struct LogFormatTests {
    @Test("A line has the level, the message, the metadata sorted by key, and the place at debug")
    func format() {
        #expect(LineLogHandler.format(level: .info, message: "GET /api/v1/accounts", metadata: [:], location: nil)
            == "[ INFO ] GET /api/v1/accounts\n")
        #expect(LineLogHandler.format(level: .warning, message: "slow", metadata: ["request-id": "r1", "method": "GET"], location: nil)
            == "[ WARNING ] slow [method: GET, request-id: r1]\n")
        #expect(LineLogHandler.format(level: .debug, message: "x", metadata: [:], location: "a.swift:3")
            == "[ DEBUG ] x (a.swift:3)\n")
    }

    @Test("Metadata set on the logger is kept per logger, and the level filters")
    func handlerState() {
        var first = Logger(label: "a") { _ in LineLogHandler(level: .notice) }
        first[metadataKey: "request-id"] = "r1"
        let second = first
        first[metadataKey: "request-id"] = "r2"
        #expect(second[metadataKey: "request-id"] == "r1")
        #expect(first[metadataKey: "request-id"] == "r2")
        #expect(first.logLevel == .notice)
    }
}
