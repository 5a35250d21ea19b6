/// What an audit event records.
public enum AuditAction: String, CaseIterable, Codable, Sendable {
    case create
    case update
    case delete
    case login
    case loginFailed = "login_failed"
    case logout
    case passwordChange = "password_change"
    case sessionRevoked = "session_revoked"
}
