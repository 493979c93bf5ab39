import CisternCore
import Foundation
import SQLKit

/// `BucketStore` over the SQL database.
public struct SQLBucketStore: BucketStore {
    let database: Database
    /// How many checks each bucket's history keeps.
    public static let historyLength = 100

    public init(database: Database) {
        self.database = database
    }

    public func create(_ bucket: Bucket, limit: Int?) async throws {
        try await self.translatingNameConflicts {
            try await self.database.changeTransaction { sql in
                try await Self.requireLiveWorkspace(bucket.workspaceId, orgId: bucket.orgId, sql)
                if let limit {
                    let row = try await sql.raw(
                        "SELECT COUNT(*) AS live FROM buckets WHERE org_id = \(bind: bucket.orgId.canonical) AND deleted_at IS NULL"
                    ).first()
                    if let row, try row.decode(column: "live", as: Int.self) >= limit { throw CisternError.bucketQuotaExceeded(limit: limit) }
                }
                try await sql.raw(
                    """
                    INSERT INTO buckets (id, org_id, workspace_id, name, name_key, bucket, storage_type, access_key,
                                         secret_key_version, secret_iv, secret_auth_tag, secret_message, endpoint, region,
                                         status, latency_ms, last_status_at, created_at)
                    VALUES (\(bind: bucket.id.canonical), \(bind: bucket.orgId.canonical), \(bind: bucket.workspaceId.canonical),
                            \(bind: bucket.name), \(bind: NameKey.of(bucket.name)), \(bind: bucket.bucket), \(bind: bucket.storageType.rawValue),
                            \(bind: bucket.key), \(bind: bucket.secret.key), \(bind: bucket.secret.iv), \(bind: bucket.secret.authTag),
                            \(bind: bucket.secret.message), \(bind: bucket.endpoint), \(bind: bucket.region), \(bind: bucket.status?.rawValue),
                            \(bind: bucket.latencyMs), \(bind: bucket.lastStatusAt?.millisecondsSince1970),
                            \(bind: bucket.createdAt.millisecondsSince1970))
                    """
                ).run()
                try await self.database.audit(
                    on: sql, target: "bucket/\(bucket.id.canonical)",
                    details: [
                        "name": bucket.name, "provider": bucket.storageType.rawValue, "bucket": bucket.bucket,
                        "workspace": bucket.workspaceId.canonical,
                    ]
                )
            }
        }
    }

    public func bucket(id: UUID) async throws -> Bucket? {
        try await self.database.withConnection { sql in
            try await sql.raw("SELECT \(Self.columns) FROM buckets b WHERE b.id = \(bind: id.canonical) AND b.deleted_at IS NULL")
                .first()?.bucket()
        }
    }

    public func buckets(ids: [UUID]) async throws -> [Bucket] {
        guard !ids.isEmpty else { return [] }
        return try await self.database.withConnection { sql in
            try await sql.raw(
                "SELECT \(Self.columns) FROM buckets b WHERE b.id IN (\(binds: ids.map(\.canonical))) AND b.deleted_at IS NULL"
            ).all().map { try $0.bucket() }
        }
    }

    public func list(_ scope: ReadScope, workspaceId: UUID?) async throws -> [Bucket] {
        try await self.database.withConnection { sql in
            try await sql.raw(
                """
                SELECT \(Self.columns) FROM buckets b
                WHERE b.deleted_at IS NULL AND \(Self.filter(scope, workspaceId: workspaceId))
                ORDER BY b.created_at, b.id
                """
            ).all().map { try $0.bucket() }
        }
    }

    public func available(_ scope: ReadScope, workspaceId: UUID?) async throws -> [BucketSummary] {
        // Rows are turned into summaries as they arrive rather than collected first: a large
        // organization's list is tens of thousands of rows.
        let collected = SummaryCollector()
        try await self.database.withConnection { sql in
            try await sql.raw(Self.availableQuery(scope, workspaceId: workspaceId)).run { row in collected.add(row) }
        }
        return try collected.result()
    }

