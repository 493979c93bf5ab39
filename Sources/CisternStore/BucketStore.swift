import CisternCore
import Foundation

/// The fields of `GET /bucket/available`, read without the sealed secret.
public struct BucketSummary: Sendable, Equatable {
    public var id: UUID
    public var name: String
    public var storageType: StorageType
    public var bucket: String
    public var key: String
    public var status: BucketStatus?
    public var workspaceId: UUID
    public var createdAt: Date

    public init(
        id: UUID, name: String, storageType: StorageType, bucket: String, key: String, status: BucketStatus?, workspaceId: UUID,
        createdAt: Date
    ) {
        self.id = id
        self.name = name
        self.storageType = storageType
        self.bucket = bucket
        self.key = key
        self.status = status
        self.workspaceId = workspaceId
        self.createdAt = createdAt
    }
}

/// One recorded check of a bucket.
public struct BucketCheck: Sendable, Equatable {
    public var status: BucketStatus
    public var latencyMs: Int
    public var reason: String
    public var checkedAt: Date

    public init(status: BucketStatus, latencyMs: Int, reason: String, checkedAt: Date) {
        self.status = status
        self.latencyMs = latencyMs
        self.reason = reason
        self.checkedAt = checkedAt
    }

    /// A probe's outcome, as checked at `date`.
    public init(_ result: ProbeResult, at date: Date) {
        self.init(status: result.status, latencyMs: result.latencyMs, reason: result.reason, checkedAt: date)
    }
}

/// What `BucketStore.update` writes: nil leaves a field as the database holds it.
public struct BucketChanges: Sendable {
    /// The fields that say where the bucket is and how to sign in to it, the sealed secret, and
    /// the outcome of checking them: always written together.
    public struct Connection: Sendable {
        public var storageType: StorageType
        public var bucket: String
        public var key: String
        public var secret: SealedSecret
        public var endpoint: String?
        public var region: String?
        public var status: BucketStatus?
        public var latencyMs: Int?
        public var lastStatusAt: Date?

        /// The fields as `bucket` holds them, ready to be changed.
        public init(_ bucket: Bucket) {
            self.storageType = bucket.storageType
            self.bucket = bucket.bucket
            self.key = bucket.key
            self.secret = bucket.secret
            self.endpoint = bucket.endpoint
            self.region = bucket.region
            self.status = bucket.status
            self.latencyMs = bucket.latencyMs
            self.lastStatusAt = bucket.lastStatusAt
        }

        /// How to reach the bucket these fields describe with `secret`.
        public func connection(secret: SecretValue) -> BucketConnection {
            BucketConnection(
                storageType: self.storageType, bucket: self.bucket, key: self.key, secret: secret, endpoint: self.endpoint,
                region: self.region
            )
        }

        /// Whether these fields reach `bucket` as it is stored: the same provider, bucket, key,
        /// endpoint and region. Only then may the stored secret go with them.
        public func reachesStored(_ bucket: Bucket) -> Bool {
            self.storageType == bucket.storageType && self.bucket == bucket.bucket && self.key == bucket.key
                && self.endpoint == bucket.endpoint && self.region == bucket.region
        }
    }

    public var name: String?
    public var workspaceId: UUID?
    public var connection: Connection?

    public init(name: String? = nil, workspaceId: UUID? = nil, connection: Connection? = nil) {
        self.name = name
        self.workspaceId = workspaceId
        self.connection = connection
    }
}

extension Bucket {
    /// Takes a check's outcome as the current status.
    public mutating func apply(_ check: BucketCheck?) {
        guard let check else { return }
        self.status = check.status
        self.latencyMs = check.latencyMs
        self.lastStatusAt = check.checkedAt
    }
}

/// Registered buckets. Only live (not deleted) buckets are ever read.
public protocol BucketStore: Sendable {
    /// Stores a new bucket in a live workspace of its organization. Refuses a name the organization
    /// already uses (400) and a bucket beyond `limit` live buckets per organization (429).
    func create(_ bucket: Bucket, limit: Int?) async throws

    /// The live bucket with this id.
    func bucket(id: UUID) async throws -> Bucket?

    /// The live buckets with these ids.
    func buckets(ids: [UUID]) async throws -> [Bucket]

    /// The live buckets of a read scope (optionally of one workspace), oldest first.
    func list(_ scope: ReadScope, workspaceId: UUID?) async throws -> [Bucket]

    /// The live buckets of a read scope (optionally of one workspace) that no live MIRROR
    /// repository uses, ordered by creation time then id.
    func available(_ scope: ReadScope, workspaceId: UUID?) async throws -> [BucketSummary]

    /// Writes what `changes` holds to a live bucket of `orgId`, and nothing else, so that
    /// concurrent changes of different fields all survive.
    func update(id: UUID, orgId: UUID, _ changes: BucketChanges) async throws

    /// Soft-deletes a bucket; 403 "Bucket in use by a repository" while a live repository uses it.
    func delete(id: UUID, now: Date) async throws

    /// Records a check as the bucket's status and in its bounded history; `nextCheckAt` is when
    /// the monitor should check it again.
    func record(_ check: BucketCheck, bucketId: UUID, nextCheckAt: Date) async throws

    /// Claims up to `limit` live buckets whose next check is due at `now`, marking them as not due
    /// again before `leaseUntil`: of several monitors sharing the database, one gets each bucket.
    func claimDueChecks(now: Date, leaseUntil: Date, limit: Int) async throws -> [Bucket]

    /// The most recent checks of a bucket, newest first.
    func history(bucketId: UUID, limit: Int) async throws -> [BucketCheck]
}

extension CisternError {
    public static let bucketNotFound = CisternError(.notFound, message: "Bucket not found")
    public static let bucketInUse = CisternError(.forbidden, message: "Bucket in use by a repository")
    public static let bucketNameAlreadyUsed = CisternError(
        .badRequest, message: "name: a bucket with this name already exists in the organization"
    )

    public static func bucketQuotaExceeded(limit: Int) -> CisternError {
        CisternError(.tooManyRequests, message: "Bucket quota reached: an organization may hold at most \(limit) buckets")
    }
}

extension BucketChanges {
    /// What the change touches, for the audit log: the new name, workspace and place, never the
    /// credentials (only that they changed).
    var auditDetails: [String: String] {
        var details: [String: String] = [:]
        if let name { details["name"] = name }
        if let workspaceId { details["workspace"] = workspaceId.canonical }
        if let connection {
            details["provider"] = connection.storageType.rawValue
            details["bucket"] = connection.bucket
            details["connection"] = "changed"
        }
        return details
    }
}
