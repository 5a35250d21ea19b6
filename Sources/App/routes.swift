import FinanceAPI
import OpenAPIVapor
import Vapor

/// Every route comes from `openapi.yaml`: the generated code registers one Vapor route per operation
/// and hands it to `APIHandler`.
func routes(_ app: Application) throws {
    let documents = try OpenAPIDocuments.load()
    let handler = APIHandler(app: app, documents: documents)
    let transport = VaporTransport(routesBuilder: app.grouped(AuthenticationGate(protectedOperations: documents.protectedOperations)))
    try handler.registerHandlers(on: transport, serverURL: Servers.Server1.url())
}
