import Foundation

/// The API's one pagination style: `limit` (1 to 500, default 50) and an opaque `cursor`
/// that names the last item of the previous page; answers carry `next_cursor` while more remain.
struct PageRequest: Sendable {
    static let defaultLimit = 50
    static let maximumLimit = 500

    let limit: Int
    /// The decoded cursor: the parts that name the last item of the previous page, in the listing's terms.
    let cursor: [String]?

    /// For listings ordered by a time-ordered id alone.
    var after: UUID? { cursor?.first.flatMap(UUID.init(uuidString:)) }

    static let invalidCursor = APIError(.badRequest, code: "invalid_cursor", message: "The cursor is not one this server gave out.",
                                        fields: ["cursor": "is not valid"])

    init(limit: Int?, cursor: String?) throws {
        let limit = limit ?? Self.defaultLimit
        guard (1...Self.maximumLimit).contains(limit) else {
            throw APIError.validation(["limit": "must be from 1 to \(Self.maximumLimit)"])
        }
        self.limit = limit
        if let cursor, !cursor.isEmpty {
            guard let parts = Self.decode(cursor) else { throw Self.invalidCursor }
            self.cursor = parts
        } else {
            self.cursor = nil
        }
    }

    static func cursor(after id: UUID) -> String { encode([id.uuidString]) }

    /// Opaque to clients: base64url of the parts joined by `|`.
    static func encode(_ parts: [String]) -> String {
        Data(parts.joined(separator: "|").utf8).base64URLEncodedString
    }

    private static func decode(_ cursor: String) -> [String]? {
        var text = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        guard let data = Data(base64Encoded: text), let string = String(data: data, encoding: .utf8) else { return nil }
        let parts = string.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        return parts.isEmpty ? nil : parts
    }
}