    /// Collects rows into summaries on the database's thread; the first failure is kept.
    private final class SummaryCollector: @unchecked Sendable {
        private var summaries: [BucketSummary] = []
        private var failure: (any Error)?

        // Called for one row at a time, in order, by the query; read after it has finished.
        func add(_ row: any SQLRow) {
            guard self.failure == nil else { return }
            do {
                self.summaries.append(
                    BucketSummary(
                        id: try row.uuid("id"), name: try row.decode(column: "name", as: String.self),
                        storageType: try row.enumeration("storage_type", as: StorageType.self),
                        bucket: try row.decode(column: "bucket", as: String.self),
                        key: try row.decode(column: "access_key", as: String.self),
                        status: try row.optionalEnumeration("status", as: BucketStatus.self),
                        workspaceId: try row.uuid("workspace_id"), createdAt: try row.date("created_at")
                    )
                )
            } catch {
                self.failure = error
            }
        }

        func result() throws -> [BucketSummary] {
            if let failure { throw failure }
            return self.summaries
        }
    }

    public func update(id: UUID, orgId: UUID, _ changes: BucketChanges) async throws {
        var assignments: [SQLQueryString] = []
        if let name = changes.name { assignments.append("name = \(bind: name), name_key = \(bind: NameKey.of(name))") }
        if let workspaceId = changes.workspaceId { assignments.append("workspace_id = \(bind: workspaceId.canonical)") }
        if let connection = changes.connection {
            assignments.append(
                """
                bucket = \(bind: connection.bucket), storage_type = \(bind: connection.storageType.rawValue),
                access_key = \(bind: connection.key), secret_key_version = \(bind: connection.secret.key),
                secret_iv = \(bind: connection.secret.iv), secret_auth_tag = \(bind: connection.secret.authTag),
                secret_message = \(bind: connection.secret.message), endpoint = \(bind: connection.endpoint),
                region = \(bind: connection.region), status = \(bind: connection.status?.rawValue),
                latency_ms = \(bind: connection.latencyMs), last_status_at = \(bind: connection.lastStatusAt?.millisecondsSince1970)
                """
            )
        }
        // A bucket with nothing to change is still checked for life, so the answer is the same.
        let set: SQLQueryString = assignments.isEmpty ? "id = id" : assignments.joined(separator: ", ")
        try await self.translatingNameConflicts {
            try await self.database.changeTransaction { sql in
                if let workspaceId = changes.workspaceId { try await Self.requireLiveWorkspace(workspaceId, orgId: orgId, sql) }
                let updated = try await sql.raw(
                    """
                    UPDATE buckets SET \(set)
                    WHERE id = \(bind: id.canonical) AND org_id = \(bind: orgId.canonical) AND deleted_at IS NULL
                    RETURNING id
                    """
                ).first()
                guard updated != nil else { throw CisternError.bucketNotFound }
                try await self.database.audit(on: sql, target: "bucket/\(id.canonical)", details: changes.auditDetails)
            }
        }
    }

    public func delete(id: UUID, now: Date) async throws {
        try await self.database.changeTransaction { sql in
            guard
                let row = try await sql.raw(
                    "SELECT mirror_repository_id, normal_claims FROM buckets WHERE id = \(bind: id.canonical) AND deleted_at IS NULL"
                ).first()
            else { throw CisternError.bucketNotFound }
            let claimedByMirror = try !row.decodeNil(column: "mirror_repository_id")
            guard !claimedByMirror, try row.decode(column: "normal_claims", as: Int.self) == 0 else { throw CisternError.bucketInUse }
            try await sql.raw("UPDATE buckets SET deleted_at = \(bind: now.millisecondsSince1970) WHERE id = \(bind: id.canonical)").run()
            try await self.database.audit(on: sql, target: "bucket/\(id.canonical)")
        }
    }

