import Vapor

/// The `Accept` header, read before an operation runs: a request that rules out every media type
/// the operation answers with on success gets 406 (in the JSON error shape, whatever it asked for)
/// and nothing runs. Otherwise the header is narrowed to the types the operation produces that the
/// client accepts, best first, so the answer is one of them. A missing or empty `Accept` accepts
/// anything; `*/*`, `type/*` and q-values (q=0 refuses) work as RFC 9110 says.
struct ContentNegotiation: Middleware {
    /// "METHOD /path/{param}" → the media types of its successful answers.
    let produces: [String: Set<String>]

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        do {
            try negotiate(request)
        } catch {
            return request.eventLoop.makeFailedFuture(error)
        }
        return next.respond(to: request)
    }

    private func negotiate(_ request: Request) throws {
        guard let route = request.route, let offered = produces[AuthenticationGate.operation(route)], !offered.isEmpty,
              let header = request.headers.first(name: .accept), !header.trimmingCharacters(in: .whitespaces).isEmpty else {
            return
        }
        let ranges = MediaRange.parse(header)
        var weighed: [(type: String, quality: Int)] = []
        for type in offered {
            if let quality = MediaRange.quality(of: type, in: ranges), quality > 0 { weighed.append((type, quality)) }
        }
        let acceptable = weighed.sorted { $0.quality != $1.quality ? $0.quality > $1.quality : $0.type < $1.type }.map(\.type)
        guard !acceptable.isEmpty else {
            throw APIError(.notAcceptable, code: "not_acceptable",
                           message: "This operation answers with \(offered.sorted().joined(separator: ", ")); the Accept header allows none of them.",
                           fields: ["Accept": header])
        }
        request.headers.replaceOrAdd(name: .accept, value: acceptable.joined(separator: ", "))
    }
}

/// One media range of an `Accept` header and its weight.
struct MediaRange: Equatable {
    let type: String
    let subtype: String
    /// The weight in thousandths, 0 to 1000 (RFC 9110 allows three decimals).
    let quality: Int

    /// The ranges of a header; ranges that do not parse are left out.
    static func parse(_ header: String) -> [MediaRange] {
        header.split(separator: ",").compactMap { element in
            let parts = element.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            let name = parts[0].split(separator: "/", omittingEmptySubsequences: false)
            guard name.count == 2, !name[0].isEmpty, !name[1].isEmpty, !(name[0] == "*" && name[1] != "*") else { return nil }
            var quality = 1_000
            for parameter in parts.dropFirst() where parameter.hasPrefix("q=") {
                guard let value = thousandths(parameter.dropFirst(2)) else { return nil }
                quality = value
            }
            return MediaRange(type: String(name[0]), subtype: String(name[1]), quality: quality)
        }
    }

    /// An RFC 9110 qvalue (`0`, `0.5`, `1.000`) in thousandths, or nil when it is not one.
    static func thousandths(_ text: Substring) -> Int? {
        let pieces = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = pieces.first, whole == "0" || whole == "1" else { return nil }
        let fraction = pieces.count == 2 ? pieces[1] : ""
        guard fraction.count <= 3, fraction.allSatisfy(\.isASCII), let digits = Int(fraction.isEmpty ? "0" : String(fraction)),
              fraction.allSatisfy(\.isNumber) else { return nil }
        let value = (whole == "1" ? 1_000 : 0) + digits * [1, 100, 10, 1][fraction.count]
        return value <= 1_000 ? value : nil
    }

    /// The weight the most specific range matching `mediaType` gives it, or nil when none matches.
    static func quality(of mediaType: String, in ranges: [MediaRange]) -> Int? {
        let name = mediaType.split(separator: ";")[0].split(separator: "/").map(String.init)
        guard name.count == 2 else { return nil }
        var best: (specificity: Int, quality: Int)?
        for range in ranges {
            let specificity: Int
            if range.type == name[0] && range.subtype == name[1] { specificity = 2 }
            else if range.type == name[0] && range.subtype == "*" { specificity = 1 }
            else if range.type == "*" { specificity = 0 }
            else { continue }
            if best.map({ specificity > $0.specificity }) ?? true { best = (specificity, range.quality) }
        }
        return best?.quality
    }
}

/// A path the document knows, asked with a method it lacks, answers 405 with `Allow` rather than
/// the router's 404.
struct MethodNotAllowed: Middleware {
    struct Path {
        let components: [Substring]
        let methods: Set<String>
    }

    let paths: [Path]
    /// The paths without parameters (`/api/v1/investments/summary`), which win over a template that
    /// would also match them (`/api/v1/investments/{id}`), and their methods.
    let literals: [String: Set<String>]

    init(paths: [(template: String, methods: Set<String>)]) {
        self.paths = paths.map { Path(components: $0.template.split(separator: "/"), methods: $0.methods) }
        literals = Dictionary(paths.filter { !$0.template.contains("{") }.map { ($0.template, $0.methods) }, uniquingKeysWith: { $0.union($1) })
    }

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let path = request.url.path
        if let methods = literals[path], !Self.allowed(methods).contains(request.method.rawValue) {
            return request.eventLoop.makeFailedFuture(Self.refusal(request, allowed: methods))
        }
        let paths = self.paths
        return next.respond(to: request).flatMapErrorThrowing { error in
            guard let abort = error as? any AbortError, abort.status == .notFound, request.route == nil else { throw error }
            let components = path.split(separator: "/")
            var allowed: Set<String> = []
            for template in paths where template.components.count == components.count
                && zip(template.components, components).allSatisfy({ $0.hasPrefix("{") || $0 == $1 }) {
                allowed.formUnion(template.methods)
            }
            guard !allowed.isEmpty else { throw abort }
            throw Self.refusal(request, allowed: allowed)
        }
    }

    /// The router answers HEAD wherever it answers GET.
    private static func allowed(_ methods: Set<String>) -> Set<String> {
        methods.contains("GET") ? methods.union(["HEAD"]) : methods
    }

    private static func refusal(_ request: Request, allowed methods: Set<String>) -> APIError {
        var error = APIError(.methodNotAllowed, code: "method_not_allowed",
                             message: "\(request.method.rawValue) is not a method of \(request.url.path).")
        error.headers = [("Allow", allowed(methods).sorted().joined(separator: ", "))]
        return error
    }
}
