import Vapor

/// Puts the request id (from `X-Request-Id` when the client sent a sane one, generated otherwise)
/// on the response, so a client can quote it and an operator can find the request's log lines.
/// Outermost middleware: error responses carry it too. (Like every middleware here that awaits
/// nothing, it chains futures: Vapor runs each `AsyncMiddleware` in a task of its own.)
struct RequestIDMiddleware: Middleware {
    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let id = Self.isAcceptable(request.id) ? request.id : UUID().uuidString
        if id != request.id {
            request.logger[metadataKey: "request-id"] = .string(id)
        }
        request.storage[RequestIDKey.self] = id
        return next.respond(to: request).map { response in
            response.headers.replaceOrAdd(name: .xRequestId, value: id)
            return response
        }
    }

    /// An id a client sent is kept only if it is short and plain; otherwise a new one is made.
    static func isAcceptable(_ id: String) -> Bool {
        (1...128).contains(id.utf8.count) && id.utf8.allSatisfy { byte in
            (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || byte == 45 || byte == 46 || byte == 95
        }
    }
}

/// Refuses request bodies over the configured size before any handler reads them.
/// The API's routes stream their bodies, so Vapor's own collection limit does not apply to them.
struct BodySizeLimitMiddleware: Middleware {
    let maxBytes: Int

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let maxBytes = self.maxBytes
        if let length = request.headers.first(name: .contentLength).flatMap(Int.init), length > maxBytes {
            return request.eventLoop.makeFailedFuture(APIError.payloadTooLarge(limit: maxBytes))
        }
        guard request.body.data == nil, request.method != .GET, request.method != .HEAD else { return next.respond(to: request) }
        return request.body.collect(max: maxBytes)
            .flatMapErrorThrowing { error in
                if let abort = error as? any AbortError, abort.status == .payloadTooLarge { throw APIError.payloadTooLarge(limit: maxBytes) }
                throw error
            }
            .flatMap { _ in next.respond(to: request) }
    }
}

private struct RequestIDKey: StorageKey {
    typealias Value = String
}

extension Request {
    /// The id this request is known by in responses and logs.
    var requestID: String { storage[RequestIDKey.self] ?? id }
}