    public func record(_ check: BucketCheck, bucketId: UUID, nextCheckAt: Date) async throws {
        // A new status is a change lists show (and the gateway's read order follows); a repeated
        // one is not.
        try await self.database.transactionReportingChange { sql in
            let before = try await sql.raw("SELECT status FROM buckets WHERE id = \(bind: bucketId.canonical)").first()
            let statusBefore = try before.flatMap { try $0.optionalEnumeration("status", as: BucketStatus.self) }
            try await sql.raw(
                """
                UPDATE buckets SET status = \(bind: check.status.rawValue), latency_ms = \(bind: check.latencyMs),
                    last_status_at = \(bind: check.checkedAt.millisecondsSince1970),
                    next_check_at = \(bind: nextCheckAt.millisecondsSince1970)
                WHERE id = \(bind: bucketId.canonical)
                """
            ).run()
            try await Self.appendHistory(check, bucketId: bucketId, sql)
            try await self.database.audit(on: sql, target: "bucket/\(bucketId.canonical)", details: ["status": check.status.rawValue])
            return ((), statusBefore != check.status)
        }
    }

    public func claimDueChecks(now: Date, leaseUntil: Date, limit: Int) async throws -> [Bucket] {
        try await self.database.transaction { sql in
            let due = try await sql.raw(
                """
                SELECT id FROM buckets
                WHERE deleted_at IS NULL AND (next_check_at IS NULL OR next_check_at <= \(bind: now.millisecondsSince1970))
                ORDER BY next_check_at, id LIMIT \(bind: limit)
                """
            ).all().map { try $0.decode(column: "id", as: String.self) }
            guard !due.isEmpty else { return [] }
            try await sql.raw(
                """
                UPDATE buckets SET next_check_at = \(bind: leaseUntil.millisecondsSince1970)
                WHERE id IN (\(binds: due)) AND (next_check_at IS NULL OR next_check_at <= \(bind: now.millisecondsSince1970))
                """
            ).run()
            return try await sql.raw("SELECT \(Self.columns) FROM buckets b WHERE b.id IN (\(binds: due))").all().map { try $0.bucket() }
        }
    }

    public func history(bucketId: UUID, limit: Int) async throws -> [BucketCheck] {
        try await self.database.withConnection { sql in
            try await sql.raw(
                """
                SELECT status, latency_ms, reason, checked_at FROM bucket_checks WHERE bucket_id = \(bind: bucketId.canonical)
                ORDER BY checked_at DESC LIMIT \(bind: limit)
                """
            ).all().map { row in
                BucketCheck(
                    status: try row.enumeration("status", as: BucketStatus.self), latencyMs: try row.decode(column: "latency_ms", as: Int.self),
                    reason: try row.decode(column: "reason", as: String.self), checkedAt: try row.date("checked_at")
                )
            }
        }
    }

    /// One query over the partial indexes `buckets_available_by_*`, which hold exactly the
    /// available rows in this order: its cost follows the rows it returns.
    static func availableQuery(_ scope: ReadScope, workspaceId: UUID?) -> SQLQueryString {
        let columns: SQLQueryString = "b.id, b.name, b.storage_type, b.bucket, b.access_key, b.status, b.workspace_id, b.created_at"
        let available: SQLQueryString = "b.deleted_at IS NULL AND b.mirror_repository_id IS NULL"
        switch (scope, workspaceId) {
        case (.organization(let orgId), nil):
            return """
                SELECT \(columns) FROM buckets b WHERE \(available) AND b.org_id = \(bind: orgId.canonical) ORDER BY b.created_at, b.id
                """
        case (.organization(let orgId), let workspaceId?):
            return """
                SELECT \(columns) FROM buckets b
                WHERE \(available) AND b.workspace_id = \(bind: workspaceId.canonical) AND b.org_id = \(bind: orgId.canonical)
                ORDER BY b.created_at, b.id
                """
        case (.memberships(let orgId, let userId), let workspaceId):
            // Memberships first (CROSS JOIN fixes that order on SQLite), then each workspace's index
            // range: the org's other workspaces are never read. The organization is checked on the
            // membership's workspace (memberships never cross organizations; this keeps it so even
            // if one did), not on the bucket, so the planner has only the workspace index to use.
            let oneWorkspace: SQLQueryString = workspaceId.map { "AND m.workspace_id = \(bind: $0.canonical)" } ?? ""
            return """
                SELECT \(columns) FROM workspace_members m JOIN workspaces w ON w.id = m.workspace_id CROSS JOIN buckets b
                WHERE m.user_id = \(bind: userId.canonical) \(oneWorkspace) AND w.org_id = \(bind: orgId.canonical)
                  AND b.workspace_id = m.workspace_id AND \(available)
                ORDER BY b.created_at, b.id
                """
        }
    }

