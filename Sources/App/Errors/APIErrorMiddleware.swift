import OpenAPIRuntime
import Vapor

/// Turns every error, ours or the framework's, into the one JSON error shape.
/// Unexpected errors are logged in full and answered with a generic 500 that names no internals.
struct APIErrorMiddleware: Middleware {
    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        next.respond(to: request).flatMapErrorThrowing { error in
            let apiError = Self.apiError(for: error)
            if apiError.status == .internalServerError {
                request.logger.error("Unhandled error: \(Self.loggable(error))")
            } else if apiError.status.code >= 500 {
                request.logger.warning("\(apiError.code): \(Self.loggable(error))")
            } else {
                request.logger.debug("\(apiError.status.code) \(apiError.code): \(apiError.message)")
            }
            return Self.response(for: apiError, request: request)
        }
    }

    /// What a log may say about an unexpected error. The generated server's `ServerError` describes
    /// the whole request, headers and all (bearer tokens included): only its operation and cause go
    /// to the log.
    static func loggable(_ error: any Error) -> String {
        if let error = error as? ServerError {
            return "operation \(error.operationID): \(loggable(error.underlyingError))"
        }
        return String(reflecting: error)
    }

    static func response(for error: APIError, request: Request) -> Response {
        let envelope = ErrorEnvelope(error: .init(
            code: error.code, message: error.message,
            fields: error.fields.isEmpty ? nil : error.fields, requestId: request.requestID
        ))
        let response = Response(status: error.status)
        for (name, value) in error.headers { response.headers.replaceOrAdd(name: name, value: value) }
        do {
            try response.content.encode(envelope, as: .json)
        } catch {
            response.body = .init(string: #"{"error":{"code":"internal_error","message":"Error could not be encoded."}}"#)
            response.headers.contentType = .json
        }
        return response
    }

    /// Maps any error to the API's error; the OpenAPI layer's wrapper is unwrapped first.
    static func apiError(for error: any Error) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as any APIErrorConvertible:
            return error.apiError
        case let error as ServerError:
            return apiError(forServerError: error)
        case let error as DecodingError:
            return decodingError(error)
        case let error as any AbortError:
            return abort(error)
        default:
            return .internalError
        }
    }

    private static func apiError(forServerError error: ServerError) -> APIError {
        let underlying = error.underlyingError
        // A request whose parameters, or whose body as a whole, have the wrong type or shape does
        // not match the document (400); a field of the body that does gets its name (422).
        if error.operationInput == nil, let decoding = underlying as? DecodingError, decoding.codingPath.isEmpty,
           decodingError(decoding).status == .unprocessableEntity {
            return APIError(.badRequest, code: "bad_request", message: "The request does not match the API: \(error.causeDescription).")
        }
        if underlying is APIError || underlying is DecodingError || underlying is any AbortError || underlying is any APIErrorConvertible {
            return apiError(for: underlying)
        }
        // Everything else the generated code throws before our handler runs is a request that does
        // not match the document: a missing or mistyped parameter, a wrong content type, a bad body.
        if error.operationInput == nil {
            return APIError(.badRequest, code: "bad_request", message: "The request does not match the API: \(error.causeDescription).")
        }
        return .internalError
    }

    private static func abort(_ error: any AbortError) -> APIError {
        var apiError: APIError
        switch error.status {
        case .notFound:
            apiError = APIError(.notFound, code: "not_found", message: "No such route or resource.")
        case .methodNotAllowed:
            apiError = APIError(.methodNotAllowed, code: "method_not_allowed", message: "That method is not allowed here.")
        case .payloadTooLarge:
            apiError = APIError(.payloadTooLarge, code: "payload_too_large", message: "The request body is too large.")
        case .unsupportedMediaType:
            apiError = APIError(.unsupportedMediaType, code: "unsupported_media_type", message: "That content type is not supported here.")
        case .badRequest:
            apiError = APIError(.badRequest, code: "bad_request", message: error.reason)
        default:
            let status = error.status
            let isServerError = status.code >= 500
            apiError = APIError(
                status, code: isServerError ? "internal_error" : "http_\(status.code)",
                message: isServerError ? APIError.internalError.message : error.reason
            )
        }
        apiError.headers = error.headers.map { ($0.name, $0.value) }.filter { $0.0.lowercased() != "content-type" }
        return apiError
    }

    private static func decodingError(_ error: DecodingError) -> APIError {
        func path(_ codingPath: [any CodingKey]) -> String {
            let joined = codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return joined.isEmpty ? "body" : joined.replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let field = path(context.codingPath + [key])
            return .validation([field: "is required"], message: "A required field is missing.")
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return .validation([path(context.codingPath): "has the wrong type"], message: "A field has the wrong type.")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return .malformedBody("it could not be parsed")
            }
            return .validation([path(context.codingPath): context.debugDescription])
        @unknown default:
            return .malformedBody("it could not be decoded")
        }
    }
}

extension DecodingError {
    /// Where in the decoded value the error is; empty at the top.
    var codingPath: [any CodingKey] {
        switch self {
        case .keyNotFound(let key, let context): context.codingPath + [key]
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context): context.codingPath
        @unknown default: []
        }
    }
}
