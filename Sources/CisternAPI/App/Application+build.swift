import AsyncHTTPClient
import CisternBootstrap
import CisternCore
import CisternProviders
import CisternStore
import CisternWire
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle

/// Builds the whole application from its configuration: opens (and migrates) the database,
/// loads or creates the keys, and wires the routes. `cistern serve` runs what this returns,
/// with the S3 gateway among `services` (built on the same runtime); the tests drive the very
/// same thing in-process.
public func buildApplication(
    _ configuration: CisternConfiguration,
    timeSource: any TimeSource = SystemTimeSource(),
    logger: Logger? = nil,
    services extraServices: @Sendable (Runtime) async throws -> [any Service] = { _ in [] }
) async throws -> some ApplicationProtocol {
    var logger = logger ?? Logger(label: "cistern")
    logger.logLevel = configuration.logLevel

    // Before anything is opened, so a port in use ends the start with nothing to tear down.
    try await ListeningAddress.requireFree(host: configuration.host, port: configuration.port)
    let runtime = try await Runtime.open(configuration, timeSource: timeSource, logger: logger)
    do {
        let router = try await buildRouter(runtime)
        // Stopped in reverse order, after the server: the monitor, the HTTP client, then the database.
        var services = runtime.shutdownServices
        if configuration.monitorInterval > 0 {
            services.append(
                BucketMonitor(
                    buckets: SQLBucketStore(database: runtime.database), providers: runtime.providers, sealer: runtime.sealer,
                    schedule: configuration.checkSchedule, concurrency: configuration.monitorConcurrency, timeSource: timeSource, logger: logger,
                    telemetry: runtime.telemetry
                )
            )
        }
        services += try await extraServices(runtime)
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
        await runtime.close()
        throw error
    }
}

/// The management API's routes over `runtime`.
func buildRouter(_ runtime: Runtime) async throws -> Router<AppRequestContext> {
    let (configuration, database, providers, sealer, timeSource) = (
        runtime.configuration, runtime.database, runtime.providers, runtime.sealer, runtime.timeSource
    )
    let tokens = await TokenService(
        signingKey: runtime.dataDirectory.jwtKey, previousSigningKeys: runtime.dataDirectory.previousJWTKeys,
        accessTokenLifetime: configuration.accessTokenLifetime,
        refreshTokenLifetime: configuration.refreshTokenLifetime, timeSource: timeSource
    )
    let accounts = SQLAccountStore(database: database)
    let sessions = SQLSessionStore(database: database)
    let workspaces = SQLWorkspaceStore(database: database)
    let passwords = try await PasswordHasher(cost: configuration.bcryptCost)
    let authorizer = Authorizer(workspaces: workspaces)
    let clientAddress = ClientAddress(trustedProxies: configuration.trustedProxies)
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
        clientAddress: clientAddress,
        telemetry: runtime.telemetry
    )

    let router = Router(context: AppRequestContext.self)
    router.addMiddleware {
        ObserveRequestsMiddleware(telemetry: runtime.telemetry)
        ErrorMiddleware()
    }
    ServiceController(
        database: database, draining: runtime.draining, telemetry: runtime.telemetry, metricsToken: configuration.metricsToken,
        timeSource: timeSource, registrationOpen: configuration.registrationOpen,
        gatewayPort: configuration.gatewayEnabled && configuration.gatewayPort != 0 ? configuration.gatewayPort : nil
    ).addRoutes(to: router)
    ConsoleController().addRoutes(to: router)
    users.addPublicRoutes(
        to: router.group().add(
            middleware: AuditMiddleware<AppRequestContext>(database: database, clientAddress: clientAddress, timeSource: timeSource))
    )

    let authenticated = router.group()
        .add(middleware: AuthMiddleware(tokens: tokens, sessions: sessions, changes: database.changes))
        .group(context: AuthenticatedContext.self)
        .add(middleware: AuditMiddleware<AuthenticatedContext>(database: database, clientAddress: clientAddress, timeSource: timeSource))
    users.addRoutes(to: authenticated)
    OrganizationController(accounts: accounts, passwords: passwords, authorizer: authorizer, timeSource: timeSource)
        .addRoutes(to: authenticated)
    WorkspaceController(workspaces: workspaces, authorizer: authorizer, timeSource: timeSource).addRoutes(to: authenticated)
    let buckets = SQLBucketStore(database: database)
    let repositories = SQLRepositoryStore(database: database)
    BucketController(
        buckets: buckets, repositories: repositories, authorizer: authorizer, sealer: sealer, providers: providers,
        validateAtProvider: configuration.validateBuckets, bucketsPerOrganization: configuration.bucketsPerOrganization,
        schedule: configuration.checkSchedule, timeSource: timeSource, availableLists: BucketController.availableLists(database.changes)
    ).addRoutes(to: authenticated)
    RepositoryController(
        repositories: repositories, buckets: buckets, replication: SQLReplicationStore(database: database), authorizer: authorizer, sealer: sealer,
        providers: providers,
        repositoriesPerOrganization: configuration.repositoriesPerOrganization, timeSource: timeSource
    ).addRoutes(to: authenticated)
    StatsController(traffic: SQLTrafficStore(database: database), timeSource: timeSource).addRoutes(to: authenticated)
    AuditController(database: database).addRoutes(to: authenticated)
    return router
}
