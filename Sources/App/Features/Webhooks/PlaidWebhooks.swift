import FinanceAPI
import FinanceCore
import Fluent
import Foundation
import PlaidKit
import SQLKit
import Vapor

/// What a verified Plaid webhook makes the server do, in one database transaction with the record
/// of its delivery (so a delivery is acted on exactly once, or not at all and again on redelivery).
enum PlaidWebhooks {
    enum Action: String, Sendable {
        case syncQueued = "sync_queued"
        case markedLoginRequired = "marked_login_required"
        case markedError = "marked_error"
        case repaired
        case disabled
        case accountClosed = "account_closed"
        case newAccountsAvailable = "new_accounts_available"
        case ignored
    }

    struct Received: Sendable {
        let type: String
        let code: String
        let itemID: String?
        /// The account an account-level webhook (`USER_ACCOUNT_REVOKED`) names.
        var accountID: String? = nil
        let errorCode: String?
        let errorMessage: String?
        /// `WebhookVerifier.deliveryID` of the delivery's verification token.
        let deliverySHA256: String
    }

    /// Answers what was done, and whether the delivery had come before (then nothing was done).
    /// Deliveries are remembered for a day: longer than a signed token is accepted.
    static func handle(_ webhook: Received, app: Application, requestID: String?) async throws -> (action: Action, duplicate: Bool) {
        let outcome = try await handleOnce(webhook, app: app, requestID: requestID)
        // Committed: this process's worker takes a queued sync now, and the users' streams hear of the
        // change (other processes hear both through NOTIFY).
        if outcome.action == .syncQueued || outcome.action == .repaired { app.eventHub.jobsQueued() }
        for user in outcome.changed { app.eventHub.poke(user) }
        return (outcome.action, outcome.duplicate)
    }

    /// The user's data changed outside the ledger: their version rises, so reads tagged with it are
    /// fresh, and their open dashboards hear of it at commit.
    private static func changed(_ userID: UUID, _ events: [PendingEvent], on db: any Database) async throws {
        let now = Date()
        let version = try await DataVersions.bump(userID, now: now, on: db)
        try await EventOutbox.append(events, userID: userID, version: version, at: now, on: db)
    }

    private static func handleOnce(_ webhook: Received, app: Application, requestID: String?) async throws
        -> (action: Action, duplicate: Bool, changed: Set<UUID>) {
        try await app.write(as: .system) { db in
            let now = Date()
            try await db.sql.raw("DELETE FROM plaid_webhooks WHERE created_at < \(bind: now.addingTimeInterval(-86_400))").run()
            let fresh = try await db.sql.raw("""
                INSERT INTO plaid_webhooks (id, delivery_sha256, webhook_type, webhook_code, item_id, created_at)
                VALUES (\(bind: UUID.timeOrdered()), \(bind: webhook.deliverySHA256), \(bind: String(webhook.type.prefix(100))),
                        \(bind: String(webhook.code.prefix(100))), \(bind: webhook.itemID.map { String($0.prefix(200)) }), \(bind: now))
                ON CONFLICT (delivery_sha256) DO NOTHING
                RETURNING id
                """).all()
            guard !fresh.isEmpty else { return (.ignored, true, []) }
            guard let itemID = webhook.itemID else { return (.ignored, false, []) }
            let connections = try await PlaidConnection.query(on: db).filter(\.$plaidItemID == itemID).all()
            var action = Action.ignored
            var changed: Set<UUID> = []
            for connection in connections {
                action = try await apply(webhook, to: connection, on: db, requestID: requestID)
                if action != .ignored && action != .syncQueued { changed.insert(connection.userID) }
            }
            return (action, false, changed)
        }
    }

