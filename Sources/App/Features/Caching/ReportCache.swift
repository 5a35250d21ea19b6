import Foundation
import Metrics
import NIOConcurrencyHelpers
import NIOCore

/// Answers to reads already computed in this process, kept by their entity tag, which names the
/// user, their data version, the day and the request (`ReportCacheMiddleware`). Bounded in bytes:
/// the least recently used answers go first. An answer never goes stale in place: a write raises
/// the user's version, so later reads ask for another tag; the old answers are dropped here when
/// this process commits the write, and age out otherwise.
final class ReportCache: Sendable {
    struct Answer: Sendable {
        let contentType: String
        let body: ByteBuffer
    }

    let capacityBytes: Int

    private struct Entry {
        let userID: UUID
        let version: Int64
        let answer: Answer
        var older: String?
        var newer: String?
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var tagsByUser: [UUID: Set<String>] = [:]
        var newest: String?
        var oldest: String?
        var bytes = 0
    }

    private let state = NIOLockedValueBox(State())
    /// Answers being computed, each with the reads of the same tag waiting for it.
    private let computing = NIOLockedValueBox([String: [CheckedContinuation<Answer?, Never>]]())
    /// Reads answered from here, computed and kept, answered by a computation another read of the
    /// same tag had under way, and answered 304, since the process started.
    let outcomes = NIOLockedValueBox((hits: 0, misses: 0, shared: 0, notModified: 0))

    enum Outcome: String {
        case hit, miss, shared
        case notModified = "not_modified"
    }

    /// Counts a read's outcome, here and in `/metrics`.
    func count(_ outcome: Outcome) {
        outcomes.withLockedValue { counts in
            switch outcome {
            case .hit: counts.hits += 1
            case .miss: counts.misses += 1
            case .shared: counts.shared += 1
            case .notModified: counts.notModified += 1
            }
        }
        Counter(label: "finance_report_cache_requests_total", dimensions: [("outcome", outcome.rawValue)]).increment()
    }

    init(capacityBytes: Int) {
        self.capacityBytes = capacityBytes
    }

    /// The answer kept under `tag`, now the most recently used.
    func answer(for tag: String) -> Answer? {
        state.withLockedValue { state in
            guard let entry = state.entries[tag] else { return nil }
            Self.unlink(tag, in: &state)
            Self.linkNewest(tag, in: &state)
            return entry.answer
        }
    }

    /// What a read of `tag` does when no answer is kept.
    enum Turn {
        /// Computes the answer, then calls `computed(_:for:)` whatever happens, so that the reads
        /// waiting for it go on.
        case compute
        /// Another read computed it meanwhile.
        case shared(Answer)
        /// Computes the answer without telling anyone: the computation it waited for did not make one.
        case computeAlone
    }

    /// Reads of one tag that miss together compute it once: the first computes, the others wait for
    /// its answer. A dashboard opening sends several reads at once, and after a write every open one
    /// asks again for the same new version.
    func turn(for tag: String) async -> Turn {
        let first = computing.withLockedValue { computing in
            guard computing[tag] == nil else { return false }
            computing[tag] = []
            return true
        }
        if first { return .compute }
        let answer = await withCheckedContinuation { (waiter: CheckedContinuation<Answer?, Never>) in
            let waiting = computing.withLockedValue { computing in
                guard computing[tag] != nil else { return false }
                computing[tag]!.append(waiter)
                return true
            }
            // Finished between the two looks: it may have kept its answer.
            if !waiting { waiter.resume(returning: self.answer(for: tag)) }
        }
        return answer.map(Turn.shared) ?? .computeAlone
    }

    /// How many reads wait for the computation of `tag`.
    func waiting(for tag: String) -> Int {
        computing.withLockedValue { $0[tag]?.count ?? 0 }
    }

    /// Ends the computation of `tag` that `turn(for:)` gave this read: `answer` (nil when it made
    /// none to share, an error or another status) goes to the reads waiting for it.
    func computed(_ answer: Answer?, for tag: String) {
        let waiters = computing.withLockedValue { $0.removeValue(forKey: tag) } ?? []
        for waiter in waiters { waiter.resume(returning: answer) }
    }

    /// Keeps `answer` under `tag`, unless it alone would take more than an eighth of the capacity.
    func keep(_ answer: Answer, for tag: String, userID: UUID, version: Int64) {
        let size = Self.size(of: answer, tag: tag)
        guard size <= capacityBytes / 8 else { return }
        let (entries, bytes) = state.withLockedValue { state -> (Int, Int) in
            if state.entries[tag] != nil { Self.remove(tag, in: &state) }
            state.entries[tag] = Entry(userID: userID, version: version, answer: answer)
            state.tagsByUser[userID, default: []].insert(tag)
            state.bytes += size
            Self.linkNewest(tag, in: &state)
            while state.bytes > capacityBytes, let oldest = state.oldest { Self.remove(oldest, in: &state) }
            return (state.entries.count, state.bytes)
        }
        Self.record(entries: entries, bytes: bytes)
    }

    /// Drops the user's answers from before `version`: this process has just committed it.
    func dropAnswers(of userID: UUID, before version: Int64) {
        let (entries, bytes) = state.withLockedValue { state -> (Int, Int) in
            for tag in state.tagsByUser[userID] ?? [] where (state.entries[tag]?.version ?? version) < version {
                Self.remove(tag, in: &state)
            }
            return (state.entries.count, state.bytes)
        }
        Self.record(entries: entries, bytes: bytes)
    }

    var statistics: (entries: Int, bytes: Int) {
        state.withLockedValue { ($0.entries.count, $0.bytes) }
    }

    private static func size(of answer: Answer, tag: String) -> Int {
        answer.body.readableBytes + answer.contentType.utf8.count + tag.utf8.count + 128
    }

    private static func record(entries: Int, bytes: Int) {
        Gauge(label: "finance_report_cache_entries").record(entries)
        Gauge(label: "finance_report_cache_bytes").record(bytes)
    }

    private static func remove(_ tag: String, in state: inout State) {
        guard let entry = state.entries[tag] else { return }
        unlink(tag, in: &state)
        state.entries[tag] = nil
        state.bytes -= size(of: entry.answer, tag: tag)
        state.tagsByUser[entry.userID]?.remove(tag)
        if state.tagsByUser[entry.userID]?.isEmpty == true { state.tagsByUser[entry.userID] = nil }
    }

    private static func unlink(_ tag: String, in state: inout State) {
        guard let entry = state.entries[tag] else { return }
        if let older = entry.older { state.entries[older]?.newer = entry.newer } else { state.oldest = entry.newer }
        if let newer = entry.newer { state.entries[newer]?.older = entry.older } else { state.newest = entry.older }
        state.entries[tag]?.older = nil
        state.entries[tag]?.newer = nil
    }

    private static func linkNewest(_ tag: String, in state: inout State) {
        state.entries[tag]?.older = state.newest
        if let newest = state.newest { state.entries[newest]?.newer = tag }
        state.newest = tag
        if state.oldest == nil { state.oldest = tag }
    }
}
