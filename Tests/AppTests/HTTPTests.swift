@testable import App
import Foundation
import HTTPTypes
import OpenAPIRuntime
import Testing
import Vapor
import VaporTesting

@Suite("HTTP skeleton")
struct HTTPTests {
    struct ErrorBody: Decodable {
        struct Inner: Decodable {
            let code: String
            let message: String
            let fields: [String: String]?
            let request_id: String?
        }
        let error: Inner
    }

    @Test("Liveness, and readiness that checks the database", arguments: TestBackend.all)
    func health(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            try await app.testing().test(.GET, "/health/live") { response async throws in
                #expect(response.status == .ok)
                struct Live: Decodable { let status: String }
                #expect(try JSONDecoder().decode(Live.self, from: Data(response.body.readableBytesView)).status == "ok")
            }
            try await app.testing().test(.GET, "/health/ready") { response async throws in
                #expect(response.status == .ok)
                struct Ready: Decodable { struct Database: Decodable { let engine: String; let status: String }; let database: Database }
                let ready = try response.content.decode(Ready.self)
                #expect(ready.database.engine == backend.rawValue)
                #expect(ready.database.status == "ok")
            }
        }
    }

    @Test("Readiness answers 503 in the error shape when the database cannot be reached")
    func notReady() async throws {
        let app = try await Application.make(.testing)
        app.logger.logLevel = .critical
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("finance-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        do {
            // Nothing listens on port 1.
            try await configure(app, settings: Settings.load(from: [
                "FINANCE_DATA_DIR": folder, "DATABASE_URL": "postgres://nobody:x@127.0.0.1:1/none?tlsmode=disable",
            ]))
            try await app.testing().test(.GET, "/health/ready") { response async throws in
                #expect(response.status == .serviceUnavailable)
                #expect(try response.content.decode(ErrorBody.self).error.code == "service_unavailable")
            }
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }

    @Test("Unknown routes and malformed JSON answer in the one error shape, with the request id")
    func errorShape() async throws {
        try await withTestApp(.sqlite) { app in
            try await app.testing().test(.POST, "/api/v1/nowhere", headers: ["Content-Type": "application/json"], body: ByteBuffer(string: "{bad")) { response async throws in
                #expect(response.status == .notFound)
                #expect(response.headers.contentType == .json)
                let body = try response.content.decode(ErrorBody.self)
                #expect(body.error.code == "not_found")
                #expect(body.error.request_id == response.headers.first(name: "X-Request-Id"))
            }
            try await app.testing().test(.DELETE, "/health/live") { response async throws in
                #expect(response.status.code >= 400 && response.status.code < 500)
                #expect(try response.content.decode(ErrorBody.self).error.code.isEmpty == false)
            }
        }
    }

    @Test("An Accept header that rules out every type an operation answers with gets 406 before anything runs; wildcards and q-values work")
    func contentNegotiation() async throws {
        try await withTestApp(.sqlite) { app in
            let client = TestClient(app: app)
            let register: [String: Any] = ["email": "accept@example.com", "password": "correct horse battery", "full_name": "Accept"]
            let refused = try await client.send(.POST, "/api/v1/auth/register", json: register, headers: [("Accept", "text/plain")])
            #expect(refused.status == .notAcceptable)
            #expect(refused.errorCode == "not_acceptable")
            // Nothing ran: the same address registers afterwards.
            for accept in ["text/plain, application/*;q=0.2", "*/*", "application/json;q=0.5"] {
                let body = register.merging(["email": "accept-\(accept.count)@example.com"]) { $1 }
                #expect(try await client.send(.POST, "/api/v1/auth/register", json: body, headers: [("Accept", accept)]).status == .created, "\(accept)")
            }
            #expect(try await client.send(.POST, "/api/v1/auth/register", json: register).status == .created)
            #expect(try await client.send(.GET, "/docs", headers: [("Accept", "application/json")]).status == .notAcceptable)
            #expect(try await client.send(.GET, "/docs", headers: [("Accept", "text/*")]).status == .ok)
            #expect(try await client.send(.GET, "/openapi.json", headers: [("Accept", "application/json;q=0, text/html")]).status == .notAcceptable)
            #expect(try await client.send(.GET, "/openapi.json", headers: [("Accept", "")]).status == .ok)
        }
    }

    @Test("Text holding the NUL character is refused and changes nothing: 422 in a body, 400 in the URL", arguments: TestBackend.all)
    func nulCharacter(backend: TestBackend) async throws {
        try await withTestApp(backend) { app in
            let client = TestClient(app: app)
            let ada = try await client.signUp()
            let refused = try await client.send(.POST, "/api/v1/accounts", token: ada.accessToken,
                                                json: ["name": "\u{0}\u{13}.", "type": "checking", "currency": "USD"])
            #expect(refused.status == .unprocessableEntity)
            #expect(refused.errorFields["body"] != nil)
            #expect((try await client.send(.GET, "/api/v1/accounts", token: ada.accessToken)["items"] as? [Any])?.isEmpty == true)
            #expect(try await client.send(.GET, "/api/v1/transactions?q=a%00b", token: ada.accessToken).status == .badRequest)
            // A backslash followed by u0000 is text like any other.
            let literal = try await client.send(.POST, "/api/v1/accounts", token: ada.accessToken,
                                                json: ["name": "C:\\u0000", "type": "checking", "currency": "USD"])
            #expect(literal.status == .created)
        }
    }

    @Test("A known path asked with a method it lacks answers 405 with Allow; an unknown path 404")
    func methodNotAllowed() async throws {
        try await withTestApp(.sqlite) { app in
            let client = TestClient(app: app)
            let trace = try await client.send(.TRACE, "/api/v1/accounts")
            #expect(trace.status == .methodNotAllowed)
            #expect(trace.errorCode == "method_not_allowed")
            #expect(trace.headers.first(name: "Allow") == "GET, HEAD, POST")
            let put = try await client.send(.PUT, "/api/v1/accounts/\(UUID())")
            #expect(put.status == .methodNotAllowed)
            #expect(put.headers.first(name: "Allow")?.contains("PATCH") == true)
            #expect(try await client.send(.TRACE, "/api/v1/nothing-here").status == .notFound)
        }
    }

    @Test("A sane X-Request-Id is echoed; an unsafe one is replaced")
    func requestID() async throws {
        try await withTestApp(.sqlite) { app in
            try await app.testing().test(.GET, "/health/live", headers: ["X-Request-Id": "abc-123_x.y"]) { response async throws in
                #expect(response.headers.first(name: "X-Request-Id") == "abc-123_x.y")
            }
            try await app.testing().test(.GET, "/health/live", headers: ["X-Request-Id": "bad id\u{7}"]) { response async throws in
                let id = try #require(response.headers.first(name: "X-Request-Id"))
                #expect(id != "bad id\u{7}")
                #expect(UUID(uuidString: id) != nil)
            }
            try await app.testing().test(.GET, "/health/live") { response async throws in
                #expect(response.headers.first(name: "X-Request-Id")?.isEmpty == false)
            }
        }
    }

    @Test("Bodies over the limit are refused before any handler reads them")
    func bodyLimit() async throws {
        try await withTestApp(.sqlite) { app in
            let limit = app.settings.maxBodySize
            let body = ByteBuffer(repeating: UInt8(ascii: "a"), count: limit + 1)
            try await app.testing().test(.POST, "/health/live", body: body) { response async throws in
                #expect(response.status == .payloadTooLarge)
                #expect(try response.content.decode(ErrorBody.self).error.code == "payload_too_large")
            }
        }
    }

    @Test("The OpenAPI document is served as JSON and YAML, and the docs page lists its operations")
    func documents() async throws {
        try await withTestApp(.sqlite) { app in
            var paths: [String] = []
            try await app.testing().test(.GET, "/openapi.json") { response async throws in
                #expect(response.status == .ok)
                let object = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                #expect((object?["openapi"] as? String)?.hasPrefix("3.") == true)
                let documentPaths = object?["paths"] as? [String: Any] ?? [:]
                paths = documentPaths.keys.sorted()
                #expect(paths.contains("/health/ready"))
            }
            try await app.testing().test(.GET, "/openapi.yaml") { response async throws in
                #expect(response.status == .ok)
                #expect(response.body.string.hasPrefix("openapi: 3."))
            }
            try await app.testing().test(.GET, "/docs") { response async throws in
                #expect(response.status == .ok)
                #expect(response.headers.contentType?.subType == "html")
                for path in paths { #expect(response.body.string.contains("<code>\(path)</code>"), "\(path)") }
            }
        }
    }

    @Test("The lists the middleware reads from the document's nodes equal those read from its JSON")
    func documentListsMatchItsJSON() throws {
        let document = try OpenAPIDocuments.load()
        let tree = try #require(try JSONSerialization.jsonObject(with: document.json()) as? [String: Any])
        let requiredByDefault = !((tree["security"] as? [Any]) ?? []).isEmpty
        var protected: Set<String> = [], produces: [String: Set<String>] = [:], marks: [String: Set<String>] = [:]
        var paths: [String: Set<String>] = [:]
        for (path, item) in tree["paths"] as? [String: [String: Any]] ?? [:] {
            paths[path] = Set(item.keys.filter(OpenAPIDocuments.httpMethods.contains).map { $0.uppercased() })
            for (method, value) in item where OpenAPIDocuments.httpMethods.contains(method) {
                let operation = try #require(value as? [String: Any])
                let name = "\(method.uppercased()) \(path)"
                if (operation["security"] as? [Any]).map({ !$0.isEmpty }) ?? requiredByDefault { protected.insert(name) }
                if let mark = operation["x-finance-cache"] as? String { marks[mark, default: []].insert(name) }
                var types: Set<String> = []
                for (status, response) in operation["responses"] as? [String: Any] ?? [:] where status.hasPrefix("2") {
                    types.formUnion(((response as? [String: Any])?["content"] as? [String: Any] ?? [:]).keys.map { $0.lowercased() })
                }
                produces[name] = types
            }
        }
        #expect(document.protectedOperations == protected)
        #expect(document.produces == produces)
        #expect(document.cachedOperations == marks["data-version"] ?? [])
        #expect(document.taggedOperations == marks["tag"] ?? [])
        #expect(document.uncachedOperations == marks["none"] ?? [])
        #expect(Dictionary(document.paths.map { ($0.template, $0.methods) }, uniquingKeysWith: { $0.union($1) }) == paths)
        // Not empty by mistake: the document has public and protected operations, cached and not.
        #expect(!protected.isEmpty && protected.count < produces.count && !(marks["data-version"] ?? []).isEmpty)
    }

    @Test("Every route the server registers is an operation of the document, or the dashboard's page and files")
    func routesMatchDocument() async throws {
        try await withTestApp(.sqlite) { app in
            let document = try OpenAPIDocuments.load()
            let object = try JSONSerialization.jsonObject(with: document.json()) as? [String: Any]
            let paths = object?["paths"] as? [String: [String: Any]] ?? [:]
            var documented: Set<String> = []
            for (path, item) in paths {
                for method in item.keys where OpenAPIDocuments.httpMethods.contains(method) {
                    documented.insert("\(method.uppercased()) \(path)")
                }
            }
            // The dashboard: its page at each of its routes, and its files.
            let dashboard = Set(DashboardFiles.pageRoutes.map { "GET /" + $0.map { $0 == ":id" ? "{id}" : $0 }.joined(separator: "/") } + ["GET /app/**"])
            let registered = Set(app.routes.all.map { route in
                "\(route.method.rawValue) /" + route.path.map { component in
                    if case .parameter(let name) = component { return "{\(name)}" }
                    return component.description
                }.joined(separator: "/")
            })
            #expect(registered.subtracting(dashboard) == documented)
            #expect(registered.isSuperset(of: dashboard))
            #expect(dashboard.allSatisfy { !$0.hasPrefix("GET /api/") })
        }
    }

    @Test("Metrics are Prometheus text with request counts by route and status, and the session checks asked and run")
    func metrics() async throws {
        try await withTestApp(.sqlite) { app in
            try await app.testing().test(.GET, "/health/live") { _ async throws in }
            let client = TestClient(app: app)
            let user = try await client.signUp()
            for _ in 0..<2 { #expect(try await client.send(.GET, "/api/v1/accounts", token: user.accessToken).status == .ok) }
            try await app.testing().test(.GET, "/metrics") { response async throws in
                #expect(response.status == .ok)
                #expect(response.headers.contentType?.subType == "plain")
                let text = response.body.string
                #expect(text.contains("# TYPE http_requests_total counter"))
                #expect(text.contains(#"http_requests_total{method="GET",path="/health/live",status="200"}"#))
                #expect(text.contains("finance_db_pool_max_connections"))
                // Counters of the whole process (other tests' requests count too): at least this test's.
                func counter(_ name: String) -> Int? {
                    text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Int($0.split(separator: " ").last ?? "") }
                }
                let asked = counter(#"finance_session_checks_total{of="asked"}"#), run = counter(#"finance_session_checks_total{of="run"}"#)
                #expect((asked ?? 0) >= 2, "\(text)")
                #expect((run ?? 0) >= 1)
            }
        }
    }
}

@Suite("Logs of unexpected errors")
struct ErrorLogTests {
    @Test("An unexpected error is logged with its operation and cause, never with the request's token")
    func noTokenInLogs() {
        struct Boom: Error, CustomDebugStringConvertible { var debugDescription: String { "boom" } }
        var request = HTTPRequest(method: .get, scheme: nil, authority: nil, path: "/api/v1/accounts")
        request.headerFields[.authorization] = "Bearer secret-token-value"
        let error = ServerError(operationID: "listAccounts", request: request, requestBody: nil, requestMetadata: .init(),
                                operationInput: nil, operationOutput: nil, causeDescription: "User handler threw an error.",
                                underlyingError: Boom())
        let logged = APIErrorMiddleware.loggable(error)
        #expect(logged == "operation listAccounts: boom")
        #expect(!logged.contains("secret-token-value"))
    }
}
