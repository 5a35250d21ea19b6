@testable import App
import Foundation
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
    @Test("Lines logged from many threads at once all reach the output, each thread's in its order, by the time flush returns")
    func outputKeepsEveryLine() async throws {
        let pipe = Pipe()
        let output = LogOutput(fileDescriptor: pipe.fileHandleForWriting.fileDescriptor)
        let threads = 8, lines = 500
        await withTaskGroup(of: Void.self) { group in
            for thread in 0..<threads {
                group.addTask { for line in 0..<lines { output.write("t\(thread) \(line)\n") } }
            }
        }
        output.flush()
        try pipe.fileHandleForWriting.close()
        let text = String(decoding: try pipe.fileHandleForReading.readToEnd() ?? Data(), as: UTF8.self)
        let written = text.split(separator: "\n").map(String.init)
        #expect(written.count == threads * lines)
        for thread in 0..<threads {
            let mine = written.filter { $0.hasPrefix("t\(thread) ") }
            #expect(mine == (0..<lines).map { "t\(thread) \($0)" }, "thread \(thread)")
        }
    }
}
