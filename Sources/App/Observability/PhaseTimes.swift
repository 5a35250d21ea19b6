import Foundation
import NIOConcurrencyHelpers

/// Where a long piece of work spends its time, phase by phase, for the benchmarks to print. Work marks
/// the end of each phase with `PhaseTimes.mark(_:)`; outside `PhaseTimes.measuring` a mark costs one
/// task-local read and records nothing.
final class PhaseTimes: Sendable {
    @TaskLocal static var current: PhaseTimes?

    private let state: NIOLockedValueBox<(last: ContinuousClock.Instant, phases: [(String, Duration)])>

    init() {
        state = NIOLockedValueBox((ContinuousClock.now, []))
    }

    /// Ends the phase running since the previous mark (or since the start), naming it `name`.
    static func mark(_ name: String) {
        guard let current else { return }
        let now = ContinuousClock.now
        current.state.withLockedValue { state in
            state.phases.append((name, now - state.last))
            state.last = now
        }
    }

    /// The phases in order, a phase marked more than once summed under its first position.
    var phases: [(name: String, duration: Duration)] {
        state.withLockedValue { state in
            var order: [String] = []
            var sums: [String: Duration] = [:]
            for (name, duration) in state.phases {
                if sums[name] == nil { order.append(name) }
                sums[name, default: .zero] += duration
            }
            return order.map { ($0, sums[$0]!) }
        }
    }

    /// Runs `body` with its marks recorded here; `adding` keeps what earlier runs recorded (one
    /// run after another, never two at once).
    static func measuring<T>(_ times: PhaseTimes, adding: Bool = false, _ body: () async throws -> T) async rethrows -> T {
        times.state.withLockedValue { $0 = (ContinuousClock.now, adding ? $0.phases : []) }
        return try await $current.withValue(times) { try await body() }
    }
}
