import AsyncHTTPClient
import CisternCore
import CisternProviders
import CisternStore
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle

/// Builds the whole application from its configuration: opens (and migrates) the database,
/// loads or creates the keys, and wires the routes. `cistern serve` runs what this returns;
/// the tests drive the very same thing in-process.
public func buildApplication(
    _ configuration: CisternConfiguration,
    timeSource: any TimeSource = SystemTimeSource(),
    logger: Logger? = nil
) async throws -> some ApplicationProtocol {
    var logger = logger ?? Logger(label: "cistern")
    logger.logLevel = configuration.logLevel

    // Before anything is opened, so a port in use ends the start with nothing to tear down.
    try await ListeningAddress.requireFree(host: configuration.host, port: configuration.port)
    let dataDirectory = try DataDirectory.prepare(configuration, logger: logger)
    let database = try await Database.open(url: dataDirectory.databaseURL, connections: configuration.databasePoolSize, logger: logger)
    let http = ProviderHTTPClient.make()
    do {
        try await Migrator(database: database).migrate(now: timeSource.now, logger: logger)
        let sealer = SecretSealer(current: dataDirectory.masterKey)
        try await requireMasterKeys(of: database, loadedIn: sealer, dataDirectory: dataDirectory)
        logger.info(
            "storage ready",
            metadata: ["dataDirectory": "\(dataDirectory.path)", "database": "\(database.engine.rawValue):\(database.location)"]
        )
        let timeout = TimeAmount.seconds(Int64(configuration.providerTimeout))
        let providers = ProviderRegistry([
            .s3: S3Provider(http: http, timeout: timeout),
            .gcs: GCSProvider(http: http, timeout: timeout, tokenURL: configuration.gcsTokenURL),
            .blob: AzureBlobProvider(http: http, timeout: timeout),
        ])
        let router = try await buildRouter(
            configuration, dataDirectory: dataDirectory, database: database, providers: providers, sealer: sealer, timeSource: timeSource
        )
        // Stopped in reverse order, after the server: the monitor, the HTTP client, then the database.
        var services: [any Service] = [
            ShutdownService { try await database.close() },
            ShutdownService { try await http.shutdown() },
        ]
        if configuration.monitorInterval > 0 {
            services.append(
                BucketMonitor(
                    buckets: SQLBucketStore(database: database), providers: providers,
                    sealer: sealer, schedule: configuration.checkSchedule,
                    concurrency: configuration.monitorConcurrency, timeSource: timeSource, logger: logger
                )
            )
        }
        let fileLimit = OpenFileLimit.raise()
        let connectionCap = OpenFileLimit.connectionCap(
            limit: fileLimit, databaseConnections: configuration.databasePoolSize, configured: configuration.maxConnections
        )
        logger.debug("connection limits", metadata: ["openFiles": "\(fileLimit)", "connections": "\(connectionCap)"])
        return Application(
            router: router,
            server: .http1(configuration: .init(idleTimeout: .seconds(Int64(configuration.idleTimeout)))),
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: "cistern",
                availableConnectionsDelegate: MaximumAvailableConnections(connectionCap, logger: logger)
            ),
            services: services,
            logger: logger
        )
    } catch {
        try? await http.shutdown()
        try? await database.close()
        throw error
    }
}

