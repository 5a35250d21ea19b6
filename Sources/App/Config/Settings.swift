import Foundation
import PlaidKit

/// Every setting the server reads, typed, from the environment. The keys are the variable names;
/// the README's settings table lists them with their defaults.
public struct Settings: Sendable {
    public enum DatabaseLocation: Sendable, Equatable {
        case sqlite(path: String)
        case sqliteInMemory
        case postgres(url: String)
    }

    public var dataDirectory: String
    public var database: DatabaseLocation
    public var host: String
    public var port: Int
    /// Database connections kept per event loop (PostgreSQL); SQLite keeps one per loop.
    public var databasePoolSize: Int
    /// Largest request body accepted, in bytes.
    public var maxBodySize: Int
    /// Set explicitly, or `nil` to use (and on first start create) the secret file in the data folder.
    public var jwtSecret: String?
    /// Base64 of 32 bytes, or `nil` to use (and on first start create) the key file in the data folder.
    public var encryptionKey: String?
    /// Earlier signing secrets, still accepted for tokens they signed until those expire (key rotation).
    public var previousJWTSecrets: [String] = []
    /// bcrypt's work factor: each step doubles the time a hash takes.
    public var bcryptCost: Int = 12
    /// Earlier encryption keys (base64 of 32 bytes each), still able to open Plaid access tokens sealed
    /// under them until `finance keys rotate` has sealed every token under the current key.
    public var previousEncryptionKeys: [String] = []
    /// Where and as whom to reach Plaid; `nil` when not configured (linking answers 503).
    public var plaid: PlaidSettings?
    /// How often every healthy connection is synced without a webhook asking, in seconds.
    public var syncIntervalSeconds: Int = 6 * 3600
    /// How long a write waits for its turn before it is refused with 503 and `Retry-After`, in milliseconds.
    public var writeWaitMilliseconds: Int = 15_000
    /// The most answers the report cache of a process keeps, in bytes (0: none kept, tags still given).
    public var reportCacheBytes: Int = 32 << 20
    /// How many statement texts a process prepares on each PostgreSQL connection (0: none, for a
    /// pooler in transaction mode that cannot keep prepared statements).
    public var preparedStatements: Int = 128
    /// How often an idle events stream is pinged, in seconds.
    public var eventsPingSeconds: Int = 15
    /// A folder to serve the web dashboard's files from, read on each request (for working on the
    /// dashboard); `nil` serves the copy built into the binary.
    public var webRoot: String?

    public static let defaultDataDirectory = "./data"
    public static let sqliteFileName = "finance.sqlite"

    /// The variable names, in one place for the loader, the errors and the README.
    public enum Key: String, CaseIterable, Sendable {
        case databaseURL = "DATABASE_URL"
        case dataDirectory = "FINANCE_DATA_DIR"
        case host = "FINANCE_HOST"
        case port = "FINANCE_PORT"
        case databasePoolSize = "FINANCE_DB_POOL_SIZE"
        case maxBodySize = "FINANCE_MAX_BODY_SIZE"
        case jwtSecret = "FINANCE_JWT_SECRET"
        case encryptionKey = "FINANCE_ENCRYPTION_KEY"
        case previousJWTSecrets = "FINANCE_JWT_PREVIOUS_SECRETS"
        case bcryptCost = "FINANCE_BCRYPT_COST"
        case previousEncryptionKeys = "FINANCE_ENCRYPTION_PREVIOUS_KEYS"
        case plaidEnvironment = "PLAID_ENV"
        case plaidClientID = "PLAID_CLIENT_ID"
        case plaidSecret = "PLAID_SECRET"
        case plaidWebhookURL = "PLAID_WEBHOOK_URL"
        case syncInterval = "FINANCE_SYNC_INTERVAL"
        case writeWait = "FINANCE_WRITE_WAIT_MS"
        case reportCacheSize = "FINANCE_REPORT_CACHE_MB"
        case preparedStatements = "FINANCE_PG_PREPARED_STATEMENTS"
        case eventsPing = "FINANCE_EVENTS_PING_SECONDS"
        case webRoot = "FINANCE_WEB_ROOT"
    }

