import Vapor

/// The headers every answer carries, the dashboard's first: its page runs only its own code and
/// styles, talks only to this server, and cannot be framed. A finance page that loads nobody else's
/// code is a promise the Content-Security-Policy makes checkable.
struct SecurityHeaders: Middleware {
    static let contentSecurityPolicy = [
        "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
        "font-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
    ].joined(separator: "; ")

    static let fixed: [(String, String)] = [
        ("Content-Security-Policy", contentSecurityPolicy),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Cross-Origin-Resource-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
    ]

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        next.respond(to: request).map { response in
            for (name, value) in Self.fixed where !response.headers.contains(name: name) {
                response.headers.replaceOrAdd(name: name, value: value)
            }
            // Behind a proxy that ends TLS: browsers keep to HTTPS from then on.
            if WebSessionCookie.isHTTPS(request) {
                response.headers.replaceOrAdd(name: .strictTransportSecurity, value: "max-age=31536000")
            }
            return response
        }
    }
}
