import FinanceAPI
import FinanceCore
import Fluent
import Foundation
import PlaidKit
import Vapor

extension APIHandler {
    func createPlaidLinkToken(_ input: Operations.CreatePlaidLinkToken.Input) async throws -> Operations.CreatePlaidLinkToken.Output {
        let plaid = try app.requirePlaid()
        var form = FieldValidator()
        let connectionID = form.uuid(input.query.connectionId, field: "connection_id")
        try form.check()
        let user = try await Authentication.requireUser(app)
        // Update mode: Link repairs the login of an existing item, which needs its access token. When
        // the bank has accounts not shared yet, Link also asks which accounts to share.
        let updateMode: (accessToken: String, selectAccounts: Bool)? = if let connectionID {
            try await Authentication.withUser(app) { scope, _ in
                let connection = try await scope.find(PlaidConnection.self, connectionID, name: "connection")
                return (try app.openToken(of: connection), connection.newAccountsAvailableAt != nil)
            }
        } else { nil }
        let hosted = input.query.hosted == true
        let request = LinkTokenCreateRequest(
            clientName: "FinanceDashboard", user: .init(clientUserId: user.id.uuidString),
            products: updateMode == nil ? ["transactions"] : nil, optionalProducts: updateMode == nil ? ["investments"] : nil,
            webhook: app.settings.plaid?.webhookURL, accessToken: updateMode?.accessToken,
            update: updateMode?.selectAccounts == true ? .init(accountSelectionEnabled: true) : nil,
            hostedLink: hosted ? .init(completionRedirectUri: HostedLinkState.completionURL(for: try RequestContext.require().request, app: app)) : nil)
        let answer: LinkTokenCreateResponse
        do { answer = try await plaid.createLinkToken(request) } catch { throw APIError.plaid(error) }
        if let connectionID, updateMode?.selectAccounts == true {
            // The next sync after this offer settles the new accounts (see `new_accounts_available`).
            try await Authentication.withUser(app) { scope, _ in
                try await scope.db.sql.raw("""
                    UPDATE plaid_connections SET account_selection_offered_at = \(bind: scope.now), updated_at = \(bind: scope.now)
                    WHERE id = \(bind: connectionID) AND user_id = \(bind: scope.userID)
                    """).run()
                scope.changes.touched("connection")
            }
        }
        let expiration = ISO8601DateFormatter().date(from: answer.expiration) ?? Date().addingTimeInterval(4 * 3600)
        let state = hosted ? HostedLinkState.make(linkToken: answer.linkToken, userID: user.id, connectionID: connectionID, app: app) : nil
        return .ok(.init(body: .json(.init(linkToken: answer.linkToken, expiration: expiration, hostedLinkUrl: answer.hostedLinkUrl, state: state))))
    }

    func completePlaidHostedLink(_ input: Operations.CompletePlaidHostedLink.Input) async throws -> Operations.CompletePlaidHostedLink.Output {
        guard case .json(let body) = input.body else { throw APIError.malformedBody("expected JSON") }
        var form = FieldValidator()
        let connectionID = form.uuid(body.connectionId, field: "connection_id")
        try form.check()
        let user = try await Authentication.requireUser(app)
        guard HostedLinkState.holds(body.state, linkToken: body.linkToken, userID: user.id, connectionID: connectionID, app: app) else {
            throw APIError.notFound("link session")
        }
        let plaid = try app.requirePlaid()
        let session: LinkTokenGetResponse
        do { session = try await plaid.getLinkToken(body.linkToken) } catch { throw APIError.plaid(error) }
        guard session.finished else {
            throw APIError(.conflict, code: "link_not_finished", message: "Link has not been finished on Plaid's page yet.")
        }
        let audit = AuditContext.current(userID: user.id)
        var results: [Components.Schemas.SyncResult] = []
        if let connectionID {
            let (connection, outcome) = try await ConnectionSync(app: app, plaid: plaid).run(connectionID: connectionID, userID: user.id, audit: audit)
            results.append(Self.syncResult(try await connectionView(connection, userID: user.id), outcome))
        } else {
            for publicToken in session.publicTokens {
                let connection: PlaidConnection, outcome: SyncOutcome
                do {
                    (connection, outcome) = try await ConnectionLinking(app: app, plaid: plaid).link(publicToken: publicToken, userID: user.id, audit: audit)
                } catch let error as APIError where error.fields["public_token"] != nil {
                    throw APIError(.conflict, code: "link_already_completed", message: "This Link session was completed before; its banks are connections already.")
                }
                results.append(Self.syncResult(try await connectionView(connection, userID: user.id), outcome))
            }
        }
        return .ok(.init(body: .json(.init(results: results))))
    }

