extension LocalDate {
    /// The ISO weekday: 1 is Monday, 7 is Sunday.
    public var isoWeekday: Int {
        // 1970-01-01 was a Thursday (4).
        let remainder = (daysSinceEpoch + 3) % 7
        return (remainder < 0 ? remainder + 7 : remainder) + 1
    }

    /// The Sunday that ends this day's ISO week.
    public var endOfWeek: LocalDate { adding(days: 7 - isoWeekday) }

    /// The last day of this day's month.
    public var endOfMonth: LocalDate { LocalDate(year: year, month: month, day: LocalDate.daysIn(month: month, year: year))! }

    /// The first day of this day's month.
    public var startOfMonth: LocalDate { LocalDate(year: year, month: month, day: 1)! }

    /// The same day `months` months later (or earlier), clamped to the end of a shorter month:
    /// one month after 31 January is 29 February in a leap year.
    /// Clamped to the calendar's range, years 1 to 9999.
    public func adding(months: Int) -> LocalDate {
        let index = min(max(year * 12 + (month - 1) + months, 12), 9999 * 12 + 11)
        let newYear = index / 12, newMonth = index % 12 + 1
        return LocalDate(year: newYear, month: newMonth, day: min(day, LocalDate.daysIn(month: newMonth, year: newYear)))!
    }
}

/// How a series over time is sampled.
public enum SeriesInterval: String, Sendable, CaseIterable {
    case day, week, month

    /// The days a series from `from` to `to` reports: every day; or the last day of each ISO week
    /// (Sunday) or calendar month, with `to` itself as the last point when it falls mid-period.
    public func points(from: LocalDate, to: LocalDate) -> [LocalDate] {
        guard from <= to else { return [] }
        var points: [LocalDate] = []
        var day = from
        while day <= to {
            let end: LocalDate = switch self {
            case .day: day
            case .week: day.endOfWeek
            case .month: day.endOfMonth
            }
            points.append(min(end, to))
            day = end.adding(days: 1)
        }
        return points
    }
}