    /// Adds a check to a bucket's history and drops what falls beyond `historyLength`.
    static func appendHistory(_ check: BucketCheck, bucketId: UUID, _ sql: any SQLDatabase) async throws {
        try await sql.raw(
            """
            INSERT INTO bucket_checks (bucket_id, checked_at, status, latency_ms, reason)
            VALUES (\(bind: bucketId.canonical), \(bind: check.checkedAt.millisecondsSince1970), \(bind: check.status.rawValue),
                    \(bind: check.latencyMs), \(bind: String(check.reason.prefix(300))))
            """
        ).run()
        try await sql.raw(
            """
            DELETE FROM bucket_checks WHERE bucket_id = \(bind: bucketId.canonical) AND checked_at < (
                SELECT checked_at FROM bucket_checks WHERE bucket_id = \(bind: bucketId.canonical)
                ORDER BY checked_at DESC LIMIT 1 OFFSET \(bind: Self.historyLength - 1))
            """
        ).run()
    }

    /// Refuses a workspace that is deleted or belongs to another organization.
    static func requireLiveWorkspace(_ workspaceId: UUID, orgId: UUID, _ sql: any SQLDatabase) async throws {
        let row = try await sql.raw(
            """
            SELECT id FROM workspaces WHERE id = \(bind: workspaceId.canonical) AND org_id = \(bind: orgId.canonical) AND deleted_at IS NULL
            """
        ).first()
        guard row != nil else { throw CisternError.workspaceNotFound }
    }

    /// The scope condition, narrowed to one workspace when asked.
    static func filter(_ scope: ReadScope, workspaceId: UUID?) -> SQLQueryString {
        let condition = scope.condition(organization: "b.org_id", workspace: "b.workspace_id")
        guard let workspaceId else { return condition }
        return condition + " AND b.workspace_id = \(bind: workspaceId.canonical)"
    }

    static let columns: SQLQueryString = """
        b.id, b.org_id, b.workspace_id, b.name, b.bucket, b.storage_type, b.access_key, b.secret_key_version, b.secret_iv,
        b.secret_auth_tag, b.secret_message, b.endpoint, b.region, b.status, b.latency_ms, b.last_status_at, b.created_at
        """

    private func translatingNameConflicts<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error where self.database.isUniqueViolation(error) {
            throw CisternError.bucketNameAlreadyUsed
        }
    }
}

extension SQLRow {
    /// A `buckets` row selected with `SQLBucketStore.columns`.
    func bucket() throws -> Bucket {
        Bucket(
            id: try self.uuid("id"), orgId: try self.uuid("org_id"), workspaceId: try self.uuid("workspace_id"),
            name: try self.decode(column: "name", as: String.self), bucket: try self.decode(column: "bucket", as: String.self),
            storageType: try self.enumeration("storage_type", as: StorageType.self), key: try self.decode(column: "access_key", as: String.self),
            secret: SealedSecret(
                key: try self.decode(column: "secret_key_version", as: String.self), iv: try self.decode(column: "secret_iv", as: String.self),
                authTag: try self.decode(column: "secret_auth_tag", as: String.self),
                message: try self.decode(column: "secret_message", as: String.self)
            ),
            endpoint: try self.optional("endpoint", as: String.self), region: try self.optional("region", as: String.self),
            status: try self.optionalEnumeration("status", as: BucketStatus.self), lastStatusAt: try self.optionalDate("last_status_at"),
            latencyMs: try self.optional("latency_ms", as: Int.self), createdAt: try self.date("created_at")
        )
    }
}
