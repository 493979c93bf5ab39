import CisternCore
import Foundation
import SQLKit

/// `ReplicationStore` over the SQL database.
public struct SQLReplicationStore: ReplicationStore {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    public func enqueue(repositoryId: UUID, bucketId: UUID, keys: [String], operation: ReplicationOperation, now: Date) async throws {
        guard !keys.isEmpty else { return }
        try await self.database.transaction { sql in
            for key in keys { try await Self.enqueue(repositoryId: repositoryId, bucketId: bucketId, key: key, operation: operation, now: now, sql) }
        }
    }

    /// One key, inside the caller's transaction. A backfill never changes why an item already
    /// pending is pending.
    static func enqueue(
        repositoryId: UUID, bucketId: UUID, key: String, operation: ReplicationOperation, now: Date, _ sql: any SQLDatabase
    ) async throws {
        let at = now.millisecondsSince1970
        try await sql.raw(
            """
            INSERT INTO replication_items
                (id, repository_id, bucket_id, object_key, operation, state, attempts, generation, next_attempt_at, updated_at)
            VALUES (\(bind: UUID().canonical), \(bind: repositoryId.canonical), \(bind: bucketId.canonical), \(bind: key),
                    \(bind: operation.rawValue), 'PENDING', 0, 0, \(bind: at), \(bind: at))
            ON CONFLICT (repository_id, bucket_id, object_key) DO UPDATE SET
                operation = CASE WHEN replication_items.state = 'PENDING' AND excluded.operation = 'BACKFILL'
                                 THEN replication_items.operation ELSE excluded.operation END,
                state = 'PENDING', attempts = 0, last_error = NULL, generation = replication_items.generation + 1,
                next_attempt_at = excluded.next_attempt_at, updated_at = excluded.updated_at
            """
        ).run()
    }

    static let itemColumns: SQLQueryString =
        "id, repository_id, bucket_id, object_key, operation, state, attempts, last_error, generation, updated_at"

    public func claimDue(now: Date, leaseUntil: Date, limit: Int) async throws -> [ReplicationItem] {
        let at = now.millisecondsSince1970
        return try await self.database.transaction { sql in
            let due = try await sql.raw(
                """
                SELECT id FROM replication_items
                WHERE state = 'PENDING' AND next_attempt_at <= \(bind: at) AND (lease_until IS NULL OR lease_until <= \(bind: at))
                ORDER BY next_attempt_at, id LIMIT \(bind: limit)
                """
            ).all().map { try $0.decode(column: "id", as: String.self) }
            guard !due.isEmpty else { return [] }
            return try await sql.raw(
                """
                UPDATE replication_items SET lease_until = \(bind: leaseUntil.millisecondsSince1970)
                WHERE id IN (\(binds: due)) AND state = 'PENDING' AND (lease_until IS NULL OR lease_until <= \(bind: at))
                RETURNING \(Self.itemColumns)
                """
            ).all().map { try $0.replicationItem() }
        }
    }

    public func complete(_ item: ReplicationItem, now: Date) async throws -> Bool {
        try await self.database.transaction { sql in
            let completed = try await sql.raw(
                """
                UPDATE replication_items SET state = 'COMPLETED', lease_until = NULL, last_error = NULL,
                    updated_at = \(bind: now.millisecondsSince1970)
                WHERE id = \(bind: item.id.canonical) AND generation = \(bind: item.generation) AND state = 'PENDING'
                RETURNING id
                """
            ).first()
            if completed == nil { try await Self.release(item, sql) }
            return completed != nil
        }
    }

    public func recordFailure(_ item: ReplicationItem, error: String, now: Date, policy: ReplicationPolicy) async throws {
        let attempts = item.attempts + 1
        let state: ReplicationState = attempts >= policy.maximumAttempts ? .failed : .pending
        let next = now.addingTimeInterval(TimeInterval(policy.backoff(afterAttempts: attempts).components.seconds))
        try await self.database.transaction { sql in
            let recorded = try await sql.raw(
                """
                UPDATE replication_items SET state = \(bind: state.rawValue), attempts = \(bind: attempts),
                    last_error = \(bind: String(error.prefix(500))), next_attempt_at = \(bind: next.millisecondsSince1970),
                    lease_until = NULL, updated_at = \(bind: now.millisecondsSince1970)
                WHERE id = \(bind: item.id.canonical) AND generation = \(bind: item.generation) AND state = 'PENDING'
                RETURNING id
                """
            ).first()
            if recorded == nil { try await Self.release(item, sql) }
        }
    }

