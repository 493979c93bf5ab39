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

    /// One corruption: the statement that plants a value no enumeration knows, and the read that must refuse it.
    struct Corruption: Sendable {
        var column: String
        var plant: @Sendable (any SQLDatabase, World) async throws -> Void
        var read: @Sendable (Database, World) async throws -> Void
    }

    /// The rows every corruption starts from: an organization with its owner, a bucket with one
    /// check, a MIRROR repository over it and a key.
    struct World: Sendable {
        var userId: UUID
        var workspaceId: UUID
        var bucketId: UUID
        var repositoryId: UUID
    }

    static let corruptions: [Corruption] = [
        Corruption(column: "mode", plant: { sql, w in try await sql.raw("UPDATE repositories SET mode = 'SHARDED' WHERE id = \(bind: w.repositoryId.canonical)").run() }) {
            db, w in _ = try await SQLRepositoryStore(database: db).repository(id: w.repositoryId)
        },
        Corruption(column: "access_type", plant: { sql, w in try await sql.raw("UPDATE repository_keys SET access_type = 'ROOT'").run() }) {
            db, w in _ = try await SQLRepositoryStore(database: db).keys(repositoryIds: [w.repositoryId])
        },
        Corruption(column: "storage_type", plant: { sql, w in try await sql.raw("UPDATE buckets SET storage_type = 'FTP' WHERE id = \(bind: w.bucketId.canonical)").run() }) {
            db, w in _ = try await SQLBucketStore(database: db).bucket(id: w.bucketId)
        },
        Corruption(column: "status", plant: { sql, w in try await sql.raw("UPDATE buckets SET status = 'MAYBE' WHERE id = \(bind: w.bucketId.canonical)").run() }) {
            db, w in _ = try await SQLBucketStore(database: db).bucket(id: w.bucketId)
        },
        Corruption(column: "status", plant: { sql, w in try await sql.raw("UPDATE bucket_checks SET status = 'MAYBE'").run() }) {
            db, w in _ = try await SQLBucketStore(database: db).history(bucketId: w.bucketId, limit: 10)
        },
        Corruption(column: "org_role", plant: { sql, w in try await sql.raw("UPDATE users SET org_role = 9 WHERE id = \(bind: w.userId.canonical)").run() }) {
            db, w in _ = try await SQLAccountStore(database: db).user(id: w.userId)
        },
        Corruption(column: "role", plant: { sql, w in try await sql.raw("UPDATE workspace_members SET role = 'GOD'").run() }) {
            db, w in _ = try await SQLWorkspaceStore(database: db).details(workspaceId: w.workspaceId)
        },
    ]

    @Test(arguments: 0..<Self.corruptions.count)
    func anUnknownEnumerationValueFailsTheReadNamingTheColumn(_ index: Int) async throws {
        let corruption = Self.corruptions[index]
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
