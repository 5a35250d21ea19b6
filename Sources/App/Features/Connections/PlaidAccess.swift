import AsyncHTTPClient
import Foundation
import PlaidKit
import Vapor

extension Application {
    private struct PlaidClientKey: StorageKey { typealias Value = PlaidClient }
    private struct VaultKey: StorageKey { typealias Value = AccessTokenVault }
    private struct VerifierKey: StorageKey { typealias Value = WebhookVerifier }

    /// Checks Plaid's webhooks against the keys Plaid serves (fetched once each); nil without Plaid.
    var webhookVerifier: WebhookVerifier? {
        get { storage[VerifierKey.self] }
        set { storage[VerifierKey.self] = newValue }
    }

    /// The Plaid client the settings describe, or `nil` when Plaid is not configured.
    var plaid: PlaidClient? {
        get { storage[PlaidClientKey.self] }
        set { storage[PlaidClientKey.self] = newValue }
    }

    /// The Plaid client, or a 404 that says how to configure one: to a server without Plaid, linking
    /// banks is not there, which is no fault of the server's (not a 5xx).
    func requirePlaid() throws -> PlaidClient {
        guard let plaid else {
            throw APIError(.notFound, code: "plaid_not_configured",
                           message: "Linking banks needs Plaid: set PLAID_ENV, PLAID_CLIENT_ID and PLAID_SECRET.")
        }
        return plaid
    }

    /// Seals and opens Plaid access tokens with the configured encryption keys.
    var tokenVault: AccessTokenVault {
        get { configured(VaultKey.self, "the vault") }
        set { storage[VaultKey.self] = newValue }
    }

    /// Called by `configure`: the vault from the secrets, the client from the settings.
    func configurePlaid(settings: Settings) {
        tokenVault = AccessTokenVault(current: secrets.encryptionKey, previous: secrets.previousEncryptionKeys)
        guard let plaid = settings.plaid, let environment = PlaidConfiguration.Environment(plaid.environment) else { return }
        let client = PlaidClient(
            configuration: PlaidConfiguration(environment: environment, clientID: plaid.clientID, secret: plaid.secret),
            httpClient: HTTPClient.shared, logger: Logger(label: "plaid")
        )
        self.plaid = client
        let keys = WebhookKeyCache(client: client)
        webhookVerifier = WebhookVerifier { id in try await keys.key(id: id) }
    }
}

extension Application {
    /// The connection's access token, opened; a 503 naming the missing key when it cannot be.
    func openToken(of connection: PlaidConnection) throws -> String {
        do {
            return try tokenVault.open(connection.sealedToken, userID: connection.userID, itemID: connection.plaidItemID)
        } catch {
            throw APIError(.serviceUnavailable, code: "encryption_key_missing",
                           message: "The bank's access token cannot be opened with the configured encryption keys: \(error)")
        }
    }
}

extension APIError {
    /// Plaid refused what the client sent (`field`): a 422 naming it, with Plaid's code.
    /// Anything else is Plaid's or the bank's failure: `plaid(_:)`.
    static func plaid(_ error: PlaidClientError, blaming field: String, alsoFor types: Set<String> = []) -> APIError {
        if case .plaid(let plaid, _) = error, types.union(["INVALID_INPUT", "INVALID_REQUEST"]).contains(plaid.errorType) {
            return APIError(.unprocessableEntity, code: "plaid_" + plaid.errorCode.lowercased(),
                            message: "Plaid refused the \(field): \(plaid.errorMessage)", fields: [field: plaid.errorMessage])
        }
        return .plaid(error)
    }

    /// Plaid refused or failed a call: 502 with Plaid's error code, never a token.
    static func plaid(_ error: PlaidClientError) -> APIError {
        switch error {
        case .plaid(let plaid, _):
            APIError(.badGateway, code: "plaid_" + plaid.errorCode.lowercased(),
                     message: "Plaid answered \(plaid.errorCode): \(plaid.displayMessage ?? plaid.errorMessage)")
        case .transport, .unexpectedStatus, .undecodable:
            APIError(.badGateway, code: "plaid_unavailable", message: "Plaid could not be reached or answered unexpectedly: \(error)")
        }
    }
}
