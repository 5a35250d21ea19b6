import FinanceCore
import Fluent
import Foundation

/// A link to one institution through Plaid (a Plaid "item"). The access token is kept only sealed.
final class PlaidConnection: UserOwnedModel, @unchecked Sendable {
    static let schema = "plaid_connections"

    @ID(key: .id) var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "plaid_item_id") var plaidItemID: String
    @Field(key: "access_token_ciphertext") var accessTokenCiphertext: Data
    @Field(key: "access_token_key_id") var accessTokenKeyID: String
    @OptionalField(key: "institution_id") var institutionID: String?
    @OptionalField(key: "institution_name") var institutionName: String?
    @Enum(key: "status") var status: ConnectionStatus
    @OptionalField(key: "error_code") var errorCode: String?
    @OptionalField(key: "sync_cursor") var syncCursor: String?
    @OptionalField(key: "error_message") var errorMessage: String?
    @OptionalField(key: "last_synced_at") var lastSyncedAt: Date?
    @OptionalField(key: "last_attempted_at") var lastAttemptedAt: Date?
    /// Since when Plaid says the bank has accounts the person has not shared (`NEW_ACCOUNTS_AVAILABLE`).
    @OptionalField(key: "new_accounts_available_at") var newAccountsAvailableAt: Date?
    /// When a Link token last opened update mode with account selection for this connection.
    @OptionalField(key: "account_selection_offered_at") var accountSelectionOfferedAt: Date?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    /// A new, healthy connection to the item, its access token sealed.
    init(userID: UUID, itemID: String, sealed: AccessTokenVault.Sealed, institutionID: String? = nil, institutionName: String? = nil) {
        self.id = UUID.timeOrdered()
        self.userID = userID
        self.plaidItemID = itemID
        self.accessTokenCiphertext = sealed.ciphertext
        self.accessTokenKeyID = sealed.keyID
        self.institutionID = institutionID
        self.institutionName = institutionName.map { String($0.prefix(200)) }
        self.status = .healthy
    }

    var sealedToken: AccessTokenVault.Sealed {
        AccessTokenVault.Sealed(ciphertext: accessTokenCiphertext, keyID: accessTokenKeyID)
    }
}
