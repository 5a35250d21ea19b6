import FinanceAPI
import Vapor

extension APIHandler {
    func openAPIDocumentJSON(_ input: Operations.OpenAPIDocumentJSON.Input) async throws -> Operations.OpenAPIDocumentJSON.Output {
        .ok(.init(body: .json(try documents.object())))
    }

    func openAPIDocumentYAML(_ input: Operations.OpenAPIDocumentYAML.Input) async throws -> Operations.OpenAPIDocumentYAML.Output {
        .ok(.init(body: .yaml(.init(documents.yaml))))
    }

    func asyncAPIDocument(_ input: Operations.AsyncAPIDocument.Input) async throws -> Operations.AsyncAPIDocument.Output {
        .ok(.init(body: .yaml(.init(documents.asyncAPIYAML))))
    }

    func docsPage(_ input: Operations.DocsPage.Input) async throws -> Operations.DocsPage.Output {
        .ok(.init(body: .html(.init(try documents.html()))))
    }
}