func buildRouter(
    _ configuration: CisternConfiguration, dataDirectory: DataDirectory, database: Database, providers: ProviderRegistry,
    sealer: SecretSealer, timeSource: any TimeSource
) async throws -> Router<AppRequestContext> {
    let tokens = await TokenService(
        signingKey: dataDirectory.jwtKey, accessTokenLifetime: configuration.accessTokenLifetime,
        refreshTokenLifetime: configuration.refreshTokenLifetime, timeSource: timeSource
    )
    let accounts = SQLAccountStore(database: database)
    let sessions = SQLSessionStore(database: database)
    let workspaces = SQLWorkspaceStore(database: database)
    let passwords = try await PasswordHasher(cost: configuration.bcryptCost)
    let authorizer = Authorizer(workspaces: workspaces)
    let users = UserController(
        accounts: accounts, sessions: sessions, tokens: tokens, timeSource: timeSource, passwords: passwords,
        registrationOpen: configuration.registrationOpen,
        loginThrottle: LoginThrottle(
            limits: .init(
                perAccount: configuration.loginFailuresPerAccount, perAddress: configuration.loginFailuresPerAddress,
                window: TimeInterval(configuration.loginWindow)
            ),
            timeSource: timeSource
        ),
        clientAddress: ClientAddress(trustedProxies: configuration.trustedProxies)
    )

    let router = Router(context: AppRequestContext.self)
    router.addMiddleware {
        ErrorMiddleware()
        LogRequestsMiddleware(.info)
    }
    ServiceController(database: database, timeSource: timeSource).addRoutes(to: router)
    users.addPublicRoutes(to: router)

    let authenticated = router.group()
        .add(middleware: AuthMiddleware(tokens: tokens, sessions: sessions))
        .group(context: AuthenticatedContext.self)
    users.addRoutes(to: authenticated)
    OrganizationController(accounts: accounts, passwords: passwords, authorizer: authorizer, timeSource: timeSource)
        .addRoutes(to: authenticated)
    WorkspaceController(workspaces: workspaces, authorizer: authorizer, timeSource: timeSource).addRoutes(to: authenticated)
    let buckets = SQLBucketStore(database: database)
    let repositories = SQLRepositoryStore(database: database)
    BucketController(
        buckets: buckets, repositories: repositories, authorizer: authorizer, sealer: sealer, providers: providers,
        validateAtProvider: configuration.validateBuckets, bucketsPerOrganization: configuration.bucketsPerOrganization,
        schedule: configuration.checkSchedule, timeSource: timeSource
    ).addRoutes(to: authenticated)
    RepositoryController(
        repositories: repositories, buckets: buckets, authorizer: authorizer, sealer: sealer, providers: providers,
        repositoriesPerOrganization: configuration.repositoriesPerOrganization, timeSource: timeSource
    ).addRoutes(to: authenticated)
    return router
}

/// Refuses to start when live secrets were sealed under a master key that is not loaded: serving
/// would fail on every use of them, and new secrets would be sealed under a key nobody keeps. A
/// master key generated by this very start (the file was missing) is removed again, so the
/// operator restores the real one rather than finding a stranger in its place.
func requireMasterKeys(of database: Database, loadedIn sealer: SecretSealer, dataDirectory: DataDirectory) async throws {
    let missing = try await database.sealedKeyVersions().subtracting(sealer.versions)
    guard let version = missing.sorted().first else { return }
    if dataDirectory.generatedMasterKey { try? FileManager.default.removeItem(atPath: dataDirectory.masterKeyFile) }
    throw StartupError(
        "the database holds secrets sealed under master key \(version), which is not loaded: "
            + "restore \(dataDirectory.masterKeyFile) or set CISTERN_MASTER_KEY to that key"
    )
}

/// Applies pending migrations to the configured database and returns their versions.
public func migrateDatabase(_ configuration: CisternConfiguration, logger: Logger) async throws -> [Int] {
    let dataDirectory = try DataDirectory.prepare(configuration, logger: logger)
    let database = try await Database.open(url: dataDirectory.databaseURL, connections: configuration.databasePoolSize, logger: logger)
    do {
        let applied = try await Migrator(database: database).migrate(logger: logger)
        try await database.close()
        return applied.map(\.version)
    } catch {
        try? await database.close()
        throw error
    }
}

/// Writes one line on standard error that says why a command cannot go on, never repeating a
/// secret or a statement (the executables then exit with status 1, not a stack trace).
public func reportFailure(_ error: any Error, command: String = "cistern") {
    FileHandle.standardError.write(Data("\(command): \(Database.describe(error))\n".utf8))
}

extension CisternConfiguration {
    /// The process's logger, at the configured level.
    public func makeLogger() -> Logger {
        var logger = Logger(label: "cistern")
        logger.logLevel = self.logLevel
        return logger
    }
}
