import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import NIOCore
import JWT
import Vapor

/// Builds the application from its settings: secrets, database, migrations, middleware, routes
/// and commands. The executable and the tests both call this, so tests run the real wiring.
public func configure(_ app: Application, settings: Settings) async throws {
    app.settings = settings
    app.secrets = try Secrets.load(settings: settings)
    app.configurePlaid(settings: settings)

    try await configureDatabase(app, settings: settings)
    app.makeSharedDatabaseHandles()
    app.ledgerCommits = LedgerCommits()
    // Half the database connections at most go to opening event streams.
    app.eventHub = EventHub(pingInterval: .seconds(settings.eventsPingSeconds),
                            openingsAtOnce: max(2, settings.databasePoolSize * System.coreCount / 2))
    app.migrations.add(AppMigrations.all)

    app.passwordHasher = PasswordHasher(cost: settings.bcryptCost, threadPool: app.threadPool)
    await AccessTokens.configure(
        app, current: app.secrets.jwtSigningKey, previous: settings.previousJWTSecrets.map { Array($0.utf8) }
    )

    app.http.server.configuration.hostname = settings.host
    app.http.server.configuration.port = settings.port
    // Nothing is compressed, but Vapor adds the compressor to every connection all the same: without
    // this, with a buffer of 1 KB that an open event stream holds for its whole life.
    app.http.server.configuration.responseCompression = .disabled(initialByteBufferCapacity: 0, allowedTypes: .none,
                                                                  allowRequestOverrides: false)
    app.routes.defaultMaxBodySize = ByteCount(value: settings.maxBodySize)

    // Outermost first: every response, errors included, gets its request id and a JSON error body.
    app.middleware = Middlewares()
    app.middleware.use(RequestIDMiddleware())
    app.middleware.use(SecurityHeaders())
    app.middleware.use(RouteLoggingMiddleware(logLevel: .info))
    app.middleware.use(APIErrorMiddleware())
    app.middleware.use(BodySizeLimitMiddleware(maxBytes: settings.maxBodySize))
    app.middleware.use(NulCharacterGuard())
    app.middleware.use(WebSessionCookie.Writer())

    try routes(app)

    await registerCommands(app)
    app.lifecycle.use(JobWorkerLifecycle())
    app.lifecycle.use(EventHubLifecycle())
}

/// The commands `finance` knows. Enough on its own to answer `finance --help`, which therefore
/// creates no data folder, no secrets and no database.
public func registerCommands(_ app: Application) async {
    app.asyncCommands.use(ServeCommandWithMigrations(serve: await app.servers.asyncCommand), as: "serve", isDefault: true)
    app.asyncCommands.use(MigrateCommand(), as: "migrate")
    app.asyncCommands.use(BenchCommand(), as: "bench")
    app.asyncCommands.use(ImportCommand(), as: "import")
    app.asyncCommands.use(SnapshotsCommand(), as: "snapshots")
    app.asyncCommands.use(KeysCommand(), as: "keys")
    app.asyncCommands.use(WorkerCommand(), as: "worker")
    app.asyncCommands.use(DemoCommand(), as: "demo")
    app.asyncCommands.use(PlaidSimulatorCommand(), as: "plaid-simulator")
}

private func configureDatabase(_ app: Application, settings: Settings) async throws {
    let writeWait = Duration.milliseconds(settings.writeWaitMilliseconds)
    switch settings.database {
    case .sqlite(let path):
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try DataDirectory.create(folder) }
        app.databases.use(.sqlite(.file(path), sqlLogLevel: .trace), as: .sqlite)
        // Writers have a pool of their own, so a reader never queues behind a write for a connection,
        // on threads of their own (`SQLiteWriterThreads`).
        let writer = SQLiteWriterThreads(database: .sqliteWriter)
        writer.use(DatabaseConfigurationFactory.sqlite(.file(path), sqlLogLevel: .trace).make(), in: app)
        app.writeTransactions = WriteTransactions(sqliteWriter: writer, isSQLite: true, wait: writeWait)
        AppMetrics.recordPoolCapacity(engine: "sqlite", connections: app.eventLoopGroup.makeIterator().map { $0 }.count)
        // Write-ahead logging: readers never wait for the writer. It is a property of the file, set once.
        _ = try await app.db.sql.raw("PRAGMA journal_mode = WAL").all()
        await PlannerStatistics.refreshOnOpen(app.db)
    case .sqliteInMemory:
        app.databases.use(.sqlite(.memory, sqlLogLevel: .trace), as: .sqlite)
        app.writeTransactions = WriteTransactions(sqliteWriter: nil, isSQLite: true, wait: writeWait)
    case .postgres(let url):
        let configuration: SQLPostgresConfiguration
        do {
            configuration = try SQLPostgresConfiguration(url: url)
        } catch {
            throw SettingsError(key: .databaseURL, problem: "is not a PostgreSQL URL the driver accepts (\(error))")
        }
        app.postgresConfiguration = configuration
        PreparedStatements.shared.limit(to: settings.preparedStatements)
        app.databases.use(
            .postgres(configuration: configuration, maxConnectionsPerEventLoop: settings.databasePoolSize, sqlLogLevel: .trace),
            as: .psql
        )
        let loops = app.eventLoopGroup.makeIterator().map { $0 }.count
        AppMetrics.recordPoolCapacity(engine: "postgres", connections: loops * settings.databasePoolSize)
        app.writeTransactions = WriteTransactions(sqliteWriter: nil, isSQLite: false, wait: writeWait)
    }
}

extension Application {
    /// A part `configure` sets up before anything runs; asking for it earlier is a programming error.
    func configured<Key: StorageKey>(_ key: Key.Type, _ part: String) -> Key.Value {
        guard let value = storage[key] else { preconditionFailure("configure(_:settings:) sets up \(part) first") }
        return value
    }

    private struct SettingsKey: StorageKey { typealias Value = Settings }
    private struct PostgresConfigurationKey: StorageKey { typealias Value = SQLPostgresConfiguration }

    /// The PostgreSQL connection settings, when the database is PostgreSQL (for connections of its own,
    /// such as the events listener).
    var postgresConfiguration: SQLPostgresConfiguration? {
        get { storage[PostgresConfigurationKey.self] }
        set { storage[PostgresConfigurationKey.self] = newValue }
    }
    private struct SecretsKey: StorageKey { typealias Value = Secrets }

    public internal(set) var settings: Settings {
        get { configured(SettingsKey.self, "the settings") }
        set { storage[SettingsKey.self] = newValue }
    }

    var secrets: Secrets {
        get { configured(SecretsKey.self, "the secrets") }
        set { storage[SecretsKey.self] = newValue }
    }
}
