import Foundation

/// The OpenAPI document this module's types and server protocol are generated from,
/// shipped as a resource so the server can publish exactly the contract it implements.
public enum APIDocument {
    public static func yaml() throws -> String {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml") else {
            throw CocoaError(.fileNoSuchFile)
        }
        return try String(contentsOf: url, encoding: .utf8)
    }

    /// The AsyncAPI document of the live events stream, served beside the OpenAPI one.
    public static func asyncAPIYAML() throws -> String {
        guard let url = Bundle.module.url(forResource: "asyncapi", withExtension: "yaml") else {
            throw CocoaError(.fileNoSuchFile)
        }
        return try String(contentsOf: url, encoding: .utf8)
    }
}