    /// Reads the settings from `environment`; an unset or empty variable takes its default.
    /// A variable with a bad value throws an error that names it.
    public static func load(from environment: [String: String]) throws(SettingsError) -> Settings {
        func value(_ key: Key) -> String? {
            guard let raw = environment[key.rawValue]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
            return raw
        }

        let dataDirectory = value(.dataDirectory) ?? defaultDataDirectory
        let database = try parseDatabase(value(.databaseURL), dataDirectory: dataDirectory)

        let host = value(.host) ?? "127.0.0.1"
        guard host.allSatisfy({ $0.isLetter || $0.isNumber || ".:-".contains($0) }) else {
            throw SettingsError(key: .host, problem: "must be a host name or an IP address")
        }

        let port = try integer(value(.port), key: .port, default: 8080, range: 0...65535)
        let poolSize = try integer(value(.databasePoolSize), key: .databasePoolSize, default: 4, range: 1...256)
        let maxBodySize = try byteSize(value(.maxBodySize), key: .maxBodySize, default: 10 * 1024 * 1024)

        let jwtSecret = value(.jwtSecret)
        if let jwtSecret, jwtSecret.utf8.count < 32 {
            throw SettingsError(key: .jwtSecret, problem: "must be at least 32 bytes long")
        }
        let encryptionKey = value(.encryptionKey)
        if let encryptionKey, Data(base64Encoded: encryptionKey)?.count != 32 {
            throw SettingsError(key: .encryptionKey, problem: "must be 32 bytes encoded in base64 (for example `openssl rand -base64 32`)")
        }

        let previousJWTSecrets = (value(.previousJWTSecrets) ?? "").split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty }
        if previousJWTSecrets.contains(where: { $0.utf8.count < 32 }) {
            throw SettingsError(key: .previousJWTSecrets, problem: "must list secrets of at least 32 bytes each, separated by commas")
        }
        let bcryptCost = try integer(value(.bcryptCost), key: .bcryptCost, default: 12, range: 4...31)
        let previousEncryptionKeys = (value(.previousEncryptionKeys) ?? "").split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty }
        if previousEncryptionKeys.contains(where: { Data(base64Encoded: $0)?.count != 32 }) {
            throw SettingsError(key: .previousEncryptionKeys, problem: "must list keys of 32 bytes encoded in base64, separated by commas")
        }

        return Settings(
            dataDirectory: dataDirectory, database: database, host: host, port: port,
            databasePoolSize: poolSize, maxBodySize: maxBodySize,
            jwtSecret: jwtSecret, encryptionKey: encryptionKey,
            previousJWTSecrets: previousJWTSecrets, bcryptCost: bcryptCost,
            previousEncryptionKeys: previousEncryptionKeys,
            plaid: try PlaidSettings.load(value),
            syncIntervalSeconds: try integer(value(.syncInterval), key: .syncInterval, default: 6 * 3600, range: 60...(30 * 86_400)),
            writeWaitMilliseconds: try integer(value(.writeWait), key: .writeWait, default: 15_000, range: 1...600_000),
            reportCacheBytes: try integer(value(.reportCacheSize), key: .reportCacheSize, default: 32, range: 0...4096) << 20,
            preparedStatements: try integer(value(.preparedStatements), key: .preparedStatements, default: 128, range: 0...1024),
            eventsPingSeconds: try integer(value(.eventsPing), key: .eventsPing, default: 15, range: 1...3600),
            webRoot: try webRoot(value(.webRoot))
        )
    }

    static func webRoot(_ path: String?) throws(SettingsError) -> String? {
        guard let path else { return nil }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue,
              FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent("index.html")) else {
            throw SettingsError(key: .webRoot, problem: "must be a folder holding the dashboard's index.html")
        }
        return path
    }

    static func parseDatabase(_ url: String?, dataDirectory: String) throws(SettingsError) -> DatabaseLocation {
        guard let url else {
            return .sqlite(path: (dataDirectory as NSString).appendingPathComponent(sqliteFileName))
        }
        let lowered = url.lowercased()
        if lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://") {
            guard let components = URLComponents(string: url), components.host?.isEmpty == false else {
                throw SettingsError(key: .databaseURL, problem: "is not a valid postgres:// URL")
            }
            return .postgres(url: url)
        }
        if lowered == ":memory:" || lowered == "sqlite::memory:" {
            return .sqliteInMemory
        }
        if lowered.hasPrefix("sqlite://") {
            let path = String(url.dropFirst("sqlite://".count))
            guard !path.isEmpty else { throw SettingsError(key: .databaseURL, problem: "names no SQLite file") }
            return .sqlite(path: path)
        }
        if url.contains("://") {
            throw SettingsError(key: .databaseURL, problem: "must be a postgres:// URL or the path of a SQLite file")
        }
        return .sqlite(path: url)
    }

    static func integer(_ text: String?, key: Key, default fallback: Int, range: ClosedRange<Int>) throws(SettingsError) -> Int {
        guard let text else { return fallback }
        guard let number = Int(text), range.contains(number) else {
            throw SettingsError(key: key, problem: "must be a whole number from \(range.lowerBound) to \(range.upperBound), not \"\(text)\"")
        }
        return number
    }

    /// `1048576`, `512kb`, `10mb`.
    static func byteSize(_ text: String?, key: Key, default fallback: Int) throws(SettingsError) -> Int {
        guard let text else { return fallback }
        let lowered = text.lowercased()
        let multipliers: [(String, Int)] = [("kb", 1024), ("mb", 1024 * 1024), ("gb", 1024 * 1024 * 1024), ("b", 1)]
        var digits = lowered
        var multiplier = 1
        for (suffix, factor) in multipliers where lowered.hasSuffix(suffix) {
            digits = String(lowered.dropLast(suffix.count))
            multiplier = factor
            break
        }
        guard let number = Int(digits), number > 0, number.multipliedReportingOverflow(by: multiplier).overflow == false else {
            throw SettingsError(key: key, problem: "must be a size such as 1048576, 512kb or 10mb, not \"\(text)\"")
        }
        return number * multiplier
    }
}

