import FinanceCore
import Fluent
import NIOConcurrencyHelpers
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
    /// What this scope's writes changed; the unit of work (`LedgerWriter`) settles it before commit.
    var changes = LedgerChangeSet()
    var clock: AppClock = .system
    /// What the units of one batch read once between them (see `BatchMemo`); nil outside a batch.
    var memo: BatchMemo?

    var now: Date { clock.now() }
    var today: LocalDate { clock.today }

    /// Brings the derived tables up to date with what was written so far, for a caller that reads
    /// them back before its unit of work ends (the unit of work settles whatever is left anyway).
    func settle() async throws {
        try await DerivedState.settle(changes, in: self)
    }

    /// The user's rows of `M`, and nobody else's.
    func query<M: UserOwnedModel>(_: M.Type) -> QueryBuilder<M> {
        M.query(on: db).filter("user_id", .equal, userID)
    }

    /// The user's row with this id; `not_found` for anyone else's as for one that does not exist.
    func find<M: UserOwnedModel>(_: M.Type, _ id: UUID, name: String) async throws -> M {
        guard let model = try await query(M.self).filter(\._$id == id).first() else { throw APIError.notFound(name) }
        return model
    }

    /// Saves the changes made to one of the user's rows, with an audit event of the fields that changed
    /// (`before`, and after as `view` shows the row). Answers whether there was anything to save.
    @discardableResult
    func save<M: UserOwnedModel, View: Encodable>(_ model: M, entityType: String, before: View, view: (M) throws -> View) async throws -> Bool {
        guard model.hasChanges else { return false }
        try await model.update(on: db)
        changes.touched(entityType)
        try await audit.record(.update, entityType: entityType, entityID: model.id,
                               changes: AuditChanges.between(old: before, new: try view(model)), on: db)
        return true
    }

    /// Deletes one of the user's rows, with an audit event of what it held (as `view` shows it).
    func delete<M: UserOwnedModel, View: Encodable>(_ model: M, entityType: String, view: (M) throws -> View) async throws {
        let before = try view(model)
        try await model.delete(on: db)
        changes.touched(entityType)
        try await audit.record(.delete, entityType: entityType, entityID: model.id,
                               changes: AuditChanges.between(old: before, new: nil as View?), on: db)
    }

    /// Saves a new row as the user's own, with its audit event.
    func create<M: UserOwnedModel & Encodable>(_ model: M, entityType: String) async throws {
        model.userID = userID
        try await model.create(on: db)
        changes.touched(entityType)
        try await audit.record(.create, entityType: entityType, entityID: model.id,
                               changes: AuditChanges.between(old: nil, new: model), on: db)
    }
}

/// Read once for a whole batch of units of work (`LedgerBatch`): their bodies create, edit and
/// delete transactions, and change neither accounts nor rules, so what one unit read of those holds
/// for the next.
final class BatchMemo: Sendable {
    let accounts = NIOLockedValueBox<[UUID: LedgerAccount]>([:])
    let categorizer = NIOLockedValueBox<Categorizer?>(nil)
    /// The units' audit events, written together as the batch ends.
    let audits = AuditBuffer()
}
