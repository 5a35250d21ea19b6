import Crypto
import Foundation
import Vapor

/// Plaid's Hosted Link sends the person away to Plaid's page and back: the link token comes back
/// from the client, which must not be able to finish somebody else's session with it. The `state`
/// given with the token is this server's MAC of (token, user, connection): only this server makes
/// it, every process alike (it is keyed by the data folder's secret), and nothing is stored.
enum HostedLinkState {
    static func make(linkToken: String, userID: UUID, connectionID: UUID?, app: Application) -> String {
        let key = SymmetricKey(data: SHA256.hash(data: Data("hosted-link-state".utf8) + Data(app.secrets.jwtSigningKey)))
        let message = "\(linkToken)|\(userID.uuidString)|\(connectionID?.uuidString ?? "")"
        let mac = HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: key)
        return Data(mac).base64URLEncodedString
    }

    /// Whether `state` is the one made for (token, user, connection), compared in constant time.
    static func holds(_ state: String, linkToken: String, userID: UUID, connectionID: UUID?, app: Application) -> Bool {
        let expected = Array(make(linkToken: linkToken, userID: userID, connectionID: connectionID, app: app).utf8), given = Array(state.utf8)
        guard expected.count == given.count else { return false }
        return zip(expected, given).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// Where Plaid sends the person back: the dashboard's banks page, on the origin the browser used.
    static func completionURL(for request: Request, app: Application) -> String {
        let origin = WebSessionCookie.expectedOrigin(of: request) ?? "http://\(app.settings.host):\(app.settings.port)"
        return origin + "/banks?link=done"
    }
}