    /// Lets an item that a write made pending again since its claim be taken at once.
    static func release(_ item: ReplicationItem, _ sql: any SQLDatabase) async throws {
        try await sql.raw("UPDATE replication_items SET lease_until = NULL WHERE id = \(bind: item.id.canonical)").run()
    }

    public func state(repositoryId: UUID, key: String) async throws -> ReplicationState {
        try await self.database.withConnection { sql in
            let states = try await sql.raw(
                """
                SELECT state FROM replication_items
                WHERE repository_id = \(bind: repositoryId.canonical) AND object_key = \(bind: key) AND state <> 'COMPLETED'
                """
            ).all().map { try $0.enumeration("state", as: ReplicationState.self) }
            return states.contains(.failed) ? .failed : states.isEmpty ? .completed : .pending
        }
    }

    public func summary(repositoryId: UUID, now: Date, limit: Int) async throws -> ReplicationSummary {
        try await self.database.withConnection { sql in
            let repository = repositoryId.canonical
            let dayAgo = now.addingTimeInterval(-86_400).millisecondsSince1970
            var counts: [ReplicationState: Int] = [:]
            for row in try await sql.raw(
                """
                SELECT state, COUNT(*) AS n FROM replication_items WHERE repository_id = \(bind: repository)
                  AND (state <> 'COMPLETED' OR updated_at >= \(bind: dayAgo)) GROUP BY state
                """
            ).all() {
                counts[try row.enumeration("state", as: ReplicationState.self)] = try row.decode(column: "n", as: Int.self)
            }
            let items = try await sql.raw(
                """
                SELECT \(Self.itemColumns) FROM replication_items WHERE repository_id = \(bind: repository)
                ORDER BY CASE WHEN state = 'COMPLETED' THEN 1 ELSE 0 END,
                         CASE WHEN state = 'COMPLETED' THEN -updated_at ELSE updated_at END, object_key
                LIMIT \(bind: limit)
                """
            ).all().map { try $0.replicationItem() }
            let backfills = try await sql.raw(
                """
                SELECT id, repository_id, bucket_id, marker, listed, done FROM replication_backfills
                WHERE repository_id = \(bind: repository) ORDER BY created_at, id
                """
            ).all().map { try $0.backfill() }
            return ReplicationSummary(
                pending: counts[.pending] ?? 0, failed: counts[.failed] ?? 0, completedLastDay: counts[.completed] ?? 0, items: items,
                backfills: backfills
            )
        }
    }

    public func retry(repositoryId: UUID, now: Date) async throws -> Int {
        try await self.database.transaction { sql in
            let retried = try await sql.raw(
                """
                UPDATE replication_items SET state = 'PENDING', attempts = 0, generation = generation + 1,
                    next_attempt_at = \(bind: now.millisecondsSince1970), updated_at = \(bind: now.millisecondsSince1970)
                WHERE repository_id = \(bind: repositoryId.canonical) AND state = 'FAILED'
                RETURNING id
                """
            ).all().count
            try await self.database.audit(on: sql, target: "repository/\(repositoryId.canonical)", details: ["retried": "\(retried)"])
            return retried
        }
    }

    public func claimBackfill(now: Date, leaseUntil: Date) async throws -> Backfill? {
        let at = now.millisecondsSince1970
        return try await self.database.transaction { sql in
            guard
                let due = try await sql.raw(
                    """
                    SELECT id FROM replication_backfills WHERE done = \(bind: false) AND next_attempt_at <= \(bind: at)
                    ORDER BY next_attempt_at, id LIMIT 1
                    """
                ).first()
            else { return nil }
            return try await sql.raw(
                """
                UPDATE replication_backfills SET next_attempt_at = \(bind: leaseUntil.millisecondsSince1970)
                WHERE id = \(bind: try due.decode(column: "id", as: String.self)) AND next_attempt_at <= \(bind: at)
                RETURNING id, repository_id, bucket_id, marker, listed, done
                """
            ).first()?.backfill()
        }
    }