    func createPlaidSandboxPublicToken(_ input: Operations.CreatePlaidSandboxPublicToken.Input) async throws -> Operations.CreatePlaidSandboxPublicToken.Output {
        let plaid = try app.requirePlaid()
        guard plaid.configuration.environment != .production else { throw APIError.notFound() }
        var form = FieldValidator()
        guard case .json(let body) = input.body else { throw APIError.malformedBody("expected JSON") }
        let institution = form.text(body.institutionId, field: "institution_id", max: 100) ?? "ins_109508"
        if institution.isEmpty { form.fail("institution_id", "must not be empty") }
        let username = form.text(body.username, field: "username", max: 100)
        let password = form.text(body.password, field: "password", max: 100)
        try form.check()
        _ = try await Authentication.requireUser(app)
        let answer: SandboxPublicTokenCreateResponse
        do {
            answer = try await plaid.sandboxCreatePublicToken(SandboxPublicTokenCreateRequest(
                institutionId: institution, initialProducts: ["transactions", "investments"], webhook: app.settings.plaid?.webhookURL,
                username: username, password: password))
        } catch {
            // The test credentials are the client's to choose: a login they make fail is theirs too.
            if case .plaid(let plaid, _) = error, plaid.errorType == "ITEM_ERROR" {
                throw APIError.plaid(error, blaming: "password", alsoFor: ["ITEM_ERROR"])
            }
            throw APIError.plaid(error, blaming: "institution_id")
        }
        return .ok(.init(body: .json(.init(publicToken: answer.publicToken))))
    }

    func exchangePlaidPublicToken(_ input: Operations.ExchangePlaidPublicToken.Input) async throws -> Operations.ExchangePlaidPublicToken.Output {
        let plaid = try app.requirePlaid()
        guard case .json(let body) = input.body else { throw APIError.malformedBody("expected JSON") }
        var form = FieldValidator()
        let publicToken = form.text(body.publicToken, field: "public_token", max: 500)
        if publicToken?.isEmpty == true { form.fail("public_token", "must not be empty") }
        try form.check()
        let user = try await Authentication.requireUser(app)
        let (connection, outcome) = try await ConnectionLinking(app: app, plaid: plaid)
            .link(publicToken: publicToken ?? "", userID: user.id, audit: AuditContext.current(userID: user.id))
        let view = try await connectionView(connection, userID: user.id)
        return .created(.init(body: .json(Self.syncResult(view, outcome))))
    }

    func listConnections(_ input: Operations.ListConnections.Input) async throws -> Operations.ListConnections.Output {
        let views = try await Authentication.withUser(app) { scope, _ in
            let connections = try await scope.query(PlaidConnection.self).sort(\.$createdAt).sort(\.$id).all()
            let accounts = try await scope.query(Account.self).filter(\.$plaidConnectionID != nil).sort(\.$id).all()
            return try connections.map { connection in
                try ConnectionRepresentation.make(connection, accountIDs: accounts.filter { $0.plaidConnectionID == connection.id }.compactMap(\.id))
            }
        }
        return .ok(.init(body: .json(.init(items: views))))
    }

    func getConnection(_ input: Operations.GetConnection.Input) async throws -> Operations.GetConnection.Output {
        let id = try PathID.parse(input.path.id)
        let user = try await Authentication.requireUser(app)
        let connection = try await app.db.asUser(user.id) { db in
            try await UserScope(userID: user.id, db: db, audit: AuditContext.current(userID: user.id)).find(PlaidConnection.self, id, name: "connection")
        }
        return .ok(.init(body: .json(try await connectionView(connection, userID: user.id))))
    }

