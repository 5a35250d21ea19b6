import Foundation
import Logging

/// The server's log lines, one per message on standard output, in the console logger's format:
/// `[ LEVEL ] message [key: value, …]`, with the source location at debug and trace.
///
/// Vapor creates three loggers for every request (the request's, its parameters' and its storage's)
/// and one for every response. Its console logger builds a tree of formatting fragments each time,
/// about 400 bytes a logger, held as long as the request: a quarter of what an open event stream
/// cost. This handler is three words and a dictionary, and formats only when it writes; its lines
/// go out through `LogOutput`, which writes them from a thread of its own.
public struct LineLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    public init(level: Logger.Level) {
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?,
                    source: String, file: String, function: String, line: UInt) {
        let text = Self.format(level: level, message: message, metadata: merged(explicit),
                               location: level <= .debug ? "\(file):\(line)" : nil)
        LogOutput.standardOutput.write(text)
    }

    /// The handler's metadata, the provider's, then the message's own: later ones win.
    private func merged(_ explicit: Logger.Metadata?) -> Logger.Metadata {
        var all = metadata
        if let provided = metadataProvider?.get(), !provided.isEmpty { all.merge(provided) { $1 } }
        if let explicit, !explicit.isEmpty { all.merge(explicit) { $1 } }
        return all
    }

    /// One line, ending in a newline; metadata sorted by key so that lines compare.
    static func format(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata, location: String?) -> String {
        var text = "[ \(level.rawValue.uppercased()) ] \(message)"
        if !metadata.isEmpty {
            text += " [" + metadata.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "]"
        }
        if let location { text += " (\(location))" }
        return text + "\n"
    }
}
