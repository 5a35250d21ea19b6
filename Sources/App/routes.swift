import FinanceAPI
import OpenAPIRuntime
import OpenAPIVapor
import Vapor

/// Every route comes from `openapi.yaml`: the generated code registers one Vapor route per operation
/// and hands it to `APIHandler`.
func routes(_ app: Application) throws {
    let documents = try OpenAPIDocuments.load()
    let handler = APIHandler(app: app, documents: documents)
    // Before an operation runs: its Accept header, then (in one task) its request's context and its bearer token.
    // Then, for the reads marked so, their entity tag and the report cache.
    let cache = ReportCache(capacityBytes: app.settings.reportCacheBytes)
    app.reportCache = cache
    app.ledgerCommits.observe { commit in cache.dropAnswers(of: commit.userID, before: commit.version) }
    let hub = app.eventHub
    app.ledgerCommits.observe { commit in hub.poke(commit.userID) }
    let transport = VaporTransport(routesBuilder: app.grouped(
        ContentNegotiation(produces: documents.produces),
        OneTaskMiddleware(
            RequestContextMiddleware(),
            AuthenticationGate(protectedOperations: documents.protectedOperations),
            EventsEndpoint(),
            ReportCacheMiddleware(operations: documents.cachedOperations, taggedOnly: documents.taggedOperations,
                                  contract: documents.yaml, cache: cache))))
    // Inside the error middleware, so that its 405 gets the error shape.
    app.middleware.use(MethodNotAllowed(paths: documents.paths))
    // Compact JSON, keys in the order the document lists them (sorted and indented, the runtime's
    // default, cost a fifth of the CPU of a page of transactions), and timestamps written by hand.
    try handler.registerHandlers(on: transport, serverURL: Servers.Server1.url(),
                                 configuration: OpenAPIRuntime.Configuration(dateTranscoder: TimestampTranscoder(), jsonEncodingOptions: []))
    app.serveDashboard(try DashboardFiles(root: app.settings.webRoot))
}
