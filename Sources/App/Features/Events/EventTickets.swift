import Crypto
import FinanceAPI
import Fluent
import Foundation
import SQLKit
import Vapor

/// Single-use tickets for opening an events stream where no `Authorization` header can be set (a
/// browser's EventSource or WebSocket): `POST /api/v1/events/tickets` with the access token gives
/// one, good for 60 seconds and one stream, passed as `?ticket=`. Kept in the database (as its
/// SHA-256), so a ticket given by one server process opens a stream on any other.
enum EventTickets {
    static let lifetime: TimeInterval = 60

    /// A new ticket for the user's session.
    static func issue(for user: AuthenticatedUser, app: Application) async throws -> (ticket: String, expiresAt: Date) {
        let ticket = Data((0..<32).map { _ in UInt8.random(in: .min ... .max) }).base64URLEncodedString
        let now = app.clock.now()
        let expiresAt = now.addingTimeInterval(lifetime)
        try await app.write(as: .user(user.id)) { db in
            try await db.sql.raw("DELETE FROM event_tickets WHERE user_id = \(bind: user.id) AND expires_at < \(bind: now)").run()
            try await db.sql.raw("""
                INSERT INTO event_tickets (token_hash, user_id, session_id, expires_at)
                VALUES (\(bind: hash(ticket)), \(bind: user.id), \(bind: user.sessionID), \(bind: expiresAt))
                """).run()
        }
        return (ticket, expiresAt)
    }

    /// The session a ticket opens a stream for, once: the ticket is gone after this, used or not
    /// yet expired. A stream opened by ticket lasts as long as an access token would.
    static func redeem(_ ticket: String, app: Application) async throws -> AuthenticatedUser {
        let now = app.clock.now()
        guard ticket.count <= 100 else { throw invalid }
        let row = try await app.write(as: .system) { db in
            try await db.sql.raw("""
                DELETE FROM event_tickets WHERE token_hash = \(bind: hash(ticket)) RETURNING user_id, session_id, expires_at
                """).first()
        }
        guard let row, try row.decode(column: "expires_at", as: Date.self) > now else { throw invalid }
        let userID = try row.decode(column: "user_id", as: UUID.self), sessionID = try row.decode(column: "session_id", as: UUID.self)
        guard let version = try await Sessions.liveVersion(familyID: sessionID, userID: userID, now: now, on: app.sessionCheckDatabase) else { throw invalid }
        return AuthenticatedUser(id: userID, sessionID: sessionID, dataVersion: version,
                                 expiresAt: now.addingTimeInterval(AccessTokenClaims.lifetime))
    }

    static func hash(_ ticket: String) -> Data { Data(SHA256.hash(data: Data(ticket.utf8))) }

    static let invalid: APIError = {
        var error = APIError(.unauthorized, code: "invalid_ticket", message: "The ticket is unknown, used or expired; ask for a new one.",
                             fields: ["ticket": "is not valid"])
        error.headers = [("WWW-Authenticate", "Bearer")]
        return error
    }()
}

extension APIHandler {
    func createEventTicket(_ input: Operations.CreateEventTicket.Input) async throws -> Operations.CreateEventTicket.Output {
        let user = try await Authentication.requireUser(app)
        let (ticket, expiresAt) = try await EventTickets.issue(for: user, app: app)
        return .created(.init(body: .json(.init(ticket: ticket, expiresAt: expiresAt))))
    }
}
