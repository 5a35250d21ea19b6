import FinanceCore
import Fluent
import Foundation
import PlaidKit
import Vapor

/// Links a bank: exchanges Link's public token, keeps the connection with its access token sealed,
/// and runs the first sync. The connection stands even if that first sync fails: the failure is
/// recorded on it, and the next sync starts from nothing.
struct ConnectionLinking: Sendable {
    let app: Application
    let plaid: PlaidClient

    func link(publicToken: String, userID: UUID, audit: AuditContext) async throws -> (PlaidConnection, SyncOutcome) {
        let exchanged: PublicTokenExchangeResponse
        let item: ItemGetResponse
        do {
            exchanged = try await plaid.exchangePublicToken(publicToken)
        } catch {
            throw APIError.plaid(error, blaming: "public_token")
        }
        do {
            item = try await plaid.item(accessToken: exchanged.accessToken)
        } catch {
            throw APIError.plaid(error)
        }
        var named = item.item.institutionName
        if named == nil, let institutionID = item.item.institutionId {
            named = try? await plaid.institution(id: institutionID).institution.name
        }
        let institutionName = named
        let sealed = try app.tokenVault.seal(exchanged.accessToken, userID: userID, itemID: exchanged.itemId)
        let connectionID = try await app.ledger.write(for: userID, audit: audit) { scope in
            if try await scope.query(PlaidConnection.self).filter(\.$plaidItemID == exchanged.itemId).first() != nil {
                throw APIError(.conflict, code: "already_linked", message: "This bank link is already a connection of yours.")
            }
            let connection = PlaidConnection(userID: userID, itemID: exchanged.itemId, sealed: sealed,
                                             institutionID: item.item.institutionId, institutionName: institutionName)
            try await scope.create(connection, entityType: "connection")
            return try connection.requireID()
        }
        var outcome = SyncOutcome()
        var connection: PlaidConnection
        do {
            (connection, outcome) = try await ConnectionSync(app: app, plaid: plaid).run(connectionID: connectionID, userID: userID, audit: audit)
        } catch let error as SyncError where error.isPlaidFailure {
            // Tried again in the background, as for any failed sync.
            try await JobQueue(app: app).enqueueSync(connection: connectionID, user: userID, runAt: Date().addingTimeInterval(60))
            connection = try await app.db.asUser(userID) { db in
                try await UserScope(userID: userID, db: db, audit: audit).find(PlaidConnection.self, connectionID, name: "connection")
            }
        }
        return (connection, outcome)
    }
}
