import FinanceCore

/// An error of a layer below HTTP (the ledger, sync, writes) and the answer the API gives for it.
/// Those layers throw their own types; only here, in the HTTP layer, do they become `APIError`.
protocol APIErrorConvertible: Error {
    var apiError: APIError { get }
}

extension WriteBusy: APIErrorConvertible {
    var apiError: APIError { .busy }
}

extension SyncError: APIErrorConvertible {
    var apiError: APIError {
        switch self {
        case .connectionNotFound:
            .notFound("connection")
        case .connectionDisabled:
            APIError(.conflict, code: "connection_disabled", message: "Access to this connection was revoked; link the bank again to sync it.")
        case .overtaken:
            APIError(.conflict, code: "sync_in_progress", message: "Another sync of this connection finished first; nothing changed by this one.")
        case .plaid(let error):
            .plaid(error)
        case .unreadable(let detail):
            APIError(.badGateway, code: "plaid_unreadable", message: "\(detail); nothing changed.")
        }
    }
}

extension LedgerError: APIErrorConvertible {
    var apiError: APIError {
        switch self {
        case .balanceOutOfRange: .validation(["amount": "would take the account's balance beyond what can be recorded"])
        }
    }
}

extension ImportFailure: APIErrorConvertible {
    var apiError: APIError { .importFailed(self) }
}

extension ImportError: APIErrorConvertible {
    var apiError: APIError {
        switch self {
        case .accountLinked: .validation(["account_id": "is linked to an institution; its transactions come from there"])
        case .currencyMismatch(let statement, let account): .validation(["file": "is a statement in \(statement), the account is in \(account)"])
        }
    }
}
