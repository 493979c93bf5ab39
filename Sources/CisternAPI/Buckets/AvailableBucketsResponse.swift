import CisternCore
import CisternStore
import CisternWire
import NIOCore

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
