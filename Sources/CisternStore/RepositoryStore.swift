import CisternCore
import Foundation

/// A repository as bucket listings mention it.
public struct RepositoryReference: Sendable, Equatable {
    public var id: UUID
    public var name: String
    public var storageType: StorageType
    public var createdAt: Date

    public init(id: UUID, name: String, storageType: StorageType, createdAt: Date) {
        self.id = id
        self.name = name
        self.storageType = storageType
        self.createdAt = createdAt
    }
}

/// The parts of a repository an update writes.
public struct RepositoryFields: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let name = RepositoryFields(rawValue: 1 << 0)
    public static let storageType = RepositoryFields(rawValue: 1 << 1)
    public static let workspace = RepositoryFields(rawValue: 1 << 2)
    /// The mode and the members, which only change together.
    public static let members = RepositoryFields(rawValue: 1 << 3)
}

/// Repositories, their members and their keys. Only live repositories and keys are ever read.
///
/// The store keeps the exclusivity rules itself: members are claimed with conditional updates on
/// the bucket rows inside the writing transaction (a MIRROR claim succeeds only on a bucket with
/// no other use; a NORMAL claim only on a bucket no MIRROR owns), a unique index holds each live
/// (bucket, folder) to one repository, and a CHECK on `buckets` forbids a MIRROR owner beside
/// NORMAL users. Of two requests racing for one bucket, on one engine or several processes,
/// exactly one commits; the other gets the contract's error code.
public protocol RepositoryStore: Sendable {
    /// The facts `RepositoryRules` needs for `members` of a repository named `name` (nil: no name
    /// check), as seen by a caller with `scope`; `repositoryId` names the repository being updated.
    func facts(
        orgId: UUID, scope: ReadScope, name: String?, members: [RepositoryMember], repositoryId: UUID?, limit: Int?
    ) async throws -> RepositoryFacts

    /// Stores a repository and claims its members, in one transaction.
    func create(_ repository: Repository, limit: Int?) async throws

    /// The live repository with this id.
    func repository(id: UUID) async throws -> Repository?

    /// Live repositories of a read scope, optionally of one workspace or one id, oldest first.
    func list(_ scope: ReadScope, workspaceId: UUID?, repositoryId: UUID?) async throws -> [Repository]

    /// Writes the `fields` of `repository` and nothing else, in one transaction, so concurrent
    /// changes of different fields all survive; `.members` (mode and members together) releases
    /// the members the database holds and claims the new ones.
    func update(_ repository: Repository, fields: RepositoryFields, now: Date) async throws

    /// Soft-deletes a repository, releases its members and revokes its keys, in one transaction.
    func delete(id: UUID, now: Date) async throws

    /// The live repositories that use each of these buckets.
    func references(bucketIds: [UUID]) async throws -> [UUID: [RepositoryReference]]

    /// Stores a new key.
    func createKey(_ key: RepositoryKey) async throws

    /// The live keys of some repositories, oldest first.
    func keys(repositoryIds: [UUID]) async throws -> [RepositoryKey]

    /// Renames a live key or changes its access; false when there is no such key.
    func updateKey(id: UUID, repositoryId: UUID, name: String?, access: RepositoryAccess?) async throws -> Bool

    /// Revokes a live key; false when there is no such key.
    func revokeKey(id: UUID, repositoryId: UUID, now: Date) async throws -> Bool

    /// The live key with this access key id and its live repository: what the gateway trusts.
    func credential(accessKey: String) async throws -> (key: RepositoryKey, repository: Repository)?
}