    public func advance(_ backfill: Backfill, keys: [String], marker: String, done: Bool, now: Date) async throws {
        try await self.database.transaction { sql in
            for key in keys {
                try await Self.enqueue(
                    repositoryId: backfill.repositoryId, bucketId: backfill.bucketId, key: key, operation: .backfill, now: now, sql
                )
            }
            try await sql.raw(
                """
                UPDATE replication_backfills SET marker = \(bind: marker), listed = listed + \(bind: keys.count), done = \(bind: done)
                WHERE id = \(bind: backfill.id.canonical)
                """
            ).run()
        }
    }

    public func postpone(_ backfill: Backfill, until at: Date) async throws {
        try await self.database.transaction { sql in
            try await sql.raw(
                "UPDATE replication_backfills SET next_attempt_at = \(bind: at.millisecondsSince1970) WHERE id = \(bind: backfill.id.canonical)"
            ).run()
        }
    }

    public func recordUpload(repositoryId: UUID, uploadId: String, key: String, memberUploads: [UUID: String], now: Date) async throws {
        guard !memberUploads.isEmpty else { return }
        try await self.database.transaction { sql in
            for (bucketId, memberUpload) in memberUploads {
                try await sql.raw(
                    """
                    INSERT INTO mirror_uploads (upload_id, repository_id, object_key, bucket_id, member_upload_id, created_at)
                    VALUES (\(bind: uploadId), \(bind: repositoryId.canonical), \(bind: key), \(bind: bucketId.canonical),
                            \(bind: memberUpload), \(bind: now.millisecondsSince1970))
                    """
                ).run()
            }
        }
    }

    public func memberUploads(repositoryId: UUID, uploadId: String) async throws -> [UUID: String] {
        try await self.database.withConnection { sql in
            var uploads: [UUID: String] = [:]
            for row in try await sql.raw(
                """
                SELECT bucket_id, member_upload_id FROM mirror_uploads
                WHERE repository_id = \(bind: repositoryId.canonical) AND upload_id = \(bind: uploadId)
                """
            ).all() {
                uploads[try row.uuid("bucket_id")] = try row.decode(column: "member_upload_id", as: String.self)
            }
            return uploads
        }
    }

    public func forgetUpload(repositoryId: UUID, uploadId: String) async throws {
        try await self.database.transaction { sql in
            try await sql.raw(
                "DELETE FROM mirror_uploads WHERE repository_id = \(bind: repositoryId.canonical) AND upload_id = \(bind: uploadId)"
            ).run()
        }
    }

    public func pruneCompleted(before: Date) async throws {
        try await self.database.transaction { sql in
            try await sql.raw(
                "DELETE FROM replication_items WHERE state = 'COMPLETED' AND updated_at < \(bind: before.millisecondsSince1970)"
            ).run()
        }
    }
}

extension SQLRow {
    fileprivate func replicationItem() throws -> ReplicationItem {
        ReplicationItem(
            id: try self.uuid("id"), repositoryId: try self.uuid("repository_id"), bucketId: try self.uuid("bucket_id"),
            key: try self.decode(column: "object_key", as: String.self), operation: try self.enumeration("operation", as: ReplicationOperation.self),
            state: try self.enumeration("state", as: ReplicationState.self), attempts: try self.decode(column: "attempts", as: Int.self),
            lastError: try self.optional("last_error", as: String.self), generation: try self.decode(column: "generation", as: Int.self),
            updatedAt: try self.date("updated_at")
        )
    }

    fileprivate func backfill() throws -> Backfill {
        Backfill(
            id: try self.uuid("id"), repositoryId: try self.uuid("repository_id"), bucketId: try self.uuid("bucket_id"),
            marker: try self.decode(column: "marker", as: String.self), listed: try self.decode(column: "listed", as: Int.self),
            done: try self.decode(column: "done", as: Bool.self)
        )
    }
}
