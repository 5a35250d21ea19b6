/// The health of a link to a financial institution through Plaid.
public enum ConnectionStatus: String, CaseIterable, Codable, Sendable {
    /// Syncing normally.
    case healthy
    /// The institution wants the person to log in again (`ITEM_LOGIN_REQUIRED`); syncing pauses until repaired.
    case loginRequired = "login_required"
    /// The last sync failed for another reason; it will be retried.
    case error
    /// Access was revoked or the link removed; never synced again.
    case disabled
}
