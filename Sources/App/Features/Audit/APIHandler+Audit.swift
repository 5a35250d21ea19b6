import FinanceAPI
import Fluent
import Foundation

extension APIHandler {
    func listAuditEvents(_ input: Operations.ListAuditEvents.Input) async throws -> Operations.ListAuditEvents.Output {
        let page = try PageRequest(limit: input.query.limit, cursor: input.query.cursor)
        if page.cursor != nil, page.after == nil { throw PageRequest.invalidCursor }
        let events = try await Authentication.withUser(app) { scope, _ in
            // Ids are time-ordered, so id order is newest-first order and a stable keyset.
            var query = AuditEvent.query(on: scope.db).filter("user_id", .equal, scope.userID)
            if let after = page.after { query = query.filter(\.$id < after) }
            return try await query.sort(\.$id, .descending).limit(page.limit + 1).all()
        }
        let items = events.prefix(page.limit).compactMap { event -> Components.Schemas.AuditEvent? in
            guard let id = event.id, let action = Components.Schemas.AuditEvent.ActionPayload(rawValue: event.action.rawValue) else { return nil }
            return .init(
                id: id.uuidString, action: action, entityType: event.entityType, entityId: event.entityID?.uuidString,
                changes: event.changes.map { .init(additionalProperties: $0.mapValues { .init(old: $0.old, new: $0.new) }) },
                requestId: event.requestID, clientAddress: event.clientAddress, createdAt: event.createdAt ?? Date()
            )
        }
        let next = events.count > page.limit ? events[page.limit - 1].id.map(PageRequest.cursor(after:)) : nil
        return .ok(.init(body: .json(.init(items: items, nextCursor: next))))
    }
}
