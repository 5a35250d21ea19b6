@testable import App
import Foundation
import Testing

@Suite("Settings")
struct SettingsTests {
    @Test("finance --help lists the commands and creates nothing: no data folder, no secrets",
          .enabled(if: FileManager.default.isExecutableFile(atPath: CrashTests.executable), "needs `swift build` first"))
    func helpCreatesNothing() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("finance-help-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CrashTests.executable)
        process.arguments = ["--help"]
        process.currentDirectoryURL = folder
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "FINANCE_DATA_DIR")
        environment.removeValue(forKey: "DATABASE_URL")
        process.environment = environment
        let text = try process.runCapturingOutput()
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.contains("serve") && text.contains("migrate"), "\(text)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }

    @Test("With nothing set: SQLite in ./data, loopback port 8080, secrets from files")
    func defaults() throws {
        let settings = try Settings.load(from: [:])
        #expect(settings.dataDirectory == "./data")
        #expect(settings.database == .sqlite(path: "./data/finance.sqlite"))
        #expect(settings.host == "127.0.0.1")
        #expect(settings.port == 8080)
        #expect(settings.jwtSecret == nil)
        #expect(settings.encryptionKey == nil)
        #expect(settings.preparedStatements == 128)
        #expect(try Settings.load(from: ["FINANCE_PG_PREPARED_STATEMENTS": "0"]).preparedStatements == 0)
    }

    @Test("DATABASE_URL selects PostgreSQL or a SQLite file")
    func databaseURL() throws {
        #expect(try Settings.load(from: ["DATABASE_URL": "postgres://u:p@localhost:5432/db"]).database == .postgres(url: "postgres://u:p@localhost:5432/db"))
        #expect(try Settings.load(from: ["DATABASE_URL": "postgresql://localhost/db"]).database == .postgres(url: "postgresql://localhost/db"))
        #expect(try Settings.load(from: ["DATABASE_URL": "/var/lib/finance.db"]).database == .sqlite(path: "/var/lib/finance.db"))
        #expect(try Settings.load(from: ["DATABASE_URL": "sqlite:///tmp/x.sqlite"]).database == .sqlite(path: "/tmp/x.sqlite"))
        #expect(try Settings.load(from: ["FINANCE_DATA_DIR": "/srv/fin"]).database == .sqlite(path: "/srv/fin/finance.sqlite"))
    }

    @Test("A bad value stops the start and names its variable", arguments: [
        (["DATABASE_URL": "mysql://localhost/db"], Settings.Key.databaseURL),
        (["DATABASE_URL": "postgres://"], .databaseURL),
        (["FINANCE_PORT": "eighty"], .port),
        (["FINANCE_PORT": "70000"], .port),
        (["FINANCE_DB_POOL_SIZE": "0"], .databasePoolSize),
        (["FINANCE_MAX_BODY_SIZE": "lots"], .maxBodySize),
        (["FINANCE_JWT_SECRET": "too-short"], .jwtSecret),
        (["FINANCE_ENCRYPTION_KEY": "bm90IDMyIGJ5dGVz"], .encryptionKey),
        (["FINANCE_HOST": "local host; rm"], .host),
        (["FINANCE_PG_PREPARED_STATEMENTS": "-1"], .preparedStatements),
        (["FINANCE_PG_PREPARED_STATEMENTS": "5000"], .preparedStatements),
    ] as [([String: String], Settings.Key)])
    func badValues(environment: [String: String], key: Settings.Key) {
        let error = #expect(throws: SettingsError.self) { try Settings.load(from: environment) }
        #expect(error?.key == key)
        #expect(error?.description.contains(key.rawValue) == true)
    }

    @Test("Sizes accept units")
    func sizes() throws {
        #expect(try Settings.load(from: ["FINANCE_MAX_BODY_SIZE": "512kb"]).maxBodySize == 512 * 1024)
        #expect(try Settings.load(from: ["FINANCE_MAX_BODY_SIZE": "2mb"]).maxBodySize == 2 * 1024 * 1024)
        #expect(try Settings.load(from: ["FINANCE_MAX_BODY_SIZE": "1000"]).maxBodySize == 1000)
    }

    @Test("Secrets are generated once into owner-only files, then reused")
    func secretFiles() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("secrets-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let settings = try Settings.load(from: ["FINANCE_DATA_DIR": folder])

        let first = try Secrets.load(settings: settings)
        #expect(first.jwtSigningKey.count == 64)
        #expect(first.encryptionKey.count == 32)
        for name in [Secrets.jwtSecretFileName, Secrets.encryptionKeyFileName] {
            let attributes = try FileManager.default.attributesOfItem(atPath: "\(folder)/\(name)")
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        }
        let second = try Secrets.load(settings: settings)
        #expect(second.jwtSigningKey == first.jwtSigningKey)
        #expect(second.encryptionKey == first.encryptionKey)

        // A file others could read is restricted again before use.
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: "\(folder)/\(Secrets.jwtSecretFileName)")
        _ = try Secrets.load(settings: settings)
        let attributes = try FileManager.default.attributesOfItem(atPath: "\(folder)/\(Secrets.jwtSecretFileName)")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
    }

    @Test("Secrets given in the environment are used as they are, and no file is written")
    func secretsFromEnvironment() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("secrets-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let key = Data((0..<32).map { UInt8($0) }).base64EncodedString()
        let settings = try Settings.load(from: [
            "FINANCE_DATA_DIR": folder,
            "FINANCE_JWT_SECRET": String(repeating: "s", count: 40),
            "FINANCE_ENCRYPTION_KEY": key,
        ])
        let secrets = try Secrets.load(settings: settings)
        #expect(secrets.jwtSigningKey == Array(String(repeating: "s", count: 40).utf8))
        #expect(secrets.encryptionKey == (0..<32).map { UInt8($0) })
        #expect(!FileManager.default.fileExists(atPath: "\(folder)/\(Secrets.jwtSecretFileName)"))
    }
}
