import FinanceCore
import Vapor

/// The one error the API answers with: an HTTP status, a stable machine-readable code,
/// a message for people, and the fields at fault. Rendered by `APIErrorMiddleware` as
/// `{"error": {"code": "...", "message": "...", "fields": {...}, "request_id": "..."}}`.
public struct APIError: Error, Sendable, Equatable {
    public let status: HTTPResponseStatus
    public let code: String
    public let message: String
    public let fields: [String: String]
    public var headers: [(String, String)] = []

    public init(_ status: HTTPResponseStatus, code: String, message: String, fields: [String: String] = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields
    }

    public static func == (lhs: APIError, rhs: APIError) -> Bool {
        lhs.status == rhs.status && lhs.code == rhs.code && lhs.message == rhs.message && lhs.fields == rhs.fields
    }

    public static func validation(_ fields: [String: String], message: String = "Some fields are not valid.") -> APIError {
        APIError(.unprocessableEntity, code: "validation_failed", message: message, fields: fields)
    }

    public static func malformedBody(_ detail: String) -> APIError {
        APIError(.badRequest, code: "malformed_body", message: "The request body is not valid JSON of the expected shape: \(detail)")
    }

    public static func notFound(_ what: String = "resource") -> APIError {
        APIError(.notFound, code: "not_found", message: "No such \(what).")
    }

    public static func payloadTooLarge(limit: Int) -> APIError {
        APIError(.payloadTooLarge, code: "payload_too_large", message: "The request body is larger than \(limit) bytes.")
    }

    public static let internalError = APIError(
        .internalServerError, code: "internal_error",
        message: "Something went wrong on the server. The request id identifies it in the server's logs."
    )

    /// A write that could not have its turn in time (`WriteBusy`): nothing was written; try again.
    public static let busy: APIError = {
        var error = APIError(.serviceUnavailable, code: "busy",
                             message: "The server is busy with other changes to this data; nothing was written. Try again shortly.")
        error.headers = [("Retry-After", "1")]
        return error
    }()

    public static let serviceUnavailable = APIError(
        .serviceUnavailable, code: "service_unavailable", message: "The database cannot be reached."
    )
}

/// The JSON body of every error response.
struct ErrorEnvelope: Content {
    struct Body: Codable {
        let code: String
        let message: String
        let fields: [String: String]?
        let requestId: String?

        enum CodingKeys: String, CodingKey {
            case code, message, fields
            case requestId = "request_id"
        }
    }
    let error: Body
}

extension APIError {
    /// A file that cannot be imported: one `import_failed` error naming each problem by its line
    /// (`line 12`), or `file` for the file as a whole. Nothing was imported.
    static func importFailed(_ failure: ImportFailure) -> APIError {
        var fields: [String: String] = [:]
        for problem in failure.problems.prefix(100) {
            let key = problem.line == 0 ? "file" : "line \(problem.line)"
            let text = problem.field.map { "\($0): \(problem.message)" } ?? problem.message
            fields[key] = fields[key].map { "\($0); \(text)" } ?? text
        }
        return APIError(.unprocessableEntity, code: "import_failed",
                        message: "The file has \(failure.problems.count) problem(s); nothing was imported.", fields: fields)
    }
}
