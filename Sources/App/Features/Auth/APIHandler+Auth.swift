import FinanceAPI
import FinanceCore
import Fluent
import Vapor

extension APIHandler {
    func register(_ input: Operations.Register.Input) async throws -> Operations.Register.Output {
        guard case .json(let body) = input.body else { throw APIError.malformedBody("expected JSON") }
        var problems: [String: String] = [:]
        let email = EmailAddress(body.email)
        if email == nil { problems["email"] = "is not a valid email address" }
        if let problem = PasswordPolicy.problem(with: body.password, email: body.email) { problems["password"] = problem }
        let fullName = body.fullName.trimmingCharacters(in: .whitespacesAndNewlines)
        if fullName.count > 200 { problems["full_name"] = "must be at most 200 characters long" }
        let currency = body.baseCurrency.map { CurrencyCode($0) } ?? .usd
        if currency == nil { problems["base_currency"] = "is not an ISO 4217 currency code" }
        guard problems.isEmpty, let email, let currency else { throw APIError.validation(problems) }

        let hash = try await app.passwordHasher.hash(body.password)
        let audit = AuditContext.current(userID: nil)
        let user = try await app.write(as: .system) { db in
            if try await User.query(on: db).filter(\.$email == email.value).first() != nil { throw Self.emailTaken }
            let user = User(id: UUID.timeOrdered(), email: email.value, passwordHash: hash, fullName: fullName, baseCurrency: currency)
            do {
                try await user.create(on: db)
            } catch let error as any DatabaseError where error.isConstraintFailure {
                throw Self.emailTaken // registered by a concurrent request a moment ago
            }
            try await audit.forUser(user.id).record(
                .create, entityType: "user", entityID: user.id, changes: AuditChanges.between(old: nil as User?, new: user), on: db)
            return user
        }
        return .created(.init(body: .json(try UserRepresentation.make(user))))
    }

    private static let emailTaken = APIError(.conflict, code: "email_taken", message: "An account with this email already exists.",
                                             fields: ["email": "is already registered"])

    func login(_ input: Operations.Login.Input) async throws -> Operations.Login.Output {
        guard case .json(let body) = input.body else { throw APIError.malformedBody("expected JSON") }
        let tokens = try await signIn(email: body.email, password: body.password)
        return .ok(.init(body: .json(TokenPairRepresentation.make(tokens))))
    }

    /// Checks a login and starts a session: throttled, audited, the same answer and about the same
    /// time whether the email or the password is wrong.
    func signIn(email rawEmail: String, password: String) async throws -> Sessions.Tokens {
        var problems: [String: String] = [:]
        if rawEmail.isEmpty { problems["email"] = "is required" }
        if password.isEmpty { problems["password"] = "is required" }
        guard problems.isEmpty else { throw APIError.validation(problems) }

        let email = EmailAddress(rawEmail)?.value ?? String(rawEmail.lowercased().prefix(320))
        let context = try RequestContext.require()
        let client = context.clientAddress
        if let wait = try await app.db.asSystem({ db in try await LoginThrottle.retryAfter(email: email, clientAddress: client, on: db) }) {
            var error = APIError(.tooManyRequests, code: "too_many_attempts", message: "Too many failed logins. Try again in \(wait) seconds.")
            error.headers = [("Retry-After", String(wait))]
            throw error
        }

        let user = try await app.db.asSystem { db in try await User.query(on: db).filter(\.$email == email).first() }
        // The same bcrypt work whether or not the email is known.
        let hasher = app.passwordHasher
        let stored: String
        if let hash = user?.passwordHash { stored = hash } else { stored = try await hasher.decoyHash() }
        let matches = try await hasher.verify(password, against: stored)
        let app = self.app
        let audit = AuditContext.current(userID: user?.id)
        let outcome: Sessions.Tokens? = try await app.write(as: .system) { db in
            guard let user, matches, user.isActive, let userID = user.id else {
                try await LoginThrottle.record(email: email, clientAddress: client, succeeded: false, on: db)
                try await audit.record(.loginFailed, entityType: "session", entityID: nil, on: db)
                // The user's audit trail is one of their reads: its tag follows their data version.
                if let known = user?.id { _ = try await DataVersions.bump(known, now: app.clock.now(), on: db) }
                return nil
            }
            try await LoginThrottle.record(email: email, clientAddress: client, succeeded: true, on: db)
            let tokens = try await Sessions.start(userID: userID, client: audit, on: db, app: app)
            try await audit.record(.login, entityType: "session", entityID: nil, on: db)
            _ = try await DataVersions.bump(userID, now: app.clock.now(), on: db)
            return tokens
        }
        guard let outcome else {
            throw APIError(.unauthorized, code: "invalid_credentials", message: "The email or the password is wrong.")
        }
        return outcome
    }

