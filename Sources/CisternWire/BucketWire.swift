import CisternCore
import Foundation

/// `POST /bucket`
public struct CreateBucketRequest: Codable, Sendable {
    public var name: String
    public var bucket: String
    public var storageType: String
    public var key: String
    public var secret: String
    public var endpoint: String?
    public var region: String?
    public var workspaceId: String

    public init(
        name: String, bucket: String, storageType: String, key: String, secret: String, endpoint: String? = nil, region: String? = nil,
        workspaceId: String
    ) {
        self.name = name
        self.bucket = bucket
        self.storageType = storageType
        self.key = key
        self.secret = secret
        self.endpoint = endpoint
        self.region = region
        self.workspaceId = workspaceId
    }
}

/// `PUT /bucket/{id}`: any subset of the create fields.
public struct UpdateBucketRequest: Codable, Sendable {
    public var name: String?
    public var bucket: String?
    public var storageType: String?
    public var key: String?
    public var secret: String?
    public var endpoint: String?
    public var region: String?
    public var workspaceId: String?

    public init(
        name: String? = nil, bucket: String? = nil, storageType: String? = nil, key: String? = nil, secret: String? = nil, endpoint: String? = nil,
        region: String? = nil, workspaceId: String? = nil
    ) {
        self.name = name
        self.bucket = bucket
        self.storageType = storageType
        self.key = key
        self.secret = secret
        self.endpoint = endpoint
        self.region = region
        self.workspaceId = workspaceId
    }
}

/// `POST /bucket/{id}/validate`: candidate values to test instead of the stored ones.
public struct ValidateBucketRequest: Codable, Sendable {
    public var key: String?
    public var secret: String?
    public var endpoint: String?
    public var bucket: String?
    public var region: String?

    public init(key: String? = nil, secret: String? = nil, endpoint: String? = nil, bucket: String? = nil, region: String? = nil) {
        self.key = key
        self.secret = secret
        self.endpoint = endpoint
        self.bucket = bucket
        self.region = region
    }

    public var isEmpty: Bool { key == nil && secret == nil && endpoint == nil && bucket == nil && region == nil }
}

/// A bucket as `GET /bucket` shows it. Built from the stored bucket, and holding no field for the
/// secret, so no secret can leak through it.
public struct BucketResponse: Codable, Sendable {
    public struct RepositoryUse: Codable, Sendable {
        public var id: String
        public var name: String
        public var storageType: String
        public var createdAt: Date

        public init(id: String, name: String, storageType: String, createdAt: Date) {
            self.id = id
            self.name = name
            self.storageType = storageType
            self.createdAt = createdAt
        }
    }
    public var id: String
    public var name: String
    public var bucket: String
    public var storageType: String
    public var key: String
    @Nullable public var endpoint: String?
    @Nullable public var region: String?
    @Nullable public var status: String?
    @Nullable public var lastStatusAt: Date?
    /// How long the last check took, in milliseconds; null before the first.
    @Nullable public var latency_ms: Int?
    public var createdAt: Date
    public var workspaceId: String
    public var repos: [RepositoryUse]

    public init(
        id: String, name: String, bucket: String, storageType: String, key: String, endpoint: String? = nil, region: String? = nil,
        status: String? = nil, lastStatusAt: Date? = nil, latency_ms: Int? = nil, createdAt: Date, workspaceId: String,
        repos: [RepositoryUse]
    ) {
        self.id = id
        self.name = name
        self.bucket = bucket
        self.storageType = storageType
        self.key = key
        self.endpoint = endpoint
        self.region = region
        self.status = status
        self.lastStatusAt = lastStatusAt
        self.latency_ms = latency_ms
        self.createdAt = createdAt
        self.workspaceId = workspaceId
        self.repos = repos
    }

}

/// `GET /bucket`
public struct BucketListResponse: Codable, Sendable {
    public var success = true
    public var buckets: [BucketResponse]

    public init(buckets: [BucketResponse]) {
        self.buckets = buckets
    }
}

/// `POST /bucket`
public struct BucketCreatedResponse: Codable, Sendable {
    public var success = true
    public var bucketId: String

    public init(bucketId: String) {
        self.bucketId = bucketId
    }
}

/// `PUT /bucket/{id}`
public struct BucketUpdatedResponse: Codable, Sendable {
    public var success = true
    public var bucketId: String
    @Nullable public var status: String?
    @Nullable public var latency_ms: Int?

    public init(bucketId: String, status: String? = nil, latency_ms: Int? = nil) {
        self.bucketId = bucketId
        self.status = status
        self.latency_ms = latency_ms
    }

}

/// `POST /bucket/{id}/validate`
public struct BucketValidationResponse: Codable, Sendable {
    public var success: Bool
    public var message: String
    public var status: String
    public var latency_ms: Int

    public init(success: Bool, message: String, status: String, latency_ms: Int) {
        self.success = success
        self.message = message
        self.status = status
        self.latency_ms = latency_ms
    }
}

/// `GET /bucket/{id}/status`
public struct BucketStatusResponse: Codable, Sendable {
    public struct Check: Codable, Sendable {
        public var status: String
        public var latency_ms: Int
        public var checkedAt: Date

        public init(status: String, latency_ms: Int, checkedAt: Date) {
            self.status = status
            self.latency_ms = latency_ms
            self.checkedAt = checkedAt
        }
    }
    public var bucketId: String
    @Nullable public var status: String?
    @Nullable public var lastStatusAt: Date?
    @Nullable public var latency_ms: Int?
    public var history: [Check]

    public init(bucketId: String, status: String? = nil, lastStatusAt: Date? = nil, latency_ms: Int? = nil, history: [Check]) {
        self.bucketId = bucketId
        self.status = status
        self.lastStatusAt = lastStatusAt
        self.latency_ms = latency_ms
        self.history = history
    }

}

/// An item of `GET /bucket/available` (the seed page), whose body is a bare array of these. The
/// server writes it with `JSONWriter` for speed; a test holds those bytes to this type's encoding.
public struct AvailableBucket: Codable, Sendable {
    public var id: String
    public var name: String
    public var storageType: String
    public var bucket: String
    public var key: String
    @Nullable public var status: String?
    public var workspaceId: String
    public var createdAt: Date

    public init(
        id: String, name: String, storageType: String, bucket: String, key: String, status: String?, workspaceId: String, createdAt: Date
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
