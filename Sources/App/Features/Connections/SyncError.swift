import PlaidKit

/// Why a sync applied nothing. The sync throws these; the HTTP layer turns them into its answers
/// (`APIErrorConvertible`) and the job worker decides from them whether to try again.
enum SyncError: Error, Sendable, CustomStringConvertible {
    /// No connection of the user's has that id.
    case connectionNotFound
    /// Access to the connection was revoked; only linking the bank again brings it back.
    case connectionDisabled
    /// Another sync of the connection, from the same cursor, committed first.
    case overtaken
    /// Plaid refused, failed or could not be reached.
    case plaid(PlaidClientError)
    /// Plaid's answer could not be read as what it should be.
    case unreadable(String)

    /// Trying again would not help until something else happens: the person logs in again, links
    /// the bank again, or the connection is gone.
    var waitsForThePerson: Bool {
        switch self {
        case .connectionNotFound, .connectionDisabled: true
        case .plaid(.plaid(let error, _)):
            [PlaidError.itemLoginRequired, "USER_PERMISSION_REVOKED", PlaidError.invalidAccessToken].contains(error.errorCode)
        case .overtaken, .plaid, .unreadable: false
        }
    }

    /// The failure lies with Plaid (refused, unreachable, unreadable), not with the connection here.
    var isPlaidFailure: Bool {
        switch self {
        case .plaid, .unreadable: true
        case .connectionNotFound, .connectionDisabled, .overtaken: false
        }
    }

    var description: String {
        switch self {
        case .connectionNotFound: "no such connection"
        case .connectionDisabled: "access to the connection was revoked"
        case .overtaken: "another sync of the connection finished first"
        case .plaid(let error): "Plaid: \(error)"
        case .unreadable(let detail): "Plaid's answer was unreadable: \(detail)"
        }
    }
}
