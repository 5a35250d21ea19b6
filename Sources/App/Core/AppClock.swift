import FinanceCore
import Foundation
import Vapor

/// The server's one source of "now" and "today" (in UTC). Code asks the application's clock rather
/// than calling `Date()`, so tests can set the day and cannot flake at midnight or a month's end.
struct AppClock: Sendable {
    let now: @Sendable () -> Date

    var today: LocalDate { LocalDate.utcDay(of: now()) }

    static let system = AppClock(now: { Date() })

    /// A clock stopped at `date`, for tests.
    static func fixed(_ date: Date) -> AppClock { AppClock(now: { date }) }
}

extension Application {
    private struct ClockKey: StorageKey { typealias Value = AppClock }

    /// The clock every part of the server asks; `.system` unless a test set another.
    var clock: AppClock {
        get { storage[ClockKey.self] ?? .system }
        set { storage[ClockKey.self] = newValue }
    }
}
