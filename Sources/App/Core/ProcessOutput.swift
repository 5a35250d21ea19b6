import Foundation

extension Process {
    /// Runs the process to its end and answers what it wrote, its output and errors together.
    func runCapturingOutput() throws -> String {
        let output = Pipe()
        standardOutput = output
        standardError = output
        try run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        waitUntilExit()
        return text
    }
}
