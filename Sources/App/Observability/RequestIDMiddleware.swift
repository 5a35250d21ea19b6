import Vapor

/// Puts the request id (from `X-Request-Id` when the client sent a sane one, generated otherwise)
/// on the response, so a client can quote it and an operator can find the request's log lines.
/// Outermost middleware: error responses carry it too.
struct RequestIDMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let id = Self.isAcceptable(request.id) ? request.id : UUID().uuidString
        if id != request.id {
            request.logger[metadataKey: "request-id"] = .string(id)
        }
        request.storage[RequestIDKey.self] = id
        let response = try await next.respond(to: request)
        response.headers.replaceOrAdd(name: .xRequestId, value: id)
        return response
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
struct BodySizeLimitMiddleware: AsyncMiddleware {
    let maxBytes: Int

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if let length = request.headers.first(name: .contentLength).flatMap(Int.init), length > maxBytes {
            throw APIError.payloadTooLarge(limit: maxBytes)
        }
        if request.body.data == nil, request.method != .GET, request.method != .HEAD {
            do {
                _ = try await request.body.collect(max: maxBytes).get()
            } catch let error as any AbortError where error.status == .payloadTooLarge {
                throw APIError.payloadTooLarge(limit: maxBytes)
            }
        }
        return try await next.respond(to: request)
    }
}

private struct RequestIDKey: StorageKey {
    typealias Value = String
}

extension Request {
    /// The id this request is known by in responses and logs.
    var requestID: String { storage[RequestIDKey.self] ?? id }
}
