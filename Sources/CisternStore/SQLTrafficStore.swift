import CisternCore
import Foundation
import SQLKit

/// `TrafficStore` over the SQL database: `traffic_minutes` and `traffic_days`, the same columns.
public struct SQLTrafficStore: TrafficStore {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    public func record(_ counts: [TrafficKey: TrafficCounts], host: String) async throws {
        guard !counts.isEmpty else { return }
        try await self.database.transaction { sql in
            for (key, value) in counts.sorted(by: { ($0.key.minute, $0.key.repositoryId.canonical) < ($1.key.minute, $1.key.repositoryId.canonical) })
            {
                try await sql.raw(
                    """
                    INSERT INTO traffic_minutes
                        (period_start, repository_id, bucket_id, host, requests, upload_bytes, download_bytes, size_change, latency_ms)
                    VALUES (\(bind: key.minute), \(bind: key.repositoryId.canonical), \(bind: key.bucketId.canonical), \(bind: host),
                            \(bind: value.requests), \(bind: value.uploadBytes), \(bind: value.downloadBytes), \(bind: value.sizeChange),
                            \(bind: value.latencyMilliseconds))
                    ON CONFLICT (period_start, repository_id, bucket_id, host) DO UPDATE SET \(Self.adding("traffic_minutes"))
                    """
                ).run()
            }
        }
    }

    /// The assignments that add a conflicting row's counts to the stored ones.
    static func adding(_ table: String) -> SQLQueryString {
        """
        requests = \(unsafeRaw: table).requests + excluded.requests,
        upload_bytes = \(unsafeRaw: table).upload_bytes + excluded.upload_bytes,
        download_bytes = \(unsafeRaw: table).download_bytes + excluded.download_bytes,
        size_change = \(unsafeRaw: table).size_change + excluded.size_change,
        latency_ms = \(unsafeRaw: table).latency_ms + excluded.latency_ms
        """
    }

    /// The five sums, of the columns of `table` (a name or alias; joined tables have their own `latency_ms`).
    static func sums(of table: String? = nil) -> SQLQueryString {
        let t = table.map { $0 + "." } ?? ""
        return """
            CAST(SUM(\(unsafeRaw: t)requests) AS BIGINT) AS requests, CAST(SUM(\(unsafeRaw: t)upload_bytes) AS BIGINT) AS upload_bytes,
            CAST(SUM(\(unsafeRaw: t)download_bytes) AS BIGINT) AS download_bytes,
            CAST(SUM(\(unsafeRaw: t)size_change) AS BIGINT) AS size_change, CAST(SUM(\(unsafeRaw: t)latency_ms) AS BIGINT) AS latency_ms
            """
    }

    public func rollUp(before cutoff: Date) async throws {
        let before = cutoff.millisecondsSince1970
        try await self.database.transaction { sql in
            try await sql.raw(
                """
                INSERT INTO traffic_days
                    (period_start, repository_id, bucket_id, host, requests, upload_bytes, download_bytes, size_change, latency_ms)
                SELECT period_start - (period_start % 86400000), repository_id, bucket_id, host, \(Self.sums())
                FROM traffic_minutes WHERE period_start < \(bind: before)
                GROUP BY period_start - (period_start % 86400000), repository_id, bucket_id, host
                ON CONFLICT (period_start, repository_id, bucket_id, host) DO UPDATE SET \(Self.adding("traffic_days"))
                """
            ).run()
            try await sql.raw("DELETE FROM traffic_minutes WHERE period_start < \(bind: before)").run()
        }
    }

    public func bucketTotals(_ scope: ReadScope, bucketIds: [UUID]?) async throws -> [TrafficTotal] {
        try await self.totals(
            of: "buckets", column: "bucket_id", condition: scope.condition(organization: "o.org_id", workspace: "o.workspace_id"), ids: bucketIds)
    }

    public func repositoryTotals(_ scope: ReadScope, repositoryIds: [UUID]?) async throws -> [TrafficTotal] {
        try await self.totals(
            of: "repositories", column: "repository_id", condition: scope.condition(organization: "o.org_id", workspace: "o.workspace_id"),
            ids: repositoryIds)
    }

