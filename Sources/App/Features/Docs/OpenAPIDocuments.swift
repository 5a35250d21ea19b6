import FinanceAPI
import Foundation
import NIOConcurrencyHelpers
import OpenAPIRuntime
import Yams

/// The API's contract, read once at start from the document the code is generated from,
/// and served as YAML, as JSON and as a readable HTML page.
///
/// Every command starts the application, so reading it must be cheap: the lists the middleware
/// needs are read from the document's node tree (`Yams.compose`), without building Swift values of
/// every node, which resolves each scalar's type with regular expressions; the JSON and the page are
/// made at their first request. (Building the whole tree and its JSON at start was about two thirds
/// of a `finance import` process's CPU before it read its file.)
struct OpenAPIDocuments: Sendable {
    let yaml: String
    /// The AsyncAPI document of the events stream.
    let asyncAPIYAML: String
    /// The document as JSON, its value for the runtime, and the readable page: made at their first
    /// request, not at every start of every command.
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
        guard let root = try Yams.compose(yaml: yaml), root.mapping != nil else { throw DocumentError.notAnObject }
        let operations = operations(root)
        return OpenAPIDocuments(
            yaml: yaml, asyncAPIYAML: try APIDocument.asyncAPIYAML(), rendered: Rendered(),
            protectedOperations: protectedOperations(root, operations), produces: produces(operations),
            paths: entries(value(root, "paths")).map { path, item in
                (path, Set(entries(item).map(\.key).filter(httpMethods.contains).map { $0.uppercased() }))
            },
            cachedOperations: marked(operations, cache: "data-version"),
            taggedOperations: marked(operations, cache: "tag"),
            uncachedOperations: marked(operations, cache: "none")
        )
    }

    /// The document as JSON, keys sorted.
    func json() throws -> Data {
        try Self.once(rendered.json) {
            guard let parsed = try Yams.load(yaml: yaml), let tree = Self.jsonCompatible(parsed) as? [String: Any] else {
                throw DocumentError.notAnObject
            }
            return try JSONSerialization.data(withJSONObject: tree, options: [.sortedKeys])
        }
    }

    /// The document as the runtime's JSON value.
    func object() throws -> OpenAPIObjectContainer {
        try Self.once(rendered.object) { try JSONDecoder().decode(OpenAPIObjectContainer.self, from: try json()) }
    }

    /// The document as a readable HTML page.
    func html() throws -> String {
        try Self.once(rendered.html) {
            guard let tree = try JSONSerialization.jsonObject(with: try json()) as? [String: Any] else { throw DocumentError.notAnObject }
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
        let json = NIOLockedValueBox<Data?>(nil)
        let object = NIOLockedValueBox<OpenAPIObjectContainer?>(nil)
        let html = NIOLockedValueBox<String?>(nil)
    }

    /// The keys of a path item that are operations (the others are `parameters`, `summary`...).
    static let httpMethods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    /// One operation of the document: "METHOD /path/{param}" and its node.
    private typealias Operation = (name: String, node: Node)

    /// The value under `key` of a mapping node, found by the key's text as written.
    private static func value(_ node: Node?, _ key: String) -> Node? {
        node?.mapping?.first { $0.key.scalar?.string == key }?.value
    }

    /// A mapping node's entries, keys as written; none for another node.
    private static func entries(_ node: Node?) -> [(key: String, value: Node)] {
        node?.mapping?.compactMap { pair in pair.key.scalar.map { ($0.string, pair.value) } } ?? []
    }

    private static func operations(_ root: Node) -> [Operation] {
        entries(value(root, "paths")).flatMap { path, item in
            entries(item).filter { httpMethods.contains($0.key) }.map { method, operation in ("\(method.uppercased()) \(path)", operation) }
        }
    }

    /// An operation needs a token when its own `security` (or else the document's) lists a requirement.
    private static func protectedOperations(_ root: Node, _ operations: [Operation]) -> Set<String> {
        let requiredByDefault = value(root, "security")?.sequence.map { !$0.isEmpty } ?? false
        return Set(operations.filter { value($0.node, "security")?.sequence.map { !$0.isEmpty } ?? requiredByDefault }.map(\.name))
    }

    /// The operations whose `x-finance-cache` is `cache`.
    private static func marked(_ operations: [Operation], cache: String) -> Set<String> {
        Set(operations.filter { value($0.node, "x-finance-cache")?.scalar?.string == cache }.map(\.name))
    }

    private static func produces(_ operations: [Operation]) -> [String: Set<String>] {
        var result: [String: Set<String>] = [:]
        for (name, operation) in operations {
            var types: Set<String> = []
            for (status, response) in entries(value(operation, "responses")) where status.hasPrefix("2") {
                types.formUnion(entries(value(response, "content")).map { $0.key.lowercased() })
            }
            result[name] = types
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
