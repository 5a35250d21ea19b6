import FinanceAPI
import FinanceCore
import Fluent
import Vapor

extension APIHandler {
    func getCurrentUser(_ input: Operations.GetCurrentUser.Input) async throws -> Operations.GetCurrentUser.Output {
        let user = try await Authentication.withUser(app) { scope, _ in try await scope.currentUser() }
        return .ok(.init(body: .json(try UserRepresentation.make(user))))
    }

    func updateCurrentUser(_ input: Operations.UpdateCurrentUser.Input) async throws -> Operations.UpdateCurrentUser.Output {
        guard case .json(let body) = input.body else { throw APIError.malformedBody("expected JSON") }
        var problems: [String: String] = [:]
        let fullName = body.fullName?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let fullName, fullName.count > 200 { problems["full_name"] = "must be at most 200 characters long" }
        let currency = body.baseCurrency.map { CurrencyCode($0) }
        if let currency, currency == nil { problems["base_currency"] = "is not an ISO 4217 currency code" }
        guard problems.isEmpty else { throw APIError.validation(problems) }

        let user = try await Authentication.withUser(app) { scope, _ in
            let user = try await scope.currentUser()
            let before = UserSnapshot(user)
            if let fullName { user.fullName = fullName }
            if let currency = currency ?? nil { user.baseCurrency = currency }
            guard user.hasChanges else { return user }
            try await user.update(on: scope.db)
            scope.changes.touched("user")
            try await scope.audit.record(.update, entityType: "user", entityID: user.id,
                                         changes: AuditChanges.between(old: before, new: UserSnapshot(user)), on: scope.db)
            return user
        }
        return .ok(.init(body: .json(try UserRepresentation.make(user))))
    }

    func deleteCurrentUser(_ input: Operations.DeleteCurrentUser.Input) async throws -> Operations.DeleteCurrentUser.Output {
        let user = try await Authentication.requireUser(app)
        // Every table of the user's data cascades from `users`: one delete removes it all, atomically.
        try await app.write(as: .system) { db in
            try await User.query(on: db).filter(\.$id == user.id).delete()
            // The user's streams, in every process, find their session gone and close.
            try await EventOutbox.notify(user.id, on: db)
        }
        app.eventHub.poke(user.id)
        app.logger.notice("User deleted with all their data", metadata: ["user-id": .string(user.id.uuidString)])
        return .noContent(.init())
    }

    func changePassword(_ input: Operations.ChangePassword.Input) async throws -> Operations.ChangePassword.Output {
        guard case .json(let body) = input.body else { throw APIError.malformedBody("expected JSON") }
        let authenticated = try await Authentication.requireUser(app)
        let user = try await app.db.asUser(authenticated.id) { db in try await User.find(authenticated.id, on: db) }
        guard let user else { throw Authentication.unauthorized }
        guard try await app.passwordHasher.verify(body.currentPassword, against: user.passwordHash) else {
            throw APIError.validation(["current_password": "is not the current password"])
        }
        if let problem = PasswordPolicy.problem(with: body.newPassword, email: user.email) {
            throw APIError.validation(["new_password": problem])
        }
        let hash = try await app.passwordHasher.hash(body.newPassword)
        try await Authentication.withUser(app) { scope, session in
            let user = try await scope.currentUser()
            user.passwordHash = hash
            try await user.update(on: scope.db)
            try await Sessions.revokeAll(userID: session.id, except: session.sessionID, on: scope.db)
            // Every other session ends; their streams close on this event.
            scope.changes.emit(PendingEvent(EventTypes.sessionEnded, [
                "except_session": .string(session.sessionID.uuidString), "reason": .string("password_changed"),
            ]))
            try await scope.audit.record(.passwordChange, entityType: "user", entityID: session.id,
                                         changes: ["password_hash": FieldChange(old: AuditChanges.redacted, new: AuditChanges.redacted)],
                                         on: scope.db)
        }
        return .noContent(.init())
    }
}

extension UserScope {
    func currentUser() async throws -> User {
        guard let user = try await User.find(userID, on: db) else { throw Authentication.unauthorized }
        return user
    }
}

/// The fields of a user that an audit event may show (never the password hash).
struct UserSnapshot: Encodable {
    let email: String
    let fullName: String
    let baseCurrency: String
    let isActive: Bool

    init(_ user: User) {
        email = user.email
        fullName = user.fullName
        baseCurrency = user.baseCurrency.code
        isActive = user.isActive
    }
}

enum UserRepresentation {
    static func make(_ user: User) throws -> Components.Schemas.User {
        guard let id = user.id else { throw APIError.internalError }
        return .init(
            id: id.uuidString, email: user.email, fullName: user.fullName, baseCurrency: user.baseCurrency.code,
            isActive: user.isActive, createdAt: user.createdAt ?? Date(), updatedAt: user.updatedAt ?? Date()
        )
    }
}
