import FinanceCore
import Foundation

/// Collects every problem of a request's fields, so one answer names them all.
struct FieldValidator {
    private(set) var problems: [String: String] = [:]

    mutating func fail(_ field: String, _ problem: String) {
        if problems[field] == nil { problems[field] = problem }
    }

    /// Throws `validation_failed` naming every field at fault, if any.
    func check() throws {
        if !problems.isEmpty { throw APIError.validation(problems) }
    }

    mutating func name(_ text: String, field: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { fail(field, "must not be empty"); return nil }
        guard trimmed.count <= 200 else { fail(field, "must be at most 200 characters long"); return nil }
        return trimmed
    }

    mutating func text(_ text: String?, field: String, max: Int) -> String? {
        guard let text else { return nil }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.count <= max else { fail(field, "must be at most \(max) characters long"); return nil }
        return trimmed
    }

    mutating func currency(_ code: String, field: String) -> CurrencyCode? {
        guard let currency = CurrencyCode(code) else { fail(field, "is not an ISO 4217 currency code"); return nil }
        return currency
    }

    mutating func amount(_ text: String?, field: String) -> Amount? {
        guard let text else { return nil }
        do {
            return try Amount(parsing: text)
        } catch {
            fail(field, error.description)
            return nil
        }
    }

    /// A price: a non-negative exact decimal of up to 8 places.
    mutating func price(_ text: String?, field: String) -> Price? {
        guard let text else { return nil }
        do {
            let price = try Price(parsing: text)
            guard !price.isNegative else { fail(field, "must not be negative"); return nil }
            return price
        } catch {
            fail(field, error.description)
            return nil
        }
    }

    /// A quantity of units: a positive exact decimal of up to 8 places.
    mutating func quantity(_ text: String?, field: String) -> Quantity? {
        guard let text else { return nil }
        do {
            let quantity = try Quantity(parsing: text)
            guard quantity > .zero else { fail(field, "must be positive"); return nil }
            return quantity
        } catch {
            fail(field, error.description)
            return nil
        }
    }

    /// An exchange rate: a positive exact decimal.
    mutating func rate(_ text: String, field: String) -> ExchangeRate? {
        do {
            let rate = try ExchangeRate(parsing: text)
            guard !rate.isZero, !rate.isNegative else { fail(field, "must be positive"); return nil }
            return rate
        } catch {
            fail(field, error.description)
            return nil
        }
    }

    mutating func date(_ text: String?, field: String) -> LocalDate? {
        guard let text else { return nil }
        guard let date = LocalDate(iso8601: text) else { fail(field, "is not a valid date in the form YYYY-MM-DD"); return nil }
        guard FieldValidator.years.contains(date.year) else {
            fail(field, "must be in the years \(FieldValidator.years.lowerBound) to \(FieldValidator.years.upperBound)")
            return nil
        }
        return date
    }

    /// The years a day given to the API may fall in: room for any real ledger, and for the date
    /// arithmetic of periods around it.
    static let years = 1900...2200

    mutating func uuid(_ text: String?, field: String) -> UUID? {
        guard let text else { return nil }
        guard let id = UUID(uuidString: text) else { fail(field, "is not a valid id"); return nil }
        return id
    }

    mutating func mask(_ text: String?) -> String? {
        guard let text else { return nil }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard (1...4).contains(trimmed.count) else { fail("mask", "must be 1 to 4 characters"); return nil }
        return trimmed
    }
}

/// An id in a path: one that is not a UUID cannot name anything of the user's, so it is a 404.
enum PathID {
    static func parse(_ text: String) throws -> UUID {
        guard let id = UUID(uuidString: text) else { throw APIError.notFound() }
        return id
    }
}
