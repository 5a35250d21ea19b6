@testable import App
import Foundation
import Vapor

extension Application {
    /// Runs `trigger`, then waits for the first commit of `userID`'s data that `matches` (up to
    /// `limit`, a bound for a test that failed rather than a pace): a test waits on the thing
    /// itself instead of polling the database.
    func commit(of userID: UUID, within limit: Duration = .seconds(60),
                where matches: @escaping @Sendable (LedgerCommit) -> Bool = { _ in true },
                after trigger: () async throws -> Void) async throws -> LedgerCommit? {
        let (commits, continuation) = AsyncStream<LedgerCommit>.makeStream()
        ledgerCommits.observe { commit in
            if commit.userID == userID, matches(commit) { continuation.yield(commit) }
        }
        try await trigger()
        let first = await withTaskGroup(of: LedgerCommit?.self) { group in
            group.addTask {
                for await commit in commits { return commit }
                return nil
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        continuation.finish()
        return first
    }
}
