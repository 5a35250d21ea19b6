@testable import App
import NIOConcurrencyHelpers
import Testing

@Suite("Admission gate")
struct AdmissionGateTests {
    struct Refused: Error {}

    @Test("No more than the limit run at once; everyone gets through; a failure gives its place back")
    func admitsUpToTheLimit() async throws {
        let gate = AdmissionGate(limit: 3)
        let inside = NIOLockedValueBox((now: 0, most: 0, done: 0))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<40 {
                group.addTask {
                    do {
                        try await gate.run {
                            inside.withLockedValue { $0.now += 1; $0.most = max($0.most, $0.now) }
                            try await Task.sleep(for: .milliseconds(2))
                            inside.withLockedValue { $0.now -= 1; $0.done += 1 }
                            if index % 5 == 0 { throw Refused() }
                        }
                    } catch is Refused {}
                }
            }
            try await group.waitForAll()
        }
        let counts = inside.withLockedValue { $0 }
        #expect(counts.done == 40)
        #expect(counts.most <= 3)
        #expect(counts.most >= 1)
        #expect(gate.load.running == 0 && gate.load.waiting == 0)
    }

    @Test("Callers wait in the order they came")
    func firstComeFirstServed() async throws {
        let gate = AdmissionGate(limit: 1)
        let order = NIOLockedValueBox([Int]())
        let (held, release) = AsyncStream<Void>.makeStream()
        // The first caller holds the gate until told to leave.
        let first = Task { try await gate.run { for await _ in held { break } } }
        while gate.load.running == 0 { await Task.yield() }
        var waiters: [Task<Void, any Error>] = []
        for index in 0..<5 {
            waiters.append(Task { try await gate.run { order.withLockedValue { $0.append(index) } } })
            // Each is in line before the next comes.
            while gate.load.waiting < index + 1 { await Task.yield() }
        }
        release.yield()
        try await first.value
        for waiter in waiters { try await waiter.value }
        #expect(order.withLockedValue { $0 } == [0, 1, 2, 3, 4])
        #expect(gate.load.running == 0 && gate.load.waiting == 0)
    }
}
