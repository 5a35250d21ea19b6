import Crypto
import FinanceCore
import Vapor

/// HTTP caching of the reads marked `x-finance-cache: data-version` in `openapi.yaml` (and, without
/// keeping the answer, of those marked `x-finance-cache: tag`, such as a streamed export).
///
/// Every answer of a user's data depends on nothing but that data, the day and the request, and
/// every change to the data raises the user's data version in the database, in the same transaction
/// (`LedgerWriter`). So the tag of an answer is a hash of the contract, the user, their version, the
/// day, the request's path and query and its Accept header, and it is known as soon as the request
/// is authenticated (the session check reads the version in the same statement):
///
/// - `If-None-Match` naming it answers 304 at once, without computing the report;
/// - else an answer kept under it in this process's `ReportCache` is sent as it is, encoded once;
/// - else, when a read of the same tag is computing it, that answer is awaited and sent;
/// - else the operation runs, and its 200 is kept (and handed to the reads that waited for it).
///
/// Processes share nothing but the database, and that is enough: a write on one raises the version
/// every other reads next, so none can serve an answer from before it.
struct ReportCacheMiddleware: AsyncMiddleware {
    let operations: Set<String>
    /// Operations tagged and answered 304, whose answers are not kept.
    let taggedOnly: Set<String>
    /// A hash of the contract: a new version of the server with other answers makes other tags.
    let contractTag: String
    let cache: ReportCache

    static let cacheControl = "private, no-cache"

    init(operations: Set<String>, taggedOnly: Set<String> = [], contract: String, cache: ReportCache) {
        self.operations = operations
        self.taggedOnly = taggedOnly
        self.contractTag = SHA256.hash(data: Data(contract.utf8)).hex
        self.cache = cache
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard request.method == .GET, let route = request.route else { return try await next.respond(to: request) }
        let operation = AuthenticationGate.operation(route)
        let keep = operations.contains(operation)
        guard keep || taggedOnly.contains(operation) else { return try await next.respond(to: request) }
        let app = request.application
        let user = try await Authentication.requireUser(app)
        let tag = entityTag(user: user, today: app.clock.today, request: request)
        let held = Self.entityTags(request.headers[.ifNoneMatch])
        if held.contains(tag) {
            cache.count(.notModified)
            return notModified(tag)
        }
        guard keep else {
            let response = try await next.respond(to: request)
            if response.status == .ok { Self.label(&response.headers, tag) }
            return response
        }
        if let answer = cache.answer(for: tag) {
            cache.count(.hit)
            return answered(answer, tag: tag, held: held)
        }
        let turn = await cache.turn(for: tag)
        if case .shared(let answer) = turn {
            cache.count(.shared)
            return answered(answer, tag: tag, held: held)
        }
        cache.count(.miss)
        var made: ReportCache.Answer?
        defer { if case .compute = turn { cache.computed(made, for: tag) } }
        let response = try await next.respond(to: request)
        guard response.status == .ok else { return response }
        guard let body = try await response.body.collect(on: request.eventLoop).get() else { return response }
        response.body = .init(buffer: body)
        let answer = ReportCache.Answer(contentType: response.headers.first(name: .contentType) ?? "application/json", body: body)
        cache.keep(answer, for: tag, userID: user.id, version: user.dataVersion)
        made = answer
        if held.contains("*") { return notModified(tag) }
        Self.label(&response.headers, tag)
        return response
    }

    /// An answer computed before (kept, or by a read of the same tag under way), sent as it is.
    private func answered(_ answer: ReportCache.Answer, tag: String, held: Set<String>) -> Response {
        if held.contains("*") { return notModified(tag) }
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .contentType, value: answer.contentType)
        Self.label(&headers, tag)
        return Response(status: .ok, headers: headers, body: .init(buffer: answer.body))
    }

    /// `"` + 40 hex digits + `"`: the first 20 bytes of SHA-256 over what the answer depends on.
    func entityTag(user: AuthenticatedUser, today: LocalDate, request: Request) -> String {
        let accept = request.headers[.accept].joined(separator: ",")
        let input = [contractTag, user.id.uuidString, String(user.dataVersion), "\(today)", request.url.string, accept].joined(separator: "\n")
        let digest = SHA256.hash(data: Data(input.utf8)).prefix(20)
        return "\"" + digest.hex + "\""
    }

    /// The entity tags of `If-None-Match` (RFC 9110 §13.1.2), compared weakly: `W/` is dropped.
    static func entityTags(_ values: [String]) -> Set<String> {
        var tags: Set<String> = []
        for value in values {
            for part in value.split(separator: ",") {
                var tag = part.trimmingCharacters(in: .whitespaces)
                if tag.hasPrefix("W/") { tag.removeFirst(2) }
                if !tag.isEmpty { tags.insert(tag) }
            }
        }
        return tags
    }

    private func notModified(_ tag: String) -> Response {
        var headers = HTTPHeaders()
        Self.label(&headers, tag)
        return Response(status: .notModified, headers: headers)
    }

    private static func label(_ headers: inout HTTPHeaders, _ tag: String) {
        headers.replaceOrAdd(name: .eTag, value: tag)
        headers.replaceOrAdd(name: .cacheControl, value: cacheControl)
    }
}

extension Application {
    private struct ReportCacheKey: StorageKey { typealias Value = ReportCache }

    /// Set once by `routes`, before any request.
    var reportCache: ReportCache {
        get { configured(ReportCacheKey.self, "the report cache") }
        set { storage[ReportCacheKey.self] = newValue }
    }
}