    private static func apply(_ webhook: Received, to connection: PlaidConnection, on db: any Database, requestID: String?) async throws -> Action {
        let connectionID = try connection.requireID()
        let queue = JobQueue(joining: db)
        let audit = AuditContext(userID: connection.userID, requestID: requestID, clientAddress: nil)
        let before = connection.status
        let action: Action
        switch (webhook.type, webhook.code) {
        case ("TRANSACTIONS", "SYNC_UPDATES_AVAILABLE"), ("HOLDINGS", "DEFAULT_UPDATE"),
             ("INVESTMENTS_TRANSACTIONS", "DEFAULT_UPDATE"), ("INVESTMENTS_TRANSACTIONS", "HISTORICAL_UPDATE"):
            // A connection waiting for its login, or disabled, is not synced on the bank's say-so.
            guard connection.status == .healthy || connection.status == .error else { return .ignored }
            try await queue.enqueueSync(connection: connectionID, user: connection.userID)
            return .syncQueued
        case ("ITEM", "ERROR"):
            let code = webhook.errorCode ?? "ITEM_ERROR"
            guard connection.status != .disabled else { return .ignored }
            connection.status = code == PlaidError.itemLoginRequired ? .loginRequired : .error
            connection.errorCode = String(code.prefix(100))
            connection.errorMessage = webhook.errorMessage.map { String($0.prefix(2000)) }
            action = connection.status == .loginRequired ? .markedLoginRequired : .markedError
        case ("ITEM", "LOGIN_REPAIRED"):
            guard connection.status == .loginRequired || connection.status == .error else { return .ignored }
            connection.status = .healthy
            connection.errorCode = nil
            connection.errorMessage = nil
            try await queue.enqueueSync(connection: connectionID, user: connection.userID)
            action = .repaired
        case ("ITEM", "USER_ACCOUNT_REVOKED"):
            // The person stopped sharing one account at the bank. Its history stays (nothing is lost);
            // the account is closed, out of the totals, and its balance no longer moves.
            guard let plaidAccountID = webhook.accountID,
                  let account = try await Account.query(on: db).filter(\.$plaidConnectionID == connectionID)
                      .filter(\.$plaidAccountID == plaidAccountID).first(), !account.isClosed else { return .ignored }
            account.isClosed = true
            try await account.update(on: db)
            let closed = EventValue.strings([try account.requireID().uuidString])
            try await changed(connection.userID, [PendingEvent(EventTypes.accounts, ["accounts": closed]),
                                                  PendingEvent(EventTypes.balances, ["accounts": closed])], on: db)
            try await audit.record(.update, entityType: "account", entityID: account.id, changes: [
                "is_closed": FieldChange(old: "false", new: "true"),
                "closed_because": FieldChange(old: nil, new: "USER_ACCOUNT_REVOKED"),
            ], on: db)
            return .accountClosed
        case ("ITEM", "NEW_ACCOUNTS_AVAILABLE"):
            // The bank has accounts the person has not shared with this server. The connection says
            // so (`new_accounts_available`) until they have been offered Link's account selection
            // (a link token for this connection) and a sync has run since.
            guard connection.status != .disabled else { return .ignored }
            guard connection.newAccountsAvailableAt == nil else { return .newAccountsAvailable }
            connection.newAccountsAvailableAt = Date()
            connection.accountSelectionOfferedAt = nil
            try await connection.update(on: db)
            try await changed(connection.userID, [PendingEvent(EventTypes.connections)], on: db)
            try await audit.record(.update, entityType: "connection", entityID: connectionID, changes: [
                "new_accounts_available": FieldChange(old: "false", new: "true"),
            ], on: db)
            return .newAccountsAvailable
        case ("ITEM", "USER_PERMISSION_REVOKED"):
            connection.status = .disabled
            connection.errorCode = "USER_PERMISSION_REVOKED"
            connection.errorMessage = "The person revoked this server's access at the bank."
            action = .disabled
        default:
            return .ignored
        }
        if connection.hasChanges {
            try await connection.update(on: db)
            // A connection's status is one of the user's reads: its tag follows their data version.
            try await changed(connection.userID, [PendingEvent(EventTypes.connections)], on: db)
            try await audit.record(.update, entityType: "connection", entityID: connectionID, changes: [
                "status": FieldChange(old: before.rawValue, new: connection.status.rawValue),
            ], on: db)
        }
        return action
    }
}

extension APIHandler {
    func receivePlaidWebhook(_ input: Operations.ReceivePlaidWebhook.Input) async throws -> Operations.ReceivePlaidWebhook.Output {
        let request = try RequestContext.require().request
        _ = try app.requirePlaid()
        guard let verifier = app.webhookVerifier else { throw APIError.internalError }
        // The signature covers the body's exact bytes, as sent: never a re-encoding of it.
        let body = request.body.data.map { Array($0.readableBytesView) } ?? []
        guard case .json(let hook) = input.body else { throw APIError.malformedBody("expected JSON") }
        let type = hook.webhookType ?? "", code = hook.webhookCode ?? ""
        do {
            try await verifier.verify(header: input.headers.plaidVerification, body: body)
        } catch {
            request.logger.warning("Refused a Plaid webhook", metadata: ["reason": "\(error)", "type": "\(type)", "code": "\(code)"])
            AppMetrics.recordWebhook(type: type, code: code, outcome: "refused")
            throw APIError(.unauthorized, code: "invalid_webhook", message: "The webhook is not verified: \(error).")
        }
        let received = PlaidWebhooks.Received(
            type: type, code: code, itemID: hook.itemId, accountID: hook.accountId, errorCode: hook.error?.errorCode, errorMessage: hook.error?.errorMessage,
            deliverySHA256: WebhookVerifier.deliveryID(header: input.headers.plaidVerification ?? ""))
        let (action, duplicate) = try await PlaidWebhooks.handle(received, app: app, requestID: request.requestID)
        AppMetrics.recordWebhook(type: type, code: code, outcome: duplicate ? "duplicate" : "accepted")
        if action == .ignored && !duplicate {
            request.logger.info("Plaid webhook acknowledged without action", metadata: ["type": "\(type)", "code": "\(code)"])
        }
        return .ok(.init(body: .json(.init(received: true, duplicate: duplicate, action: action.rawValue))))
    }
}
