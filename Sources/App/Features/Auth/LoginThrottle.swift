import Fluent
import Vapor

/// Slows password guessing: after 5 failed logins for one email, or from one client address,
/// within 15 minutes, further attempts are refused until the oldest of those 5 is 15 minutes old.
/// Kept in the database, so every server process sees the same count.
enum LoginThrottle {
    static let window: TimeInterval = 15 * 60
    static let limit = 5

    /// Seconds until another attempt may be made, or `nil` if one may be made now.
    static func retryAfter(email: String, clientAddress: String?, on db: any Database, now: Date = Date()) async throws -> Int? {
        let since = now.addingTimeInterval(-window)
        var waits: [Int] = []
        for scope in [("email", email), ("client_address", clientAddress)] {
            guard let value = scope.1 else { continue }
            let recent = try await LoginAttempt.query(on: db)
                .filter(FieldKey(stringLiteral: scope.0), .equal, value)
                .filter(\.$succeeded == false).filter(\.$createdAt > since)
                .sort(\.$createdAt, .descending).limit(limit).all()
            if recent.count >= limit, let oldest = recent.last?.createdAt {
                waits.append(max(1, Int((oldest.addingTimeInterval(window).timeIntervalSince(now)).rounded(.up))))
            }
        }
        return waits.max()
    }

    static func record(email: String, clientAddress: String?, succeeded: Bool, on db: any Database) async throws {
        let attempt = LoginAttempt()
        attempt.id = UUID.timeOrdered()
        attempt.email = email
        attempt.clientAddress = clientAddress
        attempt.succeeded = succeeded
        try await attempt.create(on: db)
        // Attempts older than a day are of no use to anyone.
        try await LoginAttempt.query(on: db).filter(\.$createdAt < Date().addingTimeInterval(-86_400)).delete()
    }
}

final class LoginAttempt: Model, @unchecked Sendable {
    static let schema = "login_attempts"

    @ID(key: .id) var id: UUID?
    @Field(key: "email") var email: String
    @OptionalField(key: "client_address") var clientAddress: String?
    @Field(key: "succeeded") var succeeded: Bool
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}
}
