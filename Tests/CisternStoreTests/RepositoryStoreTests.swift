import CisternCore
import CisternStore
import Foundation
import SQLKit
import Testing

/// The store keeps MIRROR exclusivity by itself, without the rules having been consulted.
@Suite("Repository store invariants")
struct RepositoryStoreTests {
    let now = Date(timeIntervalSince1970: 1_767_225_600)

    func setUp(_ database: Database) async throws -> (orgId: UUID, workspaceId: UUID, bucketId: UUID) {
        let registration = makeRegistration(email: "\(UUID())@example.com")
        try await SQLAccountStore(database: database).register(registration)
        let bucket = Bucket(
            id: UUID(), orgId: registration.organization.id, workspaceId: registration.defaultWorkspace.id, name: "b", bucket: "b",
            storageType: .s3, key: "k", secret: SealedSecret(key: "mk", iv: "", authTag: "", message: ""), createdAt: now
        )
        try await SQLBucketStore(database: database).create(bucket, limit: nil)
        return (registration.organization.id, registration.defaultWorkspace.id, bucket.id)
    }

    func repository(_ setup: (orgId: UUID, workspaceId: UUID, bucketId: UUID), _ mode: RepositoryMode, folder: String = "") -> Repository {
        Repository(
            id: UUID(), orgId: setup.orgId, workspaceId: setup.workspaceId, name: "r-\(UUID())", storageType: .s3, mode: mode,
            members: [RepositoryMember(bucketId: setup.bucketId, folder: folder, isMaster: mode == .mirror)], createdAt: now
        )
    }

    @Test func aSecondClaimOnAMirroredBucketFailsInTheStore() async throws {
        try await withMigratedDatabase { database in
            let setup = try await setUp(database)
            let store = SQLRepositoryStore(database: database)
            try await store.create(repository(setup, .mirror), limit: nil)
            for attempt in [repository(setup, .mirror), repository(setup, .normal, folder: "x")] {
                await #expect {
                    try await store.create(attempt, limit: nil)
                } throws: { error in
                    (error as? CisternError)?.code == RepositoryErrorCode.mirrorUnitInOtherRepository.rawValue
                }
            }
            // Nothing half-written: only the first repository exists.
            #expect(try await store.list(.organization(setup.orgId), workspaceId: nil, repositoryId: nil).count == 1)
        }
    }

    @Test func aMirrorCannotClaimABucketWithNormalUsers() async throws {
        try await withMigratedDatabase { database in
            let setup = try await setUp(database)
            let store = SQLRepositoryStore(database: database)
            try await store.create(repository(setup, .normal, folder: "x"), limit: nil)
            await #expect(throws: CisternError.self) { try await store.create(repository(setup, .mirror), limit: nil) }
            // And the database itself refuses the combination, whatever code tries it.
            await #expect(throws: (any Error).self) {
                try await database.withConnection { sql in
                    try await sql.raw("UPDATE buckets SET mirror_repository_id = 'r' WHERE id = \(bind: setup.bucketId.canonical)").run()
                }
            }
        }
    }

    @Test func deletingReleasesEveryClaim() async throws {
        try await withMigratedDatabase { database in
            let setup = try await setUp(database)
            let store = SQLRepositoryStore(database: database)
            let first = repository(setup, .normal, folder: "x")
            let second = repository(setup, .normal, folder: "y")
            try await store.create(first, limit: nil)
            try await store.create(second, limit: nil)
            try await store.delete(id: first.id, now: now)
            try await store.delete(id: second.id, now: now)
            try await store.create(repository(setup, .mirror), limit: nil)
            let available = try await SQLBucketStore(database: database).available(.organization(setup.orgId), workspaceId: nil)
            #expect(available.isEmpty)
        }
    }

    @Test func theStoreRefusesNestedFoldersAndTwoMembersOfOneBucketName() async throws {
        try await withMigratedDatabase { database in
            let setup = try await setUp(database)
            let store = SQLRepositoryStore(database: database)
            try await store.create(repository(setup, .normal, folder: "team/a"), limit: nil)
            for folder in ["team", "team/a/b", ""] {
                await #expect("\(folder)") {
                    try await store.create(repository(setup, .normal, folder: folder), limit: nil)
                } throws: { error in
                    (error as? CisternError)?.code == RepositoryErrorCode.normalFolderAlreadyUsed.rawValue
                }
            }
            try await store.create(repository(setup, .normal, folder: "team/ab"), limit: nil)
            // A second registration of the same provider bucket, in one repository with the first.
            let twin = Bucket(
                id: UUID(), orgId: setup.orgId, workspaceId: setup.workspaceId, name: "twin", bucket: "b", storageType: .s3, key: "k",
                secret: SealedSecret(key: "mk", iv: "", authTag: "", message: ""), createdAt: now
            )
            try await SQLBucketStore(database: database).create(twin, limit: nil)
            var both = repository(setup, .normal, folder: "other")
            both.members.append(RepositoryMember(bucketId: twin.id, folder: "other"))
            await #expect {
                try await store.create(both, limit: nil)
            } throws: { error in
                (error as? CisternError)?.code == RepositoryErrorCode.normalFolderAlreadyUsed.rawValue
            }
            #expect(try await store.list(.organization(setup.orgId), workspaceId: nil, repositoryId: nil).count == 2)
        }
    }
}
