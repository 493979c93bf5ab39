import CisternCore
import CisternStore
import CisternTestSupport
import Foundation
import Logging

/// A migrated database in a fresh SQLite file, removed afterwards.
func withMigratedDatabase<T: Sendable>(_ body: (Database) async throws -> T) async throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cistern-store-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let database = try await Database.open(url: try await TestDatabase.freshURL(in: directory.path), connections: 2, logger: Logger(label: "test"))
    do {
        try await Migrator(database: database).migrate(logger: Logger(label: "test"))
        let result = try await body(database)
        try await database.close()
        return result
    } catch {
        try? await database.close()
        throw error
    }
}

/// A registration with fresh ids.
func makeRegistration(email: String, at now: Date = Date(timeIntervalSince1970: 1_767_225_600)) -> Registration {
    let org = Organization(id: UUID(), name: "Org", createdAt: now)
    return Registration(
        organization: org,
        owner: User(id: UUID(), orgId: org.id, email: email, firstName: "A", lastName: "B", orgRole: .owner, createdAt: now),
        passwordHash: "not-a-real-hash",
        defaultWorkspace: Workspace(id: UUID(), orgId: org.id, name: "Default", isDefault: true, createdAt: now)
    )
}
