import Foundation

extension Data {
    /// Base64 with the URL-safe alphabet and no padding (RFC 4648 §5): tokens, tickets, cursors and
    /// MACs that travel in URLs, headers and cookies.
    var base64URLEncodedString: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