    /// Every live row of `table` (aliased `o`) that `condition` selects, with the sums of both
    /// periods' rows whose `column` names it.
    private func totals(of table: String, column: String, condition: SQLQueryString, ids: [UUID]?) async throws -> [TrafficTotal] {
        var condition = condition
        if let ids {
            guard !ids.isEmpty else { return [] }
            condition = condition + " AND o.id IN (\(binds: ids.map(\.canonical)))"
        }
        return try await self.database.withConnection { sql in
            try await sql.raw(
                """
                SELECT o.id AS id, t.requests, t.upload_bytes, t.download_bytes, t.size_change, t.latency_ms
                FROM \(unsafeRaw: table) o
                LEFT JOIN (
                    SELECT \(unsafeRaw: column) AS owner, \(Self.sums()) FROM (
                        SELECT \(unsafeRaw: column), requests, upload_bytes, download_bytes, size_change, latency_ms FROM traffic_minutes
                        UNION ALL
                        SELECT \(unsafeRaw: column), requests, upload_bytes, download_bytes, size_change, latency_ms FROM traffic_days
                    ) periods GROUP BY \(unsafeRaw: column)
                ) t ON t.owner = o.id
                WHERE o.deleted_at IS NULL AND \(condition)
                ORDER BY o.created_at, o.id
                """
            ).all().map { row in TrafficTotal(id: try row.uuid("id"), counts: try row.trafficCounts()) }
        }
    }

    public func rows(_ period: TrafficPeriod, _ scope: ReadScope, _ filter: TrafficFilter, limit: Int) async throws -> [TrafficRow] {
        let columns: SQLQueryString = "repository_id, bucket_id, host, requests, upload_bytes, download_bytes, size_change, latency_ms"
        // Days not yet rolled up are still minutes: they count into their day.
        let source: SQLQueryString =
            switch period {
            case .minute: "SELECT period_start, \(columns) FROM traffic_minutes"
            case .day:
                """
                SELECT period_start - (period_start % 86400000) AS period_start, \(columns) FROM traffic_minutes
                UNION ALL SELECT period_start, \(columns) FROM traffic_days
                """
            }
        var condition: SQLQueryString = """
            t.period_start >= \(bind: filter.start.millisecondsSince1970) AND t.period_start <= \(bind: filter.end.millisecondsSince1970)
              AND ((r.id IS NOT NULL AND \(scope.condition(organization: "r.org_id", workspace: "r.workspace_id")))
                OR (b.id IS NOT NULL AND \(scope.condition(organization: "b.org_id", workspace: "b.workspace_id"))))
            """
        if let ids = filter.repositoryIds {
            guard !ids.isEmpty else { return [] }
            condition = condition + " AND t.repository_id IN (\(binds: ids.map(\.canonical)))"
        }
        if let ids = filter.bucketIds {
            guard !ids.isEmpty else { return [] }
            condition = condition + " AND t.bucket_id IN (\(binds: ids.map(\.canonical)))"
        }
        if let hosts = filter.hosts {
            guard !hosts.isEmpty else { return [] }
            condition = condition + " AND t.host IN (\(binds: hosts))"
        }
        return try await self.database.withConnection { sql in
            try await sql.raw(
                """
                SELECT t.period_start, t.repository_id, t.bucket_id, t.host, \(Self.sums(of: "t"))
                FROM (\(source)) t
                LEFT JOIN repositories r ON r.id = t.repository_id
                LEFT JOIN buckets b ON b.id = t.bucket_id
                WHERE \(condition)
                GROUP BY t.period_start, t.repository_id, t.bucket_id, t.host
                ORDER BY t.period_start, t.repository_id, t.bucket_id, t.host
                LIMIT \(bind: limit)
                """
            ).all().map { row in
                TrafficRow(
                    start: try row.date("period_start"), repositoryId: try row.uuid("repository_id"), bucketId: try row.uuid("bucket_id"),
                    host: try row.decode(column: "host", as: String.self), counts: try row.trafficCounts()
                )
            }
        }
    }
}

extension SQLRow {
    /// The five sums of a traffic query; NULL (nothing counted) reads as zero.
    fileprivate func trafficCounts() throws -> TrafficCounts {
        func value(_ column: String) throws -> Int64 { try self.optional(column, as: Int64.self) ?? 0 }
        return TrafficCounts(
            requests: try value("requests"), uploadBytes: try value("upload_bytes"), downloadBytes: try value("download_bytes"),
            sizeChange: try value("size_change"), latencyMilliseconds: try value("latency_ms")
        )
    }
}
