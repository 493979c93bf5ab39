import CisternCore
import CisternStore
import Foundation
import Hummingbird
import Logging
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

    let dataDirectory = try DataDirectory.prepare(configuration, logger: logger)
    let database = try await Database.openSQLite(path: dataDirectory.databasePath, logger: logger)
    do {
        try await Migrator(database: database).migrate(now: timeSource.now, logger: logger)
        logger.info(
            "storage ready",
            metadata: ["dataDirectory": "\(dataDirectory.path)", "database": "\(database.engine.rawValue):\(database.location)"]
        )
        let router = try await buildRouter(configuration, dataDirectory: dataDirectory, database: database, timeSource: timeSource)
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "cistern"),
            services: [DatabaseService(database: database)],
            logger: logger
        )
    } catch {
        try? await database.close()
        throw error
    }
}

func buildRouter(
    _ configuration: CisternConfiguration, dataDirectory: DataDirectory, database: Database, timeSource: any TimeSource
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
        accounts: accounts, sessions: sessions, tokens: tokens, passwords: passwords, registrationOpen: configuration.registrationOpen
    )

    let router = Router(context: AppRequestContext.self)
    router.addMiddleware {
        ErrorMiddleware()
        LogRequestsMiddleware(.info)
    }
    ServiceController(database: database).addRoutes(to: router)
    users.addPublicRoutes(to: router)

    let authenticated = router.group()
        .add(middleware: AuthMiddleware(tokens: tokens, sessions: sessions))
        .group(context: AuthenticatedContext.self)
    users.addRoutes(to: authenticated)
    OrganizationController(accounts: accounts, passwords: passwords, authorizer: authorizer, timeSource: timeSource)
        .addRoutes(to: authenticated)
    WorkspaceController(workspaces: workspaces, authorizer: authorizer, timeSource: timeSource).addRoutes(to: authenticated)
    return router
}

/// Closes the database once the server has stopped serving.
struct DatabaseService: Service {
    let database: Database

    func run() async throws {
        try? await gracefulShutdown()
        try await self.database.close()
    }
}

/// Applies pending migrations to the configured database and returns their versions.
public func migrateDatabase(_ configuration: CisternConfiguration, logger: Logger) async throws -> [Int] {
    let dataDirectory = try DataDirectory.prepare(configuration, logger: logger)
    let database = try await Database.openSQLite(path: dataDirectory.databasePath, logger: logger)
    do {
        let applied = try await Migrator(database: database).migrate(logger: logger)
        try await database.close()
        return applied.map(\.version)
    } catch {
        try? await database.close()
        throw error
    }
}
