import Vapor

/// The Vapor request behind the OpenAPI operation being handled. The generated handlers see only
/// their typed input; what lives on the connection (the bearer token, the client address, the request id)
/// is reached through this task-local value, set for every request of the API by `RequestContextMiddleware`.
struct RequestContext: Sendable {
    let request: Request

    @TaskLocal static var current: RequestContext?

    static func require() throws -> RequestContext {
        guard let current else { throw APIError.internalError }
        return current
    }

    var clientAddress: String? { request.remoteAddress?.ipAddress }
    var requestID: String { request.requestID }
    var userAgent: String? { request.headers.first(name: .userAgent).map { String($0.prefix(300)) } }
}

struct RequestContextMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        try await RequestContext.$current.withValue(RequestContext(request: request)) {
            try await next.respond(to: request)
        }
    }
}
