import Foundation
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int { Glibc.write(descriptor, bytes, count) }
#elseif canImport(Darwin)
import Darwin
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int { Darwin.write(descriptor, bytes, count) }
#endif

/// Where log lines go: a file descriptor (standard output for the server), written by a thread of
/// its own. A line is appended to a buffer under a lock and the caller goes on; the thread writes
/// whatever has gathered in one `write`, in the order it came. The server logs every request: one
/// write call per line, on the event loop that served it, cost about 8% of the mixed load's
/// throughput (`finance bench load`, 947 against 1,030 requests a second without request lines),
/// and woke whatever reads the output once per line.
///
/// `flush()` writes what is pending before the caller goes on; the process calls it when it exits
/// (`exit` runs it), so that no line logged before is lost. A process killed outright loses the
/// lines of its last moments, which had not reached the file yet.
public final class LogOutput: @unchecked Sendable {
    public static let standardOutput = LogOutput(fileDescriptor: 1)

    private let fileDescriptor: Int32
    /// The lines not yet written; its value is whether there are any.
    private let pending = ConditionLock(value: false)
    private var buffer: [UInt8] = []
    /// Held by whoever writes to the file (this thread, or `flush`), taken before `pending`: lines
    /// reach the file in the order they were logged.
    private let writing = NIOLock()

    public init(fileDescriptor: Int32) {
        self.fileDescriptor = fileDescriptor
        buffer.reserveCapacity(64 * 1024)
        // The thread holds this output for as long as the process runs.
        let thread = Thread {
            while true {
                self.pending.lock(whenValue: true)
                self.pending.unlock(withValue: true)
                self.writePending()
            }
        }
        thread.name = "log-output"
        thread.start()
        if fileDescriptor == 1 { atexit { LogOutput.standardOutput.flush() } }
    }

    /// Appends `text` to what the thread writes next.
    public func write(_ text: String) {
        pending.lock()
        buffer.append(contentsOf: text.utf8)
        pending.unlock(withValue: true)
    }

    /// Writes every line logged before it, then returns.
    public func flush() {
        writePending()
    }

    private func writePending() {
        writing.withLock {
            pending.lock()
            var bytes: [UInt8] = []
            swap(&bytes, &buffer)
            buffer.reserveCapacity(bytes.capacity)
            pending.unlock(withValue: false)
            bytes.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let written = systemWrite(fileDescriptor, raw.baseAddress! + offset, raw.count - offset)
                    if written > 0 {
                        offset += written
                    } else if written < 0, errno == EINTR {
                        continue
                    } else {
                        return // the output is gone (closed pipe): nothing left to do with the lines
                    }
                }
            }
        }
    }
}
