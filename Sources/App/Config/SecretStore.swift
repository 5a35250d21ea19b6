import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The server's two secrets: the key that signs access tokens and the key that encrypts
/// Plaid access tokens at rest. Taken from the settings when given there; otherwise read from
/// files in the data folder, which the first start creates with mode 0600. Never logged.
public struct Secrets: Sendable {
    public let jwtSigningKey: [UInt8]
    /// 32 bytes, for AES-256-GCM.
    public let encryptionKey: [UInt8]
    /// Keys that sealed tokens before the last rotation: they open what they sealed, never seal anew.
    public var previousEncryptionKeys: [[UInt8]] = []

    public static let jwtSecretFileName = "jwt-secret"
    public static let encryptionKeyFileName = "encryption-key"
    /// Keys retired by `finance keys rotate` when the key lives in the data folder, one base64 line each.
    public static let previousEncryptionKeysFileName = "encryption-key.previous"

    public static func load(settings: Settings) throws -> Secrets {
        let jwt: [UInt8]
        if let secret = settings.jwtSecret {
            jwt = Array(secret.utf8)
        } else {
            jwt = try SecretFile(directory: settings.dataDirectory, name: jwtSecretFileName, byteCount: 64).readOrCreate()
        }
        let encryption: [UInt8]
        var previous: [[UInt8]] = settings.previousEncryptionKeys.compactMap { key in Data(base64Encoded: key).map { [UInt8]($0) } }
        if let key = settings.encryptionKey, let bytes = Data(base64Encoded: key) {
            encryption = Array(bytes)
        } else {
            encryption = try SecretFile(directory: settings.dataDirectory, name: encryptionKeyFileName, byteCount: 32).readOrCreate()
            previous += try SecretFile(directory: settings.dataDirectory, name: previousEncryptionKeysFileName, byteCount: 32).readLines()
        }
        return Secrets(jwtSigningKey: jwt, encryptionKey: encryption, previousEncryptionKeys: previous)
    }
}

/// A random secret kept base64-encoded in a file only its owner can read.
struct SecretFile {
    let directory: String
    let name: String
    let byteCount: Int

    var path: String { (directory as NSString).appendingPathComponent(name) }

    func readOrCreate() throws -> [UInt8] {
        try DataDirectory.create(directory)
        if let existing = try read() { return existing }
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<byteCount).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let text = Data(bytes).base64EncodedString() + "\n"
        // O_EXCL: if another process created the file first, use its secret rather than overwrite it.
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        if fd < 0 {
            if errno == EEXIST, let existing = try read() { return existing }
            throw SecretError.cannotCreate(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        let written = text.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
        guard written == text.utf8.count, fsync(fd) == 0 else {
            throw SecretError.cannotCreate(path: path, reason: String(cString: strerror(errno)))
        }
        return bytes
    }

    /// Every key of a file of one base64 key a line (none when the file does not exist).
    func readLines() throws -> [[UInt8]] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        try restrict()
        let contents = try String(contentsOfFile: path, encoding: .utf8)
        return try contents.split(whereSeparator: \.isNewline).map { line in
            guard let data = Data(base64Encoded: String(line).trimmingCharacters(in: .whitespaces)), data.count == byteCount else {
                throw SecretError.unreadable(path: path)
            }
            return Array(data)
        }
    }

    /// Replaces the file's contents with `lines` (base64 keys), readable by its owner only, through a
    /// temporary file renamed over it: a crash leaves the old file or the new, never half of one.
    func replace(with keys: [[UInt8]]) throws {
        try DataDirectory.create(directory)
        let temporary = path + ".tmp"
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw SecretError.cannotCreate(path: temporary, reason: String(cString: strerror(errno))) }
        let text = keys.map { Data($0).base64EncodedString() + "\n" }.joined()
        let written = text.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == text.utf8.count, synced, rename(temporary, path) == 0 else {
            throw SecretError.cannotCreate(path: path, reason: String(cString: strerror(errno)))
        }
    }

    private func restrict() throws {
        var info = stat()
        guard stat(path, &info) == 0 else { return }
        if info.st_mode & 0o077 != 0, chmod(path, 0o600) != 0 { throw SecretError.tooOpen(path: path) }
    }

    private func read() throws -> [UInt8]? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        // Anyone else able to read the file could forge tokens or decrypt bank credentials.
        if info.st_mode & 0o077 != 0, chmod(path, 0o600) != 0 {
            throw SecretError.tooOpen(path: path)
        }
        let contents = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let data = Data(base64Encoded: contents), data.count >= min(byteCount, 32) else {
            throw SecretError.unreadable(path: path)
        }
        return Array(data)
    }
}

enum DataDirectory {
    /// Creates the folder (and its parents) readable by its owner only, if it does not exist.
    static func create(_ path: String) throws {
        try FileManager.default.createDirectory(
            atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]
        )
    }
}

enum SecretError: Error, CustomStringConvertible {
    case cannotCreate(path: String, reason: String)
    case tooOpen(path: String)
    case unreadable(path: String)

    var description: String {
        switch self {
        case .cannotCreate(let path, let reason): "Cannot create the secret file \(path): \(reason)."
        case .tooOpen(let path): "The secret file \(path) is readable by other users and cannot be restricted; run chmod 600 on it."
        case .unreadable(let path): "The secret file \(path) does not hold a base64 secret of the expected length."
        }
    }
}
