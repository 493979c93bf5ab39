import CisternAPI
import CisternBootstrap
import CisternCore
import CisternStore
import Foundation
import Logging

/// What `cistern-dev seed` made, and how to act as its known users.
public struct SeedReport: Sendable {
    public struct Login: Sendable {
        /// `small-owner`, `small-member`, `large-owner`.
        public let role: String
        public let email: String
        public let orgId: UUID
        public let accessToken: String
    }

    public let dataset: SeededDataset
    public let seconds: Double
    public let logins: [Login]
    /// The password of every seeded user.
    public let password: String
}

/// Seeds `plan` into the configured (empty) database, through the same data directory, keys and
/// migrations `cistern serve` uses, then opens a session for each known user and signs an access
/// token for it, so a benchmark can call the API at once.
public func seedDevelopmentDataset(_ configuration: CisternConfiguration, plan: SeedPlan, logger: Logger) async throws -> SeedReport {
    let dataDirectory = try DataDirectory.prepare(configuration, logger: logger)
    let database = try await Database.open(url: dataDirectory.databaseURL, connections: 1, logger: logger)
    do {
        let time = SystemTimeSource()
        try await Migrator(database: database).migrate(now: time.now, logger: logger)
        let password = "cistern-seed-password"
        let passwordHash = try await PasswordHasher(cost: configuration.bcryptCost).hash(password)
        let started = ContinuousClock.now
        let dataset = try await DatasetSeeder(database: database, sealer: SecretSealer(current: dataDirectory.masterKey))
            .seed(plan, passwordHash: passwordHash, now: time.now)
        let elapsed = ContinuousClock.now - started

        let tokens = await TokenService(
            signingKey: dataDirectory.jwtKey, accessTokenLifetime: configuration.accessTokenLifetime,
            refreshTokenLifetime: configuration.refreshTokenLifetime, timeSource: time
        )
        let sessions = SQLSessionStore(database: database)
        var logins: [SeedReport.Login] = []
        for known in dataset.knownUsers {
            let session = Session(
                id: UUID(), userId: known.user.id, createdAt: time.now, expiresAt: tokens.refreshExpiry, userAgent: "cistern-dev seed")
            try await sessions.open(session, refreshTokenHash: tokens.newRefreshToken().hash)
            let token = try await tokens.accessToken(for: known.user, sessionId: session.id).token
            logins.append(.init(role: known.role, email: known.user.email, orgId: known.user.orgId, accessToken: token))
        }
        try await database.close()
        return SeedReport(
            dataset: dataset, seconds: elapsed / .seconds(1), logins: logins, password: password
        )
    } catch {
        try? await database.close()
        throw error
    }
}
