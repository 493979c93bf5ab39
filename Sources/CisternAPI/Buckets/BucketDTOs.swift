import CisternCore
import CisternStore
import Foundation
import Hummingbird
import NIOCore

/// `POST /bucket`
struct CreateBucketRequest: Decodable {
    var name: String
    var bucket: String
    var storageType: String
    var key: String
    var secret: String
    var endpoint: String?
    var region: String?
    var workspaceId: String
}

/// `PUT /bucket/{id}`: any subset of the create fields.
struct UpdateBucketRequest: Decodable {
    var name: String?
    var bucket: String?
    var storageType: String?
    var key: String?
    var secret: String?
    var endpoint: String?
    var region: String?
    var workspaceId: String?
}

/// `POST /bucket/{id}/validate`: candidate values to test instead of the stored ones.
struct ValidateBucketRequest: Decodable {
    var key: String?
    var secret: String?
    var endpoint: String?
    var bucket: String?
    var region: String?

    var isEmpty: Bool { key == nil && secret == nil && endpoint == nil && bucket == nil && region == nil }
}

/// A bucket as `GET /bucket` shows it. Built from the stored bucket, and holding no field for the
/// secret, so no secret can leak through it.
struct BucketResponse: Encodable {
    struct RepositoryUse: Encodable {
        var id: String
        var name: String
        var storageType: String
        var createdAt: Date

        init(_ reference: RepositoryReference) {
            self.id = reference.id.canonical
            self.name = reference.name
            self.storageType = reference.storageType.rawValue
            self.createdAt = reference.createdAt
        }
    }
    var id: String
    var name: String
    var bucket: String
    var storageType: String
    var key: String
    @Nullable var endpoint: String?
    @Nullable var region: String?
    @Nullable var status: String?
    @Nullable var lastStatusAt: Date?
    var createdAt: Date
    var workspaceId: String
    var repos: [RepositoryUse]

    init(_ bucket: Bucket, repos: [RepositoryReference]) {
        self.id = bucket.id.canonical
        self.name = bucket.name
        self.bucket = bucket.bucket
        self.storageType = bucket.storageType.rawValue
        self.key = bucket.key
        self.endpoint = bucket.endpoint
        self.region = bucket.region
        self.status = bucket.status?.rawValue
        self.lastStatusAt = bucket.lastStatusAt
        self.createdAt = bucket.createdAt
        self.workspaceId = bucket.workspaceId.canonical
        self.repos = repos.map(RepositoryUse.init)
    }

}

/// `GET /bucket/available`: a bare array of the seed page's eight fields per bucket.
enum AvailableBucketsResponse {
    /// The body, written directly rather than through `JSONBody.encoder()` (a test holds the two to
    /// the same bytes): this list is polled by every dashboard and can hold thousands of buckets.
    static func json(_ buckets: [BucketSummary]) -> ByteBuffer {
        var writer = JSONWriter(capacity: 2 + buckets.count * 320)
        writer.raw("[")
        for (index, bucket) in buckets.enumerated() {
            writer.raw(index == 0 ? "{" : ",{")
            writer.key("bucket")
            writer.string(bucket.bucket)
            writer.nextKey("createdAt")
            writer.date(bucket.createdAt)
            writer.nextKey("id")
            writer.id(bucket.id)
            writer.nextKey("key")
            writer.string(bucket.key)
            writer.nextKey("name")
            writer.string(bucket.name)
            writer.nextKey("status")
            writer.string(orNull: bucket.status?.rawValue)
            writer.nextKey("storageType")
            writer.string(bucket.storageType.rawValue)
            writer.nextKey("workspaceId")
            writer.id(bucket.workspaceId)
            writer.raw("}")
            writer.flushIfLarge()
        }
        writer.raw("]")
        return writer.finish()
    }
}

/// `GET /bucket`
struct BucketListResponse: ResponseEncodable {
    var success = true
    var buckets: [BucketResponse]
}

/// `POST /bucket`
struct BucketCreatedResponse: ResponseEncodable {
    var success = true
    var bucketId: String
}

/// `PUT /bucket/{id}`
struct BucketUpdatedResponse: ResponseEncodable {
    var success = true
    var bucketId: String
    @Nullable var status: String?
    @Nullable var latency_ms: Int?

}

/// `POST /bucket/{id}/validate`
struct BucketValidationResponse: ResponseEncodable {
    var success: Bool
    var message: String
    var status: String
    var latency_ms: Int
}

/// `GET /bucket/{id}/status`
struct BucketStatusResponse: ResponseEncodable {
    struct Check: Encodable {
        var status: String
        var latency_ms: Int
        var checkedAt: Date
    }
    var bucketId: String
    @Nullable var status: String?
    @Nullable var lastStatusAt: Date?
    @Nullable var latency_ms: Int?
    var history: [Check]

}
