import Foundation

/// The process's stop signals, for commands that run until told to stop.
enum ProcessSignals {
    /// Returns at the first SIGINT or SIGTERM, which it takes over from the default handlers.
    static func untilInterrupted() async {
        let (signals, continuation) = AsyncStream<Int32>.makeStream()
        let sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
        for await _ in signals { break }
        sources.forEach { $0.cancel() }
    }
}
