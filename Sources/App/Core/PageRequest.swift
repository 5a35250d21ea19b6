import Foundation

/// The API's one pagination style: `limit` (1 to 500, default 50) and an opaque `cursor`
/// that names the last item of the previous page; answers carry `next_cursor` while more remain.
struct PageRequest: Sendable {
    static let defaultLimit = 50
    static let maximumLimit = 500

    let limit: Int
    /// Items strictly after this one (in the listing's order) come next.
    let after: UUID?

    init(limit: Int?, cursor: String?) throws {
        let limit = limit ?? Self.defaultLimit
        guard (1...Self.maximumLimit).contains(limit) else {
            throw APIError.validation(["limit": "must be from 1 to \(Self.maximumLimit)"])
        }
        self.limit = limit
        if let cursor, !cursor.isEmpty {
            guard let id = Self.decode(cursor) else { throw APIError(.badRequest, code: "invalid_cursor", message: "The cursor is not one this server gave out.", fields: ["cursor": "is not valid"]) }
            self.after = id
        } else {
            self.after = nil
        }
    }

    static func cursor(after id: UUID) -> String {
        Data(id.uuidString.utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
    }

    private static func decode(_ cursor: String) -> UUID? {
        var text = cursor
        while text.count % 4 != 0 { text += "=" }
        guard let data = Data(base64Encoded: text) else { return nil }
        return UUID(uuidString: String(decoding: data, as: UTF8.self))
    }
}
