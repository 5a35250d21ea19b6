import FinanceAPI
import OpenAPIVapor
import Vapor

/// Every route comes from `openapi.yaml`: the generated code registers one Vapor route per operation
/// and hands it to `APIHandler`.
func routes(_ app: Application) throws {
    let handler = APIHandler(app: app, documents: try OpenAPIDocuments.load())
    let transport = VaporTransport(routesBuilder: app)
    try handler.registerHandlers(on: transport, serverURL: Servers.Server1.url())
}
