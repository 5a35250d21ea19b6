import Metrics
import NIOConcurrencyHelpers

/// Callers that ask the same question at the same moment share one check, and none gets an answer
/// older than its question: each round of the check begins after every caller it answers arrived.
///
/// The first caller of a key starts a round at once. Callers that arrive while it runs wait for the
/// next round, which starts as soon as the running one ends and answers all of them together; so a
/// caller waits at most two checks, and a key asked a thousand times a second runs a few hundred
/// checks rather than a thousand. The session check of every request is asked this way: a
/// dashboard's handful of reads at once, or many clients of one session, make one statement, and a
/// write committed before a request arrived is always seen by it.
final class SharedChecks<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private typealias Waiter = CheckedContinuation<Value, any Error>

    /// For each key with a round running: the callers waiting for the next round.
    private let waiting = NIOLockedValueBox<[Key: [Waiter]]>([:])
    /// How many rounds ran.
    private let rounds = NIOLockedValueBox(0)

    /// Counts of the questions asked and of the rounds run, when the checks are counted in `/metrics`.
    private let counters: (asked: Counter, ran: Counter)?

    /// With `label`, the counter `label{of="asked"}` counts the questions and `label{of="run"}` the rounds.
    init(label: String? = nil) {
        counters = label.map { label in
            _ = AppMetrics.registry
            return (Counter(label: label, dimensions: [("of", "asked")]), Counter(label: label, dimensions: [("of", "run")]))
        }
    }

    /// `check`'s answer for `key`, from a round that began after this call did. `check` must answer
    /// the same for every caller of one key (it reads the clock itself, at the round's start).
    func value(for key: Key, check: @escaping @Sendable () async throws -> Value) async throws -> Value {
        counters?.asked.increment()
        return try await withCheckedThrowingContinuation { (waiter: Waiter) in
            let starts = waiting.withLockedValue { waiting in
                if waiting[key] != nil {
                    waiting[key]!.append(waiter)
                    return false
                }
                // No round is running: this caller starts one, and is its only caller so far.
                waiting[key] = []
                return true
            }
            guard starts else { return }
            Task { await self.run(key, first: [waiter], check: check) }
        }
    }

    /// How many rounds have run in all.
    var roundCount: Int { rounds.withLockedValue { $0 } }

    /// How many callers of `key` wait for its next round.
    func waitingCount(for key: Key) -> Int { waiting.withLockedValue { $0[key]?.count ?? 0 } }

    /// Runs rounds for `key` until a round ends with nobody waiting.
    private func run(_ key: Key, first: [Waiter], check: @escaping @Sendable () async throws -> Value) async {
        var callers = first
        while true {
            rounds.withLockedValue { $0 += 1 }
            counters?.ran.increment()
            let answer: Result<Value, any Error>
            do { answer = .success(try await check()) } catch { answer = .failure(error) }
            for caller in callers { caller.resume(with: answer) }
            // Those who arrived during the round: the next round, started now, answers them.
            callers = waiting.withLockedValue { waiting in
                let next = waiting[key] ?? []
                if next.isEmpty {
                    waiting[key] = nil
                } else {
                    waiting[key] = []
                }
                return next
            }
            if callers.isEmpty { return }
        }
    }
}
