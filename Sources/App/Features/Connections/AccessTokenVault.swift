import Crypto
import Foundation

/// Seals Plaid access tokens for the database with AES-256-GCM, and opens them where a Plaid call
/// needs one. Each sealed token is stored beside the id of the key that sealed it (the first 16 hex
/// digits of the key's SHA-256), so that keys can be rotated: the current key seals, and the keys it
/// replaced still open what they sealed until `finance keys rotate` has sealed everything anew.
///
/// The connection's owner and item are bound in as authenticated data: a sealed token copied into
/// another row, or another user's row, no longer opens.
struct AccessTokenVault: Sendable {
    struct Sealed: Sendable, Equatable {
        let ciphertext: Data
        let keyID: String
    }

    enum Failure: Error, CustomStringConvertible {
        case unknownKey(String)
        case cannotOpen(keyID: String)

        var description: String {
            switch self {
            case .unknownKey(let id): "No configured encryption key has the id \(id); set it in FINANCE_ENCRYPTION_PREVIOUS_KEYS."
            case .cannotOpen(let id): "A sealed access token does not open with key \(id): the data or the key is wrong."
            }
        }
    }

    private let current: SymmetricKey
    let currentKeyID: String
    private let keys: [String: SymmetricKey]

    init(current: [UInt8], previous: [[UInt8]] = []) {
        self.current = SymmetricKey(data: current)
        self.currentKeyID = Self.keyID(of: current)
        var keys: [String: SymmetricKey] = [:]
        for key in previous { keys[Self.keyID(of: key)] = SymmetricKey(data: key) }
        keys[currentKeyID] = self.current
        self.keys = keys
    }

    static func keyID(of key: [UInt8]) -> String {
        SHA256.hash(data: key).prefix(8).hex
    }

    func seal(_ token: String, userID: UUID, itemID: String) throws -> Sealed {
        let box = try AES.GCM.seal(Data(token.utf8), using: current, authenticating: Self.context(userID: userID, itemID: itemID))
        guard let combined = box.combined else { throw Failure.cannotOpen(keyID: currentKeyID) }
        return Sealed(ciphertext: combined, keyID: currentKeyID)
    }

    func open(_ sealed: Sealed, userID: UUID, itemID: String) throws -> String {
        guard let key = keys[sealed.keyID] else { throw Failure.unknownKey(sealed.keyID) }
        do {
            let box = try AES.GCM.SealedBox(combined: sealed.ciphertext)
            let plain = try AES.GCM.open(box, using: key, authenticating: Self.context(userID: userID, itemID: itemID))
            return String(decoding: plain, as: UTF8.self)
        } catch {
            throw Failure.cannotOpen(keyID: sealed.keyID)
        }
    }

    private static func context(userID: UUID, itemID: String) -> Data {
        Data("plaid-access-token|\(userID.uuidString.lowercased())|\(itemID)".utf8)
    }
}