    func refresh(_ input: Operations.Refresh.Input) async throws -> Operations.Refresh.Output {
        guard case .json(let body) = input.body else { throw APIError.malformedBody("expected JSON") }
        return .ok(.init(body: .json(TokenPairRepresentation.make(try await useRefreshToken(body.refreshToken)))))
    }

    /// Uses a refresh token once. A token used before ends its whole session (somebody else may hold a
    /// copy): audited, and told to the user's streams.
    func useRefreshToken(_ presented: String) async throws -> Sessions.Tokens {
        switch try await Sessions.refresh(presented, app: app) {
        case .rotated(let tokens, _):
            return tokens
        case .reused(let userID, let familyID):
            try await endSession(familyID, of: userID, action: .sessionRevoked, reason: "refresh_token_reused", revoking: false)
            app.logger.warning("A used refresh token was presented again; its session was revoked", metadata: ["user-id": .string(userID.uuidString)])
            throw Self.invalidRefreshToken
        case .invalid:
            throw Self.invalidRefreshToken
        }
    }

    /// Ends session `familyID` of `userID` where no access token speaks for the user (a refresh
    /// token or a cookie does): revoked (unless already), audited, and told to the user's streams,
    /// in one write.
    func endSession(_ familyID: UUID, of userID: UUID, action: AuditAction, reason: String, revoking: Bool) async throws {
        let audit = AuditContext.current(userID: userID)
        let now = app.clock.now()
        try await app.write(as: .system) { db in
            if revoking { try await Sessions.revokeFamily(familyID, userID: userID, on: db, now: now) }
            try await audit.record(action, entityType: "session", entityID: familyID, on: db)
            let version = try await DataVersions.bump(userID, now: now, on: db)
            try await EventOutbox.append([PendingEvent(EventTypes.sessionEnded, [
                "session": .string(familyID.uuidString), "reason": .string(reason),
            ])], userID: userID, version: version, at: now, on: db)
        }
        app.eventHub.poke(userID)
    }

    static let invalidRefreshToken = APIError(.unauthorized, code: "invalid_refresh_token",
                                              message: "This refresh token is no longer valid; sign in again.")

    func logout(_ input: Operations.Logout.Input) async throws -> Operations.Logout.Output {
        try await Authentication.withUser(app) { scope, user in
            try await Sessions.revokeFamily(user.sessionID, userID: user.id, on: scope.db)
            try await scope.audit.record(.logout, entityType: "session", entityID: user.sessionID, on: scope.db)
            scope.changes.emit(PendingEvent(EventTypes.sessionEnded, ["session": .string(user.sessionID.uuidString), "reason": .string("logout")]))
        }
        return .noContent(.init())
    }

    func logoutAll(_ input: Operations.LogoutAll.Input) async throws -> Operations.LogoutAll.Output {
        try await Authentication.withUser(app) { scope, user in
            try await Sessions.revokeAll(userID: user.id, except: nil, on: scope.db)
            try await scope.audit.record(.logout, entityType: "session", entityID: nil, on: scope.db)
            scope.changes.emit(PendingEvent(EventTypes.sessionEnded, ["reason": .string("logout_everywhere")]))
        }
        return .noContent(.init())
    }
}

enum TokenPairRepresentation {
    static func make(_ tokens: Sessions.Tokens) -> Components.Schemas.TokenPair {
        .init(accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, tokenType: .bearer,
              expiresIn: Int(AccessTokenClaims.lifetime))
    }
}
