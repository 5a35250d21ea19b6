import Vapor

/// Refuses text that holds the NUL character (U+0000), in a JSON body (`\u0000`) or in the URL
/// (`%00`), before anything runs: PostgreSQL cannot store it in text, and SQLite's text functions
/// stop at it, so it could only end as a constraint error. A body holding it answers 422 naming it;
/// a URL holding it does not match the API (400).
struct NulCharacterGuard: Middleware {
    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        if request.url.string.range(of: "%00", options: .caseInsensitive) != nil {
            return request.eventLoop.makeFailedFuture(APIError(
                .badRequest, code: "bad_request", message: "The request does not match the API: the URL holds the NUL character (%00)."))
        }
        if request.headers.contentType?.subType.hasSuffix("json") == true, let body = request.body.data,
           Self.holdsEscapedNul(body.readableBytesView) {
            return request.eventLoop.makeFailedFuture(APIError.validation(["body": "must not hold the NUL character (\\u0000)"]))
        }
        return next.respond(to: request)
    }

    /// Whether JSON text holds the escape `\u0000` (and not an escaped backslash followed by `u0000`).
    static func holdsEscapedNul(_ bytes: some Collection<UInt8>) -> Bool {
        let text = Array(bytes)
        var index = 0
        while index < text.count {
            guard text[index] == UInt8(ascii: "\\") else {
                index += 1
                continue
            }
            // An escape: the backslash and the character after it.
            if index + 5 < text.count, text[index + 1] == UInt8(ascii: "u"),
               text[(index + 2)...(index + 5)].allSatisfy({ $0 == UInt8(ascii: "0") }) {
                return true
            }
            index += 2
        }
        return false
    }
}
