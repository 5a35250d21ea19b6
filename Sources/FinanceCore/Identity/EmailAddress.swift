/// An email address as the server keeps it: trimmed and lower-cased, so that addresses differing
/// only in capitals are one person.
public struct EmailAddress: Sendable, Hashable, CustomStringConvertible {
    public let value: String

    /// A plausible address (`local@domain.tld`, at most 320 characters, no spaces or control
    /// characters), normalized; `nil` otherwise. Deliverability is not this type's business.
    public init?(_ text: String) {
        let trimmed = text.trimmingWhitespace().lowercased()
        guard (3...320).contains(trimmed.utf8.count),
              trimmed.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F }) else { return nil }
        let parts = trimmed.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, let local = parts.first, let domain = parts.last,
              (1...64).contains(local.utf8.count), domain.utf8.count >= 3,
              domain.contains("."), !domain.hasPrefix("."), !domain.hasSuffix("."), !domain.contains("..") else { return nil }
        self.value = trimmed
    }

    public var description: String { value }
}

/// What a password must be: 10 to 128 characters, and not the account's email address.
public enum PasswordPolicy {
    public static let minimumLength = 10
    public static let maximumLength = 128

    /// The problem with `password`, in words for the person choosing it, or `nil` when it is acceptable.
    public static func problem(with password: String, email: String?) -> String? {
        let length = password.count
        if length < minimumLength { return "must be at least \(minimumLength) characters long" }
        if length > maximumLength { return "must be at most \(maximumLength) characters long" }
        if let email, password.trimmingWhitespace().lowercased() == email.trimmingWhitespace().lowercased() {
            return "must not be the email address"
        }
        return nil
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(String.UnicodeScalarView(scalars[first...last]))
    }
}