/// Plaid's environment and credentials. All three of `PLAID_ENV`, `PLAID_CLIENT_ID` and
/// `PLAID_SECRET` are set, or none (Plaid off).
public struct PlaidSettings: Sendable, Equatable {
    /// `sandbox`, `production`, or the base URL of a Plaid-compatible server (the simulator).
    public var environment: String
    public var clientID: String
    public var secret: String
    /// Where Plaid sends this server's webhooks (`https://…/api/v1/webhooks/plaid`), if anywhere.
    public var webhookURL: String?

    static func load(_ value: (Settings.Key) -> String?) throws(SettingsError) -> PlaidSettings? {
        let environment = value(.plaidEnvironment), clientID = value(.plaidClientID), secret = value(.plaidSecret)
        guard environment != nil || clientID != nil || secret != nil else { return nil }
        guard let environment else { throw SettingsError(key: .plaidEnvironment, problem: "must be set when PLAID_CLIENT_ID or PLAID_SECRET is") }
        guard let clientID else { throw SettingsError(key: .plaidClientID, problem: "must be set when PLAID_ENV is") }
        guard let secret else { throw SettingsError(key: .plaidSecret, problem: "must be set when PLAID_ENV is") }
        guard PlaidConfiguration.Environment(environment) != nil else {
            throw SettingsError(key: .plaidEnvironment, problem: "must be sandbox, production or an http(s):// base URL")
        }
        let webhook = value(.plaidWebhookURL)
        if let webhook, !(webhook.hasPrefix("https://") || webhook.hasPrefix("http://")) {
            throw SettingsError(key: .plaidWebhookURL, problem: "must be an http(s):// URL")
        }
        return PlaidSettings(environment: environment, clientID: clientID, secret: secret, webhookURL: webhook)
    }
}

/// A setting with a value the server cannot use. The message names the variable.
public struct SettingsError: Error, CustomStringConvertible, Equatable {
    public let key: Settings.Key
    public let problem: String

    public var description: String { "Setting \(key.rawValue) \(problem)." }
}
