import Foundation
import NIOCore
import NIOWebSocket
import Vapor

/// `GET /api/v1/events`, served here rather than by the generated handler: as a WebSocket when the
/// request asks to upgrade (`Upgrade: websocket`), else as Server-Sent Events written straight into
/// the response (the runtime's body bridging would add a task and two buffers to every open stream).
/// Both are authenticated the same way (the access token, or a ticket for browsers: the
/// `AuthenticationGate` before this) and resumed with `?since=` (SSE: `Last-Event-ID` too).
///
/// A WebSocket client may send one kind of message, `{"type":"renew","access_token":"…"}`, to carry
/// on past its token's expiry with a fresh token of the same session. Anything else closes the socket
/// with 1008 (1003 for binary). The server closes with 4001 when the token expired, 4003 when the
/// session ended (logout, password change, reused refresh token, user deleted), 4008 when the client
/// read too slowly, and 1001 when it shuts down; the last text message before the close is the
/// `session.ended` event with the same reason. WebSocket pings go out every 15 seconds.
struct EventsEndpoint: AsyncMiddleware {
    static let operation = "GET /api/v1/events"

    enum CloseCode {
        static let tokenExpired: UInt16 = 4001
        static let sessionEnded: UInt16 = 4003
        static let slowReader: UInt16 = 4008

        static func code(for reason: String) -> UInt16 {
            switch reason {
            case "token_expired": tokenExpired
            case "slow_reader": slowReader
            default: sessionEnded
            }
        }
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let route = request.route, AuthenticationGate.operation(route) == Self.operation else {
            return try await next.respond(to: request)
        }
        // Authenticated already (AuthenticationGate), by token or ticket; the position checked here.
        let user = try await Authentication.requireUser(request.application)
        let position = try EventStream.position(header: request.headers.first(name: "Last-Event-ID"),
                                                since: try Self.since(request))
        let app = request.application
        let stream = try await EventStream.open(app: app, user: user, position: position)
        guard request.headers[.upgrade].contains(where: { $0.lowercased().contains("websocket") }) else {
            var headers = HTTPHeaders()
            headers.add(name: .contentType, value: "text/event-stream")
            headers.add(name: .cacheControl, value: "no-cache")
            return Response(status: .ok, headers: headers, body: .init(stream: { writer in stream.serve(to: writer) }))
        }
        // The handlers are set as the socket opens, before any message of the client can arrive.
        let upgrade: @Sendable (Request, WebSocket) -> Void = { _, socket in Self.serve(socket, stream: stream, app: app) }
        return request.webSocket(maxFrameSize: .init(integerLiteral: 1 << 16), onUpgrade: upgrade)
    }

    private static func since(_ request: Request) throws -> Int64? {
        guard let text = request.query[String.self, at: "since"] else { return nil }
        guard let value = Int64(text) else { throw APIError.validation(["since": "must be an event id"]) }
        return value
    }

    private static func serve(_ socket: WebSocket, stream: EventStream, app: Application) {
        socket.pingInterval = .seconds(Int64(app.settings.eventsPingSeconds))
        let user = stream.user
        socket.onText { socket, text in
            guard let renewal = Renewal.parse(text) else {
                try? await socket.close(code: .policyViolation)
                return
            }
            // A fresh access token of the same session extends the stream.
            guard let claims = await AccessTokens.verify(renewal.accessToken, on: app), claims.userID == user.id,
                  claims.sessionID == user.sessionID else {
                try? await socket.close(code: .policyViolation)
                return
            }
            stream.renew(until: claims.exp.value)
        }
        socket.onBinary { socket, _ in try? await socket.close(code: .unacceptableData) }

        let frames = stream.start { $0 }
        let reader = Task {
            do {
                for try await batch in frames {
                    for frame in batch {
                        switch frame {
                        case .opened, .ping: continue
                        case .event(let event): try await socket.send(event.json)
                        case .end(let reason):
                            try? await socket.send(EventStream.ending(reason))
                            try? await socket.close(code: .unknown(CloseCode.code(for: reason)))
                            return
                        }
                    }
                }
                // The stream ended with the session's own `session.ended` event.
                try? await socket.close(code: .unknown(CloseCode.sessionEnded))
            } catch is EventStream.SlowReader {
                try? await socket.close(code: .unknown(CloseCode.slowReader))
            } catch {
                try? await socket.close(code: .goingAway)
            }
        }
        socket.onClose.whenComplete { _ in reader.cancel() }
    }

    /// The one message a client may send.
    struct Renewal: Decodable {
        let type: String
        let accessToken: String

        enum CodingKeys: String, CodingKey {
            case type
            case accessToken = "access_token"
        }

        static func parse(_ text: String) -> Renewal? {
            guard text.utf8.count <= 4_096, let renewal = try? JSONDecoder().decode(Renewal.self, from: Data(text.utf8)),
                  renewal.type == "renew" else { return nil }
            return renewal
        }
    }
}
