import CisternCore
import CisternStore
import Foundation
import SQLKit
import Testing

/// A row whose enumeration column holds a value the code does not know is corrupt: reading it
/// fails with the column named, instead of quietly turning a MIRROR into NORMAL, an unknown key
/// access into READ or an unknown check outcome into OFFLINE.
@Suite("Strict row decoding")
struct StrictDecodingTests {
    let now = Date(timeIntervalSince1970: 1_767_225_600)

    /// The rows every corruption starts from: an organization with its owner, a bucket with one
    /// check, a MIRROR repository over it and a key.
    struct World: Sendable {
        var userId: UUID
        var workspaceId: UUID
        var bucketId: UUID
        var repositoryId: UUID
    }

    /// Each enumeration column, with the statement that plants a value no enumeration knows and the read that must refuse it.
    enum Corruption: CaseIterable, Sendable {
        case repositoryMode, keyAccess, bucketStorageType, bucketStatus, checkStatus, userOrgRole, memberRole

        var column: String {
            switch self {
            case .repositoryMode: "mode"
            case .keyAccess: "access_type"
            case .bucketStorageType: "storage_type"
            case .bucketStatus, .checkStatus: "status"
            case .userOrgRole: "org_role"
            case .memberRole: "role"
            }
        }

        func plant(_ sql: any SQLDatabase, _ world: World) async throws {
            let statement: SQLQueryString =
                switch self {
                case .repositoryMode: "UPDATE repositories SET mode = 'SHARDED' WHERE id = \(bind: world.repositoryId.canonical)"
                case .keyAccess: "UPDATE repository_keys SET access_type = 'ROOT'"
                case .bucketStorageType: "UPDATE buckets SET storage_type = 'FTP' WHERE id = \(bind: world.bucketId.canonical)"
                case .bucketStatus: "UPDATE buckets SET status = 'MAYBE' WHERE id = \(bind: world.bucketId.canonical)"
                case .checkStatus: "UPDATE bucket_checks SET status = 'MAYBE'"
                case .userOrgRole: "UPDATE users SET org_role = 9 WHERE id = \(bind: world.userId.canonical)"
                case .memberRole: "UPDATE workspace_members SET role = 'GOD'"
                }
            try await sql.raw(statement).run()
        }

        func read(_ database: Database, _ world: World) async throws {
            switch self {
            case .repositoryMode: _ = try await SQLRepositoryStore(database: database).repository(id: world.repositoryId)
            case .keyAccess: _ = try await SQLRepositoryStore(database: database).keys(repositoryIds: [world.repositoryId])
            case .bucketStorageType, .bucketStatus: _ = try await SQLBucketStore(database: database).bucket(id: world.bucketId)
            case .checkStatus: _ = try await SQLBucketStore(database: database).history(bucketId: world.bucketId, limit: 10)
            case .userOrgRole: _ = try await SQLAccountStore(database: database).user(id: world.userId)
            case .memberRole: _ = try await SQLWorkspaceStore(database: database).details(workspaceId: world.workspaceId)
            }
        }
    }

    @Test(arguments: Corruption.allCases)
    func anUnknownEnumerationValueFailsTheReadNamingTheColumn(_ corruption: Corruption) async throws {
        try await withMigratedDatabase { database in
            let world = try await self.makeWorld(database)
            // Before the corruption the read succeeds: the failure below is the planted value's.
            try await corruption.read(database, world)
            try await database.withConnection { try await corruption.plant($0, world) }
            await #expect("reading a corrupt \(corruption.column)") {
                try await corruption.read(database, world)
            } throws: { error in
                "\(error)".contains(corruption.column)
            }
        }
    }

    func makeWorld(_ database: Database) async throws -> World {
        let registration = makeRegistration(email: "\(UUID())@example.com")
        try await SQLAccountStore(database: database).register(registration)
        let workspaceId = registration.defaultWorkspace.id
        let bucket = Bucket(
            id: UUID(), orgId: registration.organization.id, workspaceId: workspaceId, name: "b", bucket: "b", storageType: .s3, key: "k",
            secret: SealedSecret(key: "mk", iv: "", authTag: "", message: ""), status: .online, createdAt: self.now
        )
        let buckets = SQLBucketStore(database: database)
        try await buckets.create(bucket, limit: nil)
        try await buckets.record(
            BucketCheck(status: .online, latencyMs: 3, reason: "", checkedAt: self.now), bucketId: bucket.id, nextCheckAt: self.now
        )
        let repository = Repository(
            id: UUID(), orgId: registration.organization.id, workspaceId: workspaceId, name: "r", storageType: .s3, mode: .mirror,
            members: [RepositoryMember(bucketId: bucket.id, isMaster: true)], createdAt: self.now
        )
        let repositories = SQLRepositoryStore(database: database)
        try await repositories.create(repository, limit: nil)
        try await repositories.createKey(
            RepositoryKey(
                id: UUID(), repositoryId: repository.id, name: "k", access: .write, key: "AKIAEXAMPLEEXAMPLE00",
                secret: SealedSecret(key: "mk", iv: "", authTag: "", message: ""), createdAt: self.now
            )
        )
        return World(userId: registration.owner.id, workspaceId: workspaceId, bucketId: bucket.id, repositoryId: repository.id)
    }
}
