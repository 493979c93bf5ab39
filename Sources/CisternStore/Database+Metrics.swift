import CisternCore
import Foundation
import SQLKit

extension Database {
    /// Live buckets by monitored status (nil: not checked yet), for the metrics.
    public func bucketCountsByStatus() async throws -> [BucketStatus?: Int] {
        try await self.withConnection { sql in
            var counts: [BucketStatus?: Int] = [:]
            for row in try await sql.raw("SELECT status, COUNT(*) AS n FROM buckets WHERE deleted_at IS NULL GROUP BY status").all() {
                counts[try row.optionalEnumeration("status", as: BucketStatus.self)] = try row.decode(column: "n", as: Int.self)
            }
            return counts
        }
    }

    /// Repair items of every MIRROR repository by state, for the metrics.
    public func repairCountsByState() async throws -> [ReplicationState: Int] {
        try await self.withConnection { sql in
            var counts: [ReplicationState: Int] = [:]
            for row in try await sql.raw("SELECT state, COUNT(*) AS n FROM replication_items GROUP BY state").all() {
                counts[try row.enumeration("state", as: ReplicationState.self)] = try row.decode(column: "n", as: Int.self)
            }
            return counts
        }
    }
}
