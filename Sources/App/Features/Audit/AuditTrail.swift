import FinanceCore
import Fluent
import Foundation
import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// Who is acting, from where, in which request: what every audit event records besides the change.
struct AuditContext: Sendable {
    let userID: UUID?
    let requestID: String?
    let clientAddress: String?

    /// The current request's details. Call it outside database transaction closures: task-local
    /// values do not reach into them.
    static func current(userID: UUID?) -> AuditContext {
        let context = RequestContext.current
        return AuditContext(userID: userID, requestID: context?.requestID, clientAddress: context?.clientAddress,
                            userAgent: context?.userAgent)
    }

    let userAgent: String?

    /// In a batch of units of work (`LedgerBatch`): where events wait, to be written together as the
    /// batch ends. Nil: each event is written as it is recorded.
    var pending: AuditBuffer?

    init(userID: UUID?, requestID: String?, clientAddress: String?, userAgent: String? = nil) {
        self.userID = userID
        self.requestID = requestID
        self.clientAddress = clientAddress
        self.userAgent = userAgent
    }

    func forUser(_ userID: UUID?) -> AuditContext {
        var context = AuditContext(userID: userID, requestID: requestID, clientAddress: clientAddress, userAgent: userAgent)
        context.pending = pending
        return context
    }

    /// Writes one event on `db`, which should be the transaction making the change, so both land or neither does.
    func record(_ action: AuditAction, entityType: String, entityID: UUID?, changes: [String: FieldChange]? = nil,
                userID explicitUser: UUID? = nil, on db: any Database) async throws {
        // One statement with plain binds: every write records an event, inside the writer's turn.
        let changes = try changes.flatMap { $0.isEmpty ? nil : String(decoding: try Self.encoder.encode($0), as: UTF8.self) }
        let engine = db.engine
        let row: SQLQueryString = """
            (\(bind: UUID.timeOrdered()), \(bind: explicitUser ?? userID), \(bind: action.rawValue)\(unsafeRaw: engine.cast(to: .auditAction)),
             \(bind: entityType), \(bind: entityID), \(bind: changes)\(unsafeRaw: engine.jsonCast), \(bind: requestID),
             \(bind: clientAddress), \(bind: Date()))
            """
        if let pending {
            pending.rows.withLockedValue { $0.append(row) }
            return
        }
        try await Self.insert([row], on: db)
    }

    /// Writes audit events' rows, a few hundred to a statement.
    static func insert(_ rows: [SQLQueryString], on db: any Database) async throws {
        try await db.sql.runInChunks(rows, row: { $0 }, statement: { values in
            "INSERT INTO audit_events (id, user_id, action, entity_type, entity_id, changes, request_id, client_address, created_at) VALUES \(values)"
        })
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()
}

/// The fields that differ between two states of a record, with secrets redacted.
/// A state the audit trail compares that lists its own fields, as `AuditChanges.flattenJSON` would
/// find them in its JSON form (snake_case names, text values, nil for null): the write path's hot
/// entities, whose every write is audited, skip encoding to JSON and parsing it back.
protocol AuditFields: Encodable {
    var auditFields: [String: String?] { get }
}

enum AuditChanges {
    static let redacted = "[redacted]"

    /// Fields whose names contain any of these are never written in clear.
    static let secretMarkers = ["password", "hash", "token", "secret", "ciphertext", "cursor"]

    static func isSecret(_ field: String) -> Bool {
        let lowered = field.lowercased()
        return secretMarkers.contains { lowered.contains($0) }
    }

    /// Compares the JSON forms of two states field by field. `old == nil` is a creation.
    static func between<T: Encodable>(old: T?, new: T?) -> [String: FieldChange] {
        var before: [String: String?] = [:], after: [String: String?] = [:]
        if let old { before = flatten(old) }
        if let new { after = flatten(new) }
        var changes: [String: FieldChange] = [:]
        for field in Set(before.keys).union(after.keys) where !["created_at", "updated_at", "id", "user_id"].contains(field) {
            let oldValue = before[field] ?? nil, newValue = after[field] ?? nil
            guard oldValue != newValue else { continue }
            changes[field] = isSecret(field)
                ? FieldChange(old: oldValue == nil ? nil : redacted, new: newValue == nil ? nil : redacted)
                : FieldChange(old: oldValue, new: newValue)
        }
        return changes
    }

    static func flatten<T: Encodable>(_ value: T) -> [String: String?] {
        if let fields = value as? any AuditFields { return fields.auditFields }
        return flattenJSON(value)
    }

    /// The fields of `value`'s JSON form, each as text: a nested value as its JSON.
    static func flattenJSON<T: Encodable>(_ value: T) -> [String: String?] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.dateEncodingStrategy = .iso8601
        guard let data = try? encoder.encode(value),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        var result: [String: String?] = [:]
        for (camelKey, value) in object {
            let key = snakeCase(camelKey)
            switch value {
            case is NSNull: result[key] = .some(nil)
            case let string as String: result[key] = string
            default:
                let nested = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed]))
                result[key] = nested.map { String(decoding: $0, as: UTF8.self) } ?? String(describing: value)
            }
        }
        return result
    }

    /// `passwordHash` → `password_hash`, `userID` → `user_id`: the column names people see in the API.
    static func snakeCase(_ name: String) -> String {
        var result = ""
        var previousWasUpper = false
        for character in name {
            if character.isUppercase {
                if !result.isEmpty && !previousWasUpper { result.append("_") }
                result.append(Character(character.lowercased()))
                previousWasUpper = true
            } else {
                result.append(character)
                previousWasUpper = false
            }
        }
        return result
    }
}

/// Audit events a batch of units of work recorded and has not written yet (see `AuditContext.pending`).
final class AuditBuffer: Sendable {
    let rows = NIOLockedValueBox<[SQLQueryString]>([])

    /// Writes what waits, and empties the buffer.
    func flush(on db: any Database) async throws {
        let rows = self.rows.withLockedValue { rows in
            defer { rows = [] }
            return rows
        }
        guard !rows.isEmpty else { return }
        try await AuditContext.insert(rows, on: db)
    }
}
