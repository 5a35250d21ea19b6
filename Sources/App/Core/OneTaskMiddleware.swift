import Vapor

/// Middleware that must await (the request's context, the bearer token's session, the report cache,
/// the events stream), run one after another in one task. Vapor runs each `AsyncMiddleware` of a
/// chain in a task of its own, bridged by a future: under a burst of requests each waiting on the
/// database, those tasks and their copies of the task-local values were a third of the server's
/// memory at the peak.
struct OneTaskMiddleware: AsyncMiddleware {
    let stages: [any AsyncMiddleware]

    init(_ stages: any AsyncMiddleware...) {
        self.stages = stages
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        try await Self.run(stages[...], request, next)
    }

    private static func run(_ stages: ArraySlice<any AsyncMiddleware>, _ request: Request, _ next: any AsyncResponder) async throws -> Response {
        guard let stage = stages.first else { return try await next.respond(to: request) }
        return try await stage.respond(to: request, chainingTo: AsyncBasicResponder { request in
            try await run(stages.dropFirst(), request, next)
        })
    }
}
