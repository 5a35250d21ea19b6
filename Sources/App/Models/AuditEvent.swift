import FinanceCore
import Fluent
import Foundation

/// A record of one change or security event, kept for the user to review.
final class AuditEvent: Model, @unchecked Sendable {
    static let schema = "audit_events"

    @ID(key: .id) var id: UUID?
    @OptionalField(key: "user_id") var userID: UUID?
    @Enum(key: "action") var action: AuditAction
    @Field(key: "entity_type") var entityType: String
    @OptionalField(key: "entity_id") var entityID: UUID?
    @OptionalField(key: "changes") var changes: [String: FieldChange]?
    @OptionalField(key: "request_id") var requestID: String?
    @OptionalField(key: "client_address") var clientAddress: String?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}
}

/// One field's value before and after a change, as text; secrets are written as "[redacted]".
struct FieldChange: Codable, Equatable, Sendable {
    let old: String?
    let new: String?
}

/// A session's refresh token, stored only as its hash.
final class RefreshToken: Model, @unchecked Sendable {
    static let schema = "refresh_tokens"

    @ID(key: .id) var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "family_id") var familyID: UUID
    @Field(key: "token_hash") var tokenHash: Data
    @Field(key: "expires_at") var expiresAt: Date
    @OptionalField(key: "revoked_at") var revokedAt: Date?
    @OptionalField(key: "replaced_by_id") var replacedByID: UUID?
    @OptionalField(key: "user_agent") var userAgent: String?
    @OptionalField(key: "client_address") var clientAddress: String?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}
}
