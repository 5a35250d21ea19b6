import Fluent
import Foundation
import Vapor

/// `finance keys rotate`: seals every Plaid access token under a new encryption key.
///
/// With the key in the data folder (the default), a new key is generated and written there, and the
/// old one is kept in `encryption-key.previous`, so that a server still running with it can go on
/// opening tokens until restarted. With `FINANCE_ENCRYPTION_KEY` set, the new key is the one set
/// there and the old one is listed in `FINANCE_ENCRYPTION_PREVIOUS_KEYS` for the run. Either way every
/// token not yet under the current key is opened and sealed anew, all in one database transaction.
struct KeysCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "action", help: "rotate")
        var action: String
    }

    var help: String { "Rotates the key that seals Plaid access tokens: `finance keys rotate`." }

    func run(using context: CommandContext, signature: Signature) async throws {
        guard signature.action == "rotate" else { throw CommandFailure("unknown action \"\(signature.action)\"; known: rotate") }
        let app = context.application
        try await DatabaseMigrations.migrate(app)
        let vault: AccessTokenVault
        if app.settings.encryptionKey == nil {
            vault = try Self.generateKey(app)
            context.console.print("Generated a new encryption key (id \(vault.currentKeyID)) in \(app.settings.dataDirectory); "
                + "the previous one is kept in \(Secrets.previousEncryptionKeysFileName). Restart running servers to seal with the new key.")
        } else {
            vault = app.tokenVault
        }
        let (resealed, total) = try await Self.reseal(app, with: vault)
        context.console.print("Sealed \(resealed) of \(total) access token(s) anew under key \(vault.currentKeyID); the rest already were.")
    }

    /// Writes a new key into the data folder, the old one first into the file of previous keys (so
    /// that a crash between the two writes loses no key), and answers the vault of both.
    static func generateKey(_ app: Application) throws -> AccessTokenVault {
        let directory = app.settings.dataDirectory
        let previousFile = SecretFile(directory: directory, name: Secrets.previousEncryptionKeysFileName, byteCount: 32)
        var retired = try previousFile.readLines()
        if !retired.contains(app.secrets.encryptionKey) { retired.append(app.secrets.encryptionKey) }
        try previousFile.replace(with: retired)
        var generator = SystemRandomNumberGenerator()
        let key = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        try SecretFile(directory: directory, name: Secrets.encryptionKeyFileName, byteCount: 32).replace(with: [key])
        return AccessTokenVault(current: key, previous: retired + app.secrets.previousEncryptionKeys)
    }

    /// Seals every token not under `vault`'s current key anew; answers how many, of how many.
    static func reseal(_ app: Application, with vault: AccessTokenVault) async throws -> (Int, Int) {
        try await app.write(as: .system) { db in
            let connections = try await PlaidConnection.query(on: db).all()
            var resealed = 0
            for connection in connections where connection.accessTokenKeyID != vault.currentKeyID {
                let token = try vault.open(connection.sealedToken, userID: connection.userID, itemID: connection.plaidItemID)
                let sealed = try vault.seal(token, userID: connection.userID, itemID: connection.plaidItemID)
                connection.accessTokenCiphertext = sealed.ciphertext
                connection.accessTokenKeyID = sealed.keyID
                try await connection.update(on: db)
                resealed += 1
            }
            return (resealed, connections.count)
        }
    }
}
