import Foundation

/// A storage container registered at a provider: an S3 or S3-compatible bucket, a GCS bucket, or
/// an Azure Blob container.
public struct Bucket: Sendable, Equatable {
    public var id: UUID
    public var orgId: UUID
    public var workspaceId: UUID
    /// The label, unique among the organization's live buckets whatever its case.
    public var name: String
    /// The container's name at the provider.
    public var bucket: String
    public var storageType: StorageType
    /// The non-secret half of the credential (S3 access key id, GCS client e-mail, Azure account).
    public var key: String
    /// The secret half, sealed under the master key.
    public var secret: SealedSecret
    public var endpoint: String?
    public var region: String?
    public var status: BucketStatus?
    public var lastStatusAt: Date?
    public var latencyMs: Int?
    public var createdAt: Date

    public init(
        id: UUID, orgId: UUID, workspaceId: UUID, name: String, bucket: String, storageType: StorageType, key: String,
        secret: SealedSecret, endpoint: String? = nil, region: String? = nil, status: BucketStatus? = nil,
        lastStatusAt: Date? = nil, latencyMs: Int? = nil, createdAt: Date
    ) {
        self.id = id
        self.orgId = orgId
        self.workspaceId = workspaceId
        self.name = name
        self.bucket = bucket
        self.storageType = storageType
        self.key = key
        self.secret = secret
        self.endpoint = endpoint
        self.region = region
        self.status = status
        self.lastStatusAt = lastStatusAt
        self.latencyMs = latencyMs
        self.createdAt = createdAt
    }
}

/// Everything a provider client needs to reach one bucket, with the secret unsealed in memory.
public struct BucketConnection: Sendable, Equatable {
    public var storageType: StorageType
    public var bucket: String
    public var key: String
    public var secret: SecretValue
    public var endpoint: String?
    public var region: String?

    public init(storageType: StorageType, bucket: String, key: String, secret: SecretValue, endpoint: String?, region: String?) {
        self.storageType = storageType
        self.bucket = bucket
        self.key = key
        self.secret = secret
        self.endpoint = endpoint
        self.region = region
    }
}

extension Bucket {
    /// What a bucket's sealed secret is bound to: it opens only on its own row.
    public static func sealingContext(_ id: UUID) -> String { "bucket:\(id.canonical)" }

    /// How to reach this bucket with `secret`.
    public func connection(secret: SecretValue) -> BucketConnection {
        BucketConnection(
            storageType: self.storageType, bucket: self.bucket, key: self.key, secret: secret, endpoint: self.endpoint, region: self.region
        )
    }

    /// How to reach this bucket with its stored secret, unsealed under its own context.
    public func connection(unsealingWith sealer: SecretSealer) throws -> BucketConnection {
        self.connection(secret: try sealer.open(self.secret, context: Self.sealingContext(self.id)))
    }
}
