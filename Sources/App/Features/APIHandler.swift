import FinanceAPI
import Vapor

/// Implements the operations of `openapi.yaml`. The generated `APIProtocol` names every operation;
/// each feature folder adds its own in an extension, so a handler lives beside its feature.
struct APIHandler: APIProtocol {
    let app: Application
    let documents: OpenAPIDocuments
}
