@testable import App
import Foundation
import Testing
import Vapor
import VaporTesting

/// Calls the API the way a client does, through the whole middleware stack, with JSON in and out.
struct TestClient {
    let app: Application

    struct Reply {
        let status: HTTPStatus
        let headers: HTTPHeaders
        let json: [String: Any]
        /// The body as text (CSV, HTML...).
        let text: String

        subscript(key: String) -> Any? { json[key] }
        var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
        var errorFields: [String: String] { (json["error"] as? [String: Any])?["fields"] as? [String: String] ?? [:] }
    }

    @discardableResult
    func send(_ method: HTTPMethod, _ path: String, token: String? = nil, json: [String: Any]? = nil,
              headers extra: [(String, String)] = [], file: String? = nil,
              fileType: HTTPMediaType = HTTPMediaType(type: "application", subType: "octet-stream")) async throws -> Reply {
        var headers = HTTPHeaders()
        if let token { headers.add(name: .authorization, value: "Bearer \(token)") }
        for (name, value) in extra { headers.add(name: name, value: value) }
        var body = ByteBuffer()
        if let json {
            headers.contentType = .json
            body = ByteBuffer(data: try JSONSerialization.data(withJSONObject: json))
        }
        if let file {
            headers.contentType = fileType
            body = ByteBuffer(string: file)
        }
        var reply: Reply?
        try await app.testing().test(method, path, headers: headers, body: body) { response async throws in
            let object = (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any] ?? [:]
            reply = Reply(status: response.status, headers: response.headers, json: object, text: String(buffer: response.body))
        }
        return try #require(reply)
    }

    /// Registers and logs in a new user; answers their tokens and id.
    func signUp(email: String = "user-\(UUID().uuidString.prefix(8))@example.com", password: String = "correct horse battery") async throws -> SignedIn {
        let registered = try await send(.POST, "/api/v1/auth/register", json: ["email": email, "password": password, "full_name": "Test Person"])
        #expect(registered.status == .created, "\(registered.json)")
        let login = try await send(.POST, "/api/v1/auth/login", json: ["email": email, "password": password])
        #expect(login.status == .ok, "\(login.json)")
        return SignedIn(
            id: try #require(UUID(uuidString: registered["id"] as? String ?? "")),
            email: email, password: password,
            accessToken: try #require(login["access_token"] as? String),
            refreshToken: try #require(login["refresh_token"] as? String)
        )
    }

    struct SignedIn {
        let id: UUID
        let email: String
        let password: String
        var accessToken: String
        var refreshToken: String
    }
}

extension TestClient {
    /// Creates a manual account through the API and answers its id.
    func account(_ user: SignedIn, name: String, type: String, opening: String = "0", currency: String = "USD") async throws -> String {
        let reply = try await send(.POST, "/api/v1/accounts", token: user.accessToken,
                                   json: ["name": name, "type": type, "currency": currency, "opening_balance": opening])
        #expect(reply.status == .created, "\(reply.json)")
        return try #require(reply["id"] as? String)
    }

    /// Creates a transaction through the API and answers its id.
    @discardableResult
    func transaction(_ user: SignedIn, account: String, date: String, amount: String, description: String,
                     merchant: String? = nil, category: String? = nil) async throws -> String {
        var json: [String: Any] = ["account_id": account, "date": date, "amount": amount, "description": description]
        if let merchant { json["merchant_name"] = merchant }
        if let category { json["category"] = category }
        let reply = try await send(.POST, "/api/v1/transactions", token: user.accessToken, json: json)
        #expect(reply.status == .created, "\(reply.json)")
        return try #require(reply["id"] as? String)
    }
}
