import FinanceAPI
import Foundation
import NIOConcurrencyHelpers
import OpenAPIRuntime
import Yams

/// The API's contract, read once at start from the document the code is generated from,
/// and served as YAML, as JSON and as a readable HTML page.
struct OpenAPIDocuments: Sendable {
    let yaml: String
    /// The AsyncAPI document of the events stream.
    let asyncAPIYAML: String
    let json: Data
    /// The document as the runtime's JSON value, and the readable page: made at their first request,
    /// not at every start of every command.
    private let rendered: Rendered
    /// "METHOD /path/{param}" of every operation whose security requires a bearer token.
    let protectedOperations: Set<String>
    /// "METHOD /path/{param}" of every operation, and the media types its successful answers carry
    /// (none for an answer without a body).
    let produces: [String: Set<String>]
    /// Every path of the document, and the methods it has.
    let paths: [(template: String, methods: Set<String>)]
    /// "METHOD /path/{param}" of every operation marked `x-finance-cache: data-version`: its answers
    /// carry an `ETag` and are kept in the report cache (`ReportCacheMiddleware`).
    let cachedOperations: Set<String>
    /// "METHOD /path/{param}" of every operation marked `x-finance-cache: tag`: its answers carry an
    /// `ETag` and answer 304, but are not kept (streamed answers such as exports).
    let taggedOperations: Set<String>
    /// "METHOD /path/{param}" of every operation marked `x-finance-cache: none`: endless streams.
    let uncachedOperations: Set<String>

    static func load() throws -> OpenAPIDocuments {
        let yaml = try APIDocument.yaml()
        guard let parsed = try Yams.load(yaml: yaml), let tree = jsonCompatible(parsed) as? [String: Any] else {
            throw DocumentError.notAnObject
        }
        let json = try JSONSerialization.data(withJSONObject: tree, options: [.sortedKeys])
        return OpenAPIDocuments(
            yaml: yaml, asyncAPIYAML: try APIDocument.asyncAPIYAML(), json: json, rendered: Rendered(),
            protectedOperations: protectedOperations(tree), produces: produces(tree),
            paths: (tree["paths"] as? [String: Any] ?? [:]).map { path, item in
                (path, Set((item as? [String: Any] ?? [:]).keys.filter(httpMethods.contains).map { $0.uppercased() }))
            },
            cachedOperations: operations(tree) { $0["x-finance-cache"] as? String == "data-version" },
            taggedOperations: operations(tree) { $0["x-finance-cache"] as? String == "tag" },
            uncachedOperations: operations(tree) { $0["x-finance-cache"] as? String == "none" }
        )
    }

    /// The document as the runtime's JSON value.
    func object() throws -> OpenAPIObjectContainer {
        try Self.once(rendered.object) { try JSONDecoder().decode(OpenAPIObjectContainer.self, from: json) }
    }

    /// The document as a readable HTML page.
    func html() throws -> String {
        try Self.once(rendered.html) {
            guard let tree = try JSONSerialization.jsonObject(with: json) as? [String: Any] else { throw DocumentError.notAnObject }
            return DocsPage(document: tree).render()
        }
    }

    /// What `box` keeps, made by `make` the first time.
    private static func once<Value>(_ box: NIOLockedValueBox<Value?>, _ make: () throws -> Value) throws -> Value {
        try box.withLockedValue { kept in
            if let kept { return kept }
            let made = try make()
            kept = made
            return made
        }
    }

    private final class Rendered: Sendable {
        let object = NIOLockedValueBox<OpenAPIObjectContainer?>(nil)
        let html = NIOLockedValueBox<String?>(nil)
    }

    /// The keys of a path item that are operations (the others are `parameters`, `summary`...).
    static let httpMethods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    /// An operation needs a token when its own `security` (or else the document's) lists a requirement.
    private static func protectedOperations(_ tree: [String: Any]) -> Set<String> {
        let requiredByDefault = !((tree["security"] as? [Any]) ?? []).isEmpty
        var result: Set<String> = []
        for (path, item) in tree["paths"] as? [String: Any] ?? [:] {
            for (method, operation) in item as? [String: Any] ?? [:] where httpMethods.contains(method) {
                guard let operation = operation as? [String: Any] else { continue }
                let required = (operation["security"] as? [Any]).map { !$0.isEmpty } ?? requiredByDefault
                if required { result.insert("\(method.uppercased()) \(path)") }
            }
        }
        return result
    }

    private static func operations(_ tree: [String: Any], where marked: ([String: Any]) -> Bool) -> Set<String> {
        var result: Set<String> = []
        for (path, item) in tree["paths"] as? [String: Any] ?? [:] {
            for (method, operation) in item as? [String: Any] ?? [:] where httpMethods.contains(method) {
                if let operation = operation as? [String: Any], marked(operation) { result.insert("\(method.uppercased()) \(path)") }
            }
        }
        return result
    }

    private static func produces(_ tree: [String: Any]) -> [String: Set<String>] {
        var result: [String: Set<String>] = [:]
        for (path, item) in tree["paths"] as? [String: Any] ?? [:] {
            for (method, operation) in item as? [String: Any] ?? [:] where httpMethods.contains(method) {
                var types: Set<String> = []
                for (status, response) in (operation as? [String: Any])?["responses"] as? [String: Any] ?? [:] where status.hasPrefix("2") {
                    types.formUnion(((response as? [String: Any])?["content"] as? [String: Any] ?? [:]).keys.map { $0.lowercased() })
                }
                result["\(method.uppercased()) \(path)"] = types
            }
        }
        return result
    }

    /// YAML allows keys that are not strings (`200:`); JSON does not.
    private static func jsonCompatible(_ value: Any) -> Any {
        switch value {
        case let dictionary as [AnyHashable: Any]:
            var result: [String: Any] = [:]
            for (key, value) in dictionary { result[String(describing: key.base)] = jsonCompatible(value) }
            return result
        case let array as [Any]:
            return array.map(jsonCompatible)
        default:
            return value
        }
    }

    enum DocumentError: Error {
        case notAnObject
    }
}