    func syncConnection(_ input: Operations.SyncConnection.Input) async throws -> Operations.SyncConnection.Output {
        let id = try PathID.parse(input.path.id)
        let user = try await Authentication.requireUser(app)
        // Somebody else's connection is unknown here before Plaid's configuration is looked at.
        _ = try await app.db.asUser(user.id) { db in
            try await UserScope(userID: user.id, db: db, audit: AuditContext.current(userID: user.id)).find(PlaidConnection.self, id, name: "connection")
        }
        let plaid = try app.requirePlaid()
        let (connection, outcome) = try await ConnectionSync(app: app, plaid: plaid)
            .run(connectionID: id, userID: user.id, audit: AuditContext.current(userID: user.id))
        return .ok(.init(body: .json(Self.syncResult(try await connectionView(connection, userID: user.id), outcome))))
    }

    func deleteConnection(_ input: Operations.DeleteConnection.Input) async throws -> Operations.DeleteConnection.Output {
        let id = try PathID.parse(input.path.id)
        let keepHistory = input.query.keepHistory ?? true
        let user = try await Authentication.requireUser(app)
        let audit = AuditContext.current(userID: user.id)
        let connection = try await app.db.asUser(user.id) { db in
            try await UserScope(userID: user.id, db: db, audit: audit).find(PlaidConnection.self, id, name: "connection")
        }
        // Plaid first: an item left alive there would go on being billed and sending webhooks.
        if let plaid = app.plaid {
            let token = try app.openToken(of: connection)
            do {
                try await plaid.removeItem(accessToken: token)
            } catch {
                // An item already gone at Plaid is as good as removed.
                if case .plaid(let plaidError, _) = error, [PlaidError.invalidAccessToken, "ITEM_NOT_FOUND"].contains(plaidError.errorCode) {
                } else {
                    throw APIError.plaid(error)
                }
            }
        }
        try await app.ledger.write(for: user.id, audit: audit) { scope in
            if keepHistory {
                try await LinkedAccounts.unlink(connectionID: id, in: scope)
            } else {
                let accounts = try await scope.query(Account.self).filter(\.$plaidConnectionID == id).all()
                let accountIDs = accounts.compactMap(\.id)
                if !accountIDs.isEmpty {
                    try await scope.query(Portfolio.self).filter(\.$accountID ~~ accountIDs).delete()
                    for account in accounts {
                        try await scope.delete(account, entityType: "account", view: AccountRepresentation.auditView)
                        // Its transactions went with it: the analytics that sum them follow.
                        scope.changes.transactionsChanged(in: try account.requireID(), days: nil)
                    }
                }
            }
            try await scope.delete(connection, entityType: "connection") { ConnectionAuditView(institution: $0.institutionName, item: $0.plaidItemID) }
        }
        return .noContent(.init())
    }

    private func connectionView(_ connection: PlaidConnection, userID: UUID) async throws -> Components.Schemas.Connection {
        let connectionID = try connection.requireID()
        let accountIDs = try await app.db.asUser(userID) { db in
            try await Account.query(on: db).filter(\.$userID == userID).filter(\.$plaidConnectionID == connectionID).sort(\.$id).all().compactMap(\.id)
        }
        return try ConnectionRepresentation.make(connection, accountIDs: accountIDs)
    }

    private static func syncResult(_ connection: Components.Schemas.Connection, _ outcome: SyncOutcome) -> Components.Schemas.SyncResult {
        .init(connection: connection, accounts: outcome.accounts, added: outcome.added, modified: outcome.modified, removed: outcome.removed,
              holdings: outcome.holdings, investmentTransactions: outcome.investmentTransactions)
    }
}

/// What the audit trail keeps of a deleted connection: never its token.
struct ConnectionAuditView: Encodable {
    let institution: String?
    let item: String
}

enum ConnectionRepresentation {
    static func make(_ connection: PlaidConnection, accountIDs: [UUID]) throws -> Components.Schemas.Connection {
        guard let id = connection.id, let status = Components.Schemas.ConnectionStatus(rawValue: connection.status.rawValue) else {
            throw APIError.internalError
        }
        return .init(
            id: id.uuidString, institutionId: connection.institutionID, institutionName: connection.institutionName, status: status,
            errorCode: connection.errorCode, errorMessage: connection.errorMessage, lastSyncedAt: connection.lastSyncedAt,
            lastAttemptedAt: connection.lastAttemptedAt, newAccountsAvailable: connection.newAccountsAvailableAt != nil,
            accountIds: accountIDs.map(\.uuidString),
            createdAt: connection.createdAt ?? Date(), updatedAt: connection.updatedAt ?? Date())
    }
}
