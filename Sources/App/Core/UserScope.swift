import Fluent
import Vapor

/// A model whose rows belong to one user, through its `user_id` column.
protocol UserOwnedModel: Model where IDValue == UUID {
    var userID: UUID { get set }
}

/// The application's wall between users: every read and write of user-owned data goes through one
/// of these, bound to one user and to a database transaction in which PostgreSQL's row-level security
/// shows only that user's rows. Handlers get one from `Authentication.withUser`, never build queries on `app.db`.
struct UserScope: Sendable {
    let userID: UUID
    let db: any Database
    let audit: AuditContext

    /// The user's rows of `M`, and nobody else's.
    func query<M: UserOwnedModel>(_: M.Type) -> QueryBuilder<M> {
        M.query(on: db).filter("user_id", .equal, userID)
    }

    /// The user's row with this id; `not_found` for anyone else's as for one that does not exist.
    func find<M: UserOwnedModel>(_: M.Type, _ id: UUID, name: String) async throws -> M {
        guard let model = try await query(M.self).filter(\._$id == id).first() else { throw APIError.notFound(name) }
        return model
    }

    /// Saves a new row as the user's own, with its audit event.
    func create<M: UserOwnedModel & Encodable>(_ model: M, entityType: String) async throws {
        model.userID = userID
        try await model.create(on: db)
        try await audit.record(.create, entityType: entityType, entityID: model.id,
                               changes: AuditChanges.between(old: nil, new: model), on: db)
    }
}
