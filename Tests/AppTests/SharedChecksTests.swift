@testable import App
import NIOConcurrencyHelpers
import Testing

@Suite("Shared checks", .timeLimit(.minutes(1)))
struct SharedChecksTests {
    struct Refused: Error {}

    /// A check whose rounds each read `source` when they start, then wait to be let through one by one.
    final class GatedSource: Sendable {
        let source = NIOLockedValueBox(0)
        let started = NIOLockedValueBox(0)
        /// Rounds let through and not yet ended.
        let permits = NIOLockedValueBox(0)

        func letOneThrough() { permits.withLockedValue { $0 += 1 } }

        func check() async throws -> Int {
            let value = source.withLockedValue { $0 }
            started.withLockedValue { $0 += 1 }
            while !permits.withLockedValue({ permits in
                guard permits > 0 else { return false }
                permits -= 1
                return true
            }) { await Task.yield() }
            if value < 0 { throw Refused() }
            return value
        }
    }

    @Test("Callers who arrive during a round share the next one, and each gets an answer that began after it asked")
    func callersShareTheNextRound() async throws {
        let checks = SharedChecks<String, Int>()
        let source = GatedSource()
        let first = Task { try await checks.value(for: "a", check: source.check) }
        while source.started.withLockedValue({ $0 }) < 1 { await Task.yield() }
        // Written after the first round read, before the others asked.
        source.source.withLockedValue { $0 = 7 }
        var later: [Task<Int, any Error>] = []
        for _ in 0..<50 { later.append(Task { try await checks.value(for: "a", check: source.check) }) }
        while checks.waitingCount(for: "a") < 50 { await Task.yield() }
        // Both rounds may end: the second starts once the first ends, and reads what was written before they asked.
        source.letOneThrough()
        source.letOneThrough()
        #expect(try await first.value == 0)
        for task in later { #expect(try await task.value == 7) }
        #expect(checks.roundCount == 2)
        #expect(checks.waitingCount(for: "a") == 0)
    }

    @Test("Different keys never share a round; a failure reaches its round's callers and not the next round")
    func keysAreSeparateAndFailuresPass() async throws {
        let checks = SharedChecks<String, Int>()
        let source = GatedSource()
        source.source.withLockedValue { $0 = -1 }
        let failing = Task { try await checks.value(for: "a", check: source.check) }
        while source.started.withLockedValue({ $0 }) < 1 { await Task.yield() }
        source.source.withLockedValue { $0 = 3 }
        let other = Task { try await checks.value(for: "b", check: source.check) }
        while source.started.withLockedValue({ $0 }) < 2 { await Task.yield() }
        #expect(checks.waitingCount(for: "a") == 0 && checks.waitingCount(for: "b") == 0)
        source.letOneThrough()
        source.letOneThrough()
        await #expect(throws: Refused.self) { try await failing.value }
        #expect(try await other.value == 3)
        // The next caller of the failed key starts a fresh round.
        source.letOneThrough()
        #expect(try await checks.value(for: "a", check: source.check) == 3)
        #expect(checks.roundCount == 3)
    }

    @Test("Five hundred concurrent callers of one key all get the value; every round is counted")
    func concurrentCallersRunFewChecks() async throws {
        let checks = SharedChecks<Int, Int>()
        let runs = NIOLockedValueBox(0)
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<500 {
                group.addTask {
                    try await checks.value(for: 1) {
                        runs.withLockedValue { $0 += 1 }
                        await Task.yield()
                        return 42
                    }
                }
            }
            for try await value in group { #expect(value == 42) }
        }
        #expect(runs.withLockedValue { $0 } == checks.roundCount)
        #expect(checks.waitingCount(for: 1) == 0)
    }
}
