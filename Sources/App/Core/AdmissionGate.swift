import NIOConcurrencyHelpers
import NIOCore

/// Lets at most `limit` callers run at once; the others wait in line, first come first served. A
/// caller waiting here holds a suspended task and nothing else: no database request, no statement.
final class AdmissionGate: Sendable {
    let limit: Int
    private let state: NIOLockedValueBox<(running: Int, waiting: CircularBuffer<CheckedContinuation<Void, Never>>)>

    init(limit: Int) {
        precondition(limit > 0, "an admission gate must admit someone")
        self.limit = limit
        state = NIOLockedValueBox((0, CircularBuffer()))
    }

    /// Runs `body` once admitted, and lets the next caller in when it ends, however it ends.
    func run<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        await enter()
        defer { leave() }
        return try await body()
    }

    /// Callers running now and waiting now.
    var load: (running: Int, waiting: Int) {
        state.withLockedValue { ($0.running, $0.waiting.count) }
    }

    private func enter() async {
        let admitted = state.withLockedValue { state in
            guard state.running < limit, state.waiting.isEmpty else { return false }
            state.running += 1
            return true
        }
        if admitted { return }
        await withCheckedContinuation { continuation in
            let now = state.withLockedValue { state in
                // Someone may have left between the two looks.
                if state.running < limit, state.waiting.isEmpty {
                    state.running += 1
                    return true
                }
                state.waiting.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    private func leave() {
        // The place passes straight to the first in line, if any.
        let next = state.withLockedValue { state in
            guard let next = state.waiting.popFirst() else {
                state.running -= 1
                return CheckedContinuation<Void, Never>?.none
            }
            return next
        }
        next?.resume()
    }
}
