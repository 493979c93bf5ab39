import CisternCore
import Foundation
import SQLKit

/// `RepositoryStore` over the SQL database.
public struct SQLRepositoryStore: RepositoryStore {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    public func facts(
        orgId: UUID, scope: ReadScope, name: String?, members: [RepositoryMember], repositoryId: UUID?, limit: Int?
    ) async throws -> RepositoryFacts {
        try await self.database.withConnection { sql in
            let bucketIds = Array(Set(members.map(\.bucketId.canonical)))
            var facts = RepositoryFacts(visibleBuckets: [], repositoryLimit: limit)
            if !bucketIds.isEmpty {
                let visible = try await sql.raw(
                    """
                    SELECT b.id, b.bucket FROM buckets b WHERE b.id IN (\(binds: bucketIds)) AND b.deleted_at IS NULL
                      AND \(scope.condition(organization: "b.org_id", workspace: "b.workspace_id"))
                    """
                ).all()
                for row in visible {
                    let id = try row.uuid("id")
                    facts.visibleBuckets.insert(id)
                    facts.bucketNames[id] = try row.decode(column: "bucket", as: String.self)
                }
                let rows = try await sql.raw(
                    """
                    SELECT rb.bucket_id, rb.repository_id, rb.folder, r.mode FROM repository_buckets rb
                    JOIN repositories r ON r.id = rb.repository_id
                    WHERE rb.bucket_id IN (\(binds: bucketIds)) AND rb.released_at IS NULL
                    """
                ).all()
                for row in rows {
                    let owner = try row.uuid("repository_id")
                    guard owner != repositoryId else { continue }
                    let bucketId = try row.uuid("bucket_id")
                    var use = facts.uses[bucketId] ?? BucketUse()
                    if try row.decode(column: "mode", as: String.self) == RepositoryMode.mirror.rawValue {
                        use.mirrorRepositoryId = owner
                    } else {
                        use.normalFolders.append((owner, try row.decode(column: "folder", as: String.self)))
                    }
                    facts.uses[bucketId] = use
                }
            }
            if let name {
                let taken = try await sql.raw(
                    """
                    SELECT id FROM repositories WHERE org_id = \(bind: orgId.canonical) AND name_key = \(bind: NameKey.of(name))
                      AND deleted_at IS NULL AND id <> \(bind: repositoryId?.canonical ?? "")
                    """
                ).first()
                facts.nameTaken = taken != nil
            }
            facts.repositoryCount = try await Self.liveCount(orgId: orgId, sql)
            if let repositoryId {
                facts.currentMembers = try await Self.members(of: [repositoryId], sql)[repositoryId] ?? []
            }
            return facts
        }
    }

    public func create(_ repository: Repository, limit: Int?) async throws {
        try await self.translatingNameConflicts(repoId: repository.id) {
            try await self.database.changeTransaction { sql in
                try await SQLBucketStore.requireLiveWorkspace(repository.workspaceId, orgId: repository.orgId, sql)
                if let limit, try await Self.liveCount(orgId: repository.orgId, sql) >= limit {
                    throw CisternError.repository(
                        .quotaExceeded, "Repository quota reached: an organization may hold at most \(limit) repositories", repoId: repository.id
                    )
                }
                try await sql.raw(
                    """
                    INSERT INTO repositories (id, org_id, workspace_id, name, name_key, storage_type, mode, disabled, created_at)
                    VALUES (\(bind: repository.id.canonical), \(bind: repository.orgId.canonical), \(bind: repository.workspaceId.canonical),
                            \(bind: repository.name), \(bind: NameKey.of(repository.name)), \(bind: repository.storageType.rawValue),
                            \(bind: repository.mode.rawValue), \(bind: repository.disabled), \(bind: repository.createdAt.millisecondsSince1970))
                    """
                ).run()
                try await self.claim(repository, at: repository.createdAt, sql)
                try await Self.startReplication(repository, before: [], at: repository.createdAt, sql)
                try await self.database.audit(
                    on: sql, target: "repository/\(repository.id.canonical)",
                    details: Self.auditDetails(repository, [.name, .storageType, .workspace, .members]))
            }
        }
    }

    public func repository(id: UUID) async throws -> Repository? {
        try await self.fetch(where: "r.id = \(bind: id.canonical)").first
    }

    public func list(_ scope: ReadScope, workspaceId: UUID?, repositoryId: UUID?) async throws -> [Repository] {
        var condition = scope.condition(organization: "r.org_id", workspace: "r.workspace_id")
        if let workspaceId { condition = condition + " AND r.workspace_id = \(bind: workspaceId.canonical)" }
        if let repositoryId { condition = condition + " AND r.id = \(bind: repositoryId.canonical)" }
        return try await self.fetch(where: condition)
    }

    public func update(_ repository: Repository, fields: RepositoryFields, now: Date) async throws {
        var assignments: [SQLQueryString] = []
        if fields.contains(.name) { assignments.append("name = \(bind: repository.name), name_key = \(bind: NameKey.of(repository.name))") }
        if fields.contains(.storageType) { assignments.append("storage_type = \(bind: repository.storageType.rawValue)") }
        if fields.contains(.workspace) { assignments.append("workspace_id = \(bind: repository.workspaceId.canonical)") }
        if fields.contains(.members) { assignments.append("mode = \(bind: repository.mode.rawValue)") }
        try await self.translatingNameConflicts(repoId: repository.id) {
            try await self.database.changeTransaction { sql in
                if fields.contains(.workspace) {
                    try await SQLBucketStore.requireLiveWorkspace(repository.workspaceId, orgId: repository.orgId, sql)
                }
                let live = try await sql.raw(
                    """
                    SELECT id FROM repositories
                    WHERE id = \(bind: repository.id.canonical) AND org_id = \(bind: repository.orgId.canonical) AND deleted_at IS NULL
                    """
                ).first()
                guard live != nil else { throw CisternError.repository(.notFound, "Repository not found", repoId: repository.id) }
                // Release under the mode the database holds first, then take the new shape.
                var before: [RepositoryMember] = []
                if fields.contains(.members) {
                    before = try await Self.members(of: [repository.id], sql)[repository.id] ?? []
                    try await Self.release(repositoryId: repository.id, at: now, sql)
                }
                if !assignments.isEmpty {
                    try await sql.raw(
                        "UPDATE repositories SET \(assignments.joined(separator: ", ")) WHERE id = \(bind: repository.id.canonical)"
                    ).run()
                }
                if fields.contains(.members) {
                    try await self.claim(repository, at: now, sql)
                    try await Self.startReplication(repository, before: before, at: now, sql)
                }
                try await self.database.audit(
                    on: sql, target: "repository/\(repository.id.canonical)", details: Self.auditDetails(repository, fields))
            }
        }
    }

    public func delete(id: UUID, now: Date) async throws {
        try await self.database.changeTransaction { sql in
            let deleted = try await sql.raw(
                """
                UPDATE repositories SET deleted_at = \(bind: now.millisecondsSince1970)
                WHERE id = \(bind: id.canonical) AND deleted_at IS NULL RETURNING id
                """
            ).first()
            guard deleted != nil else { throw CisternError.repository(.notFound, "Repository not found", repoId: id) }
            try await Self.release(repositoryId: id, at: now, sql)
            try await Self.dropReplication(repositoryId: id, keeping: [], sql)
            try await sql.raw(
                """
                UPDATE repository_keys SET revoked_at = \(bind: now.millisecondsSince1970)
                WHERE repository_id = \(bind: id.canonical) AND revoked_at IS NULL
                """
            ).run()
            try await self.database.audit(on: sql, target: "repository/\(id.canonical)")
        }
    }

    /// The fields a change set, for the audit log.
    private static func auditDetails(_ repository: Repository, _ fields: RepositoryFields) -> [String: String] {
        var details: [String: String] = [:]
        if fields.contains(.name) { details["name"] = repository.name }
        if fields.contains(.storageType) { details["storageType"] = repository.storageType.rawValue }
        if fields.contains(.workspace) { details["workspace"] = repository.workspaceId.canonical }
        if fields.contains(.members) {
            details["mode"] = repository.mode.rawValue
            details["members"] = repository.members.map { ($0.isMaster ? "master:" : "") + $0.bucketId.canonical }.joined(separator: ",")
        }
        return details
    }

    public func references(bucketIds: [UUID]) async throws -> [UUID: [RepositoryReference]] {
        guard !bucketIds.isEmpty else { return [:] }
        return try await self.database.withConnection { sql in
            let rows = try await sql.raw(
                """
                SELECT DISTINCT rb.bucket_id, r.id, r.name, r.storage_type, r.created_at FROM repository_buckets rb
                JOIN repositories r ON r.id = rb.repository_id
                WHERE rb.bucket_id IN (\(binds: bucketIds.map(\.canonical))) AND rb.released_at IS NULL AND r.deleted_at IS NULL
                ORDER BY r.created_at, r.id
                """
            ).all()
            var references: [UUID: [RepositoryReference]] = [:]
            for row in rows {
                references[try row.uuid("bucket_id"), default: []].append(
                    RepositoryReference(
                        id: try row.uuid("id"), name: try row.decode(column: "name", as: String.self),
                        storageType: try row.enumeration("storage_type", as: StorageType.self), createdAt: try row.date("created_at")
                    )
                )
            }
            return references
        }
    }

    public func createKey(_ key: RepositoryKey) async throws {
        try await self.database.changeTransaction { sql in
            let live = try await sql.raw(
                "SELECT id FROM repositories WHERE id = \(bind: key.repositoryId.canonical) AND deleted_at IS NULL"
            ).first()
            guard live != nil else { throw CisternError.repository(.notFound, "Repository not found", repoId: key.repositoryId) }
            try await sql.raw(
                """
                INSERT INTO repository_keys (id, repository_id, name, access_type, access_key, secret_key_version, secret_iv,
                                             secret_auth_tag, secret_message, created_at)
                VALUES (\(bind: key.id.canonical), \(bind: key.repositoryId.canonical), \(bind: key.name), \(bind: key.access.rawValue),
                        \(bind: key.key), \(bind: key.secret.key), \(bind: key.secret.iv), \(bind: key.secret.authTag),
                        \(bind: key.secret.message), \(bind: key.createdAt.millisecondsSince1970))
                """
            ).run()
            try await self.database.audit(
                on: sql, target: "key/\(key.id.canonical)",
                details: ["repository": key.repositoryId.canonical, "name": key.name, "access": key.access.rawValue, "accessKey": key.key]
            )
        }
    }

    public func keys(repositoryIds: [UUID]) async throws -> [RepositoryKey] {
        guard !repositoryIds.isEmpty else { return [] }
        return try await self.database.withConnection { sql in
            try await Self.keys(where: "k.repository_id IN (\(binds: repositoryIds.map(\.canonical)))", sql)
        }
    }

    public func updateKey(id: UUID, repositoryId: UUID, name: String?, access: RepositoryAccess?) async throws -> Bool {
        try await self.database.transactionReportingChange { sql in
            let changed =
                try await sql.raw(
                    """
                    UPDATE repository_keys SET name = COALESCE(\(bind: name), name), access_type = COALESCE(\(bind: access?.rawValue), access_type)
                    WHERE id = \(bind: id.canonical) AND repository_id = \(bind: repositoryId.canonical) AND revoked_at IS NULL
                    RETURNING id
                    """
                ).first() != nil
            if changed {
                var details = ["repository": repositoryId.canonical]
                details["name"] = name
                details["access"] = access?.rawValue
                try await self.database.audit(on: sql, target: "key/\(id.canonical)", details: details)
            }
            return (changed, changed)
        }
    }

    public func revokeKey(id: UUID, repositoryId: UUID, now: Date) async throws -> Bool {
        try await self.database.transactionReportingChange { sql in
            let changed =
                try await sql.raw(
                    """
                    UPDATE repository_keys SET revoked_at = \(bind: now.millisecondsSince1970)
                    WHERE id = \(bind: id.canonical) AND repository_id = \(bind: repositoryId.canonical) AND revoked_at IS NULL
                    RETURNING id
                    """
                ).first() != nil
            if changed { try await self.database.audit(on: sql, target: "key/\(id.canonical)", details: ["repository": repositoryId.canonical]) }
            return (changed, changed)
        }
    }

    public func credential(accessKey: String) async throws -> (key: RepositoryKey, repository: Repository)? {
        let key = try await self.database.withConnection { sql in
            try await Self.keys(where: "k.access_key = \(bind: accessKey)", sql).first
        }
        guard let key, let repository = try await self.repository(id: key.repositoryId) else { return nil }
        return (key, repository)
    }

    // MARK: Claims

    /// Claims every member of `repository` for it, or throws the contract's code for the first
    /// member that cannot be claimed. Runs inside the writing transaction.
    ///
    /// Two rules the gateway's routing relies on hold here too, inside the writing transaction:
    /// the members' provider bucket names differ, and a NORMAL folder overlaps no live folder of
    /// another repository in its bucket. Every NORMAL claim first updates its bucket's row, so
    /// claims on one bucket take turns (a conflict on PostgreSQL, the one writer on SQLite) and
    /// each sees the folders the others committed.
    func claim(_ repository: Repository, at now: Date, _ sql: any SQLDatabase) async throws {
        try await Self.requireDistinctBucketNames(repository, sql)
        for (position, member) in repository.members.enumerated() {
            let claim: SQLQueryString =
                switch repository.mode {
                case .mirror:
                    """
                    UPDATE buckets SET mirror_repository_id = \(bind: repository.id.canonical)
                    WHERE id = \(bind: member.bucketId.canonical) AND org_id = \(bind: repository.orgId.canonical) AND deleted_at IS NULL
                      AND mirror_repository_id IS NULL AND normal_claims = 0
                    RETURNING id
                    """
                case .normal:
                    """
                    UPDATE buckets SET normal_claims = normal_claims + 1
                    WHERE id = \(bind: member.bucketId.canonical) AND org_id = \(bind: repository.orgId.canonical) AND deleted_at IS NULL
                      AND mirror_repository_id IS NULL
                    RETURNING id
                    """
                }
            guard try await sql.raw(claim).first() != nil else {
                throw try await Self.whyUnclaimable(member, of: repository, sql)
            }
            if repository.mode == .normal { try await Self.requireNoOverlap(member, of: repository, sql) }
            do {
                try await sql.raw(
                    """
                    INSERT INTO repository_buckets (repository_id, bucket_id, folder, is_master, position, added_at)
                    VALUES (\(bind: repository.id.canonical), \(bind: member.bucketId.canonical), \(bind: member.folder),
                            \(bind: repository.mode == .mirror && member.isMaster), \(bind: position), \(bind: now.millisecondsSince1970))
                    """
                ).run()
            } catch let error where self.database.isUniqueViolation(error) {
                throw CisternError.repository(
                    .normalFolderAlreadyUsed, "Folder '\(member.folder)' of this bucket is used by another repository", repoId: repository.id
                )
            }
        }
    }

    // MARK: Replication

    /// Keeps a MIRROR repository's repair queue in step with its shape, inside the writing
    /// transaction: every mirror that is new (or whose master is new) gets a backfill of the
    /// master's objects, and the queue forgets buckets that are no longer mirrors.
    static func startReplication(_ repository: Repository, before: [RepositoryMember], at now: Date, _ sql: any SQLDatabase) async throws {
        let master = repository.mode == .mirror ? repository.members.first(where: \.isMaster) : nil
        let mirrors = master == nil ? [] : repository.members.filter { !$0.isMaster }.map(\.bucketId)
        try await Self.dropReplication(repositoryId: repository.id, keeping: mirrors, sql)
        let sameMaster = master != nil && before.first(where: \.isMaster)?.bucketId == master?.bucketId
        let level = sameMaster ? Set(before.filter { !$0.isMaster }.map(\.bucketId)) : []
        for mirror in mirrors where !level.contains(mirror) {
            try await sql.raw(
                """
                INSERT INTO replication_backfills (id, repository_id, bucket_id, next_attempt_at, created_at)
                VALUES (\(bind: UUID().canonical), \(bind: repository.id.canonical), \(bind: mirror.canonical),
                        \(bind: now.millisecondsSince1970), \(bind: now.millisecondsSince1970))
                """
            ).run()
        }
    }

    /// Forgets the repair items, backfills and uploads of a repository's buckets not in `keeping`.
    static func dropReplication(repositoryId: UUID, keeping: [UUID], _ sql: any SQLDatabase) async throws {
        let kept: SQLQueryString = keeping.isEmpty ? "" : " AND bucket_id NOT IN (\(binds: keeping.map(\.canonical)))"
        for table in ["replication_items", "replication_backfills", "mirror_uploads"] {
            try await sql.raw("DELETE FROM \(unsafeRaw: table) WHERE repository_id = \(bind: repositoryId.canonical)" + kept).run()
        }
    }

    static func requireDistinctBucketNames(_ repository: Repository, _ sql: any SQLDatabase) async throws {
        guard repository.members.count > 1 else { return }
        var nameOf: [UUID: String] = [:]
        for row in try await sql.raw("SELECT id, bucket FROM buckets WHERE id IN (\(binds: repository.members.map(\.bucketId.canonical)))").all() {
            nameOf[try row.uuid("id")] = try row.decode(column: "bucket", as: String.self)
        }
        if let error = RepositoryRules.repeatedBucketName(repository.members, names: nameOf, repoId: repository.id) { throw error }
    }

    static func requireNoOverlap(_ member: RepositoryMember, of repository: Repository, _ sql: any SQLDatabase) async throws {
        let folders = try await sql.raw(
            """
            SELECT folder FROM repository_buckets
            WHERE bucket_id = \(bind: member.bucketId.canonical) AND released_at IS NULL AND repository_id <> \(bind: repository.id.canonical)
            """
        ).all().map { try $0.decode(column: "folder", as: String.self) }
        if let used = folders.first(where: { RepositoryMember.foldersOverlap($0, member.folder) }) {
            throw CisternError.repository(.normalFolderAlreadyUsed, RepositoryRules.overlapMessage(member.folder, used), repoId: repository.id)
        }
    }

    /// Why a member's bucket could not be claimed: gone, or owned or used by another repository.
    static func whyUnclaimable(_ member: RepositoryMember, of repository: Repository, _ sql: any SQLDatabase) async throws -> CisternError {
        let row = try await sql.raw(
            """
            SELECT id FROM buckets WHERE id = \(bind: member.bucketId.canonical) AND org_id = \(bind: repository.orgId.canonical)
              AND deleted_at IS NULL
            """
        ).first()
        guard row != nil else {
            return .repository(.notFound, "Bucket \(member.bucketId.canonical) not found", repoId: repository.id)
        }
        return .repository(
            .mirrorUnitInOtherRepository, "Bucket \(member.bucketId.canonical) is owned by or used in another repository", repoId: repository.id
        )
    }

    /// Gives back every live member of a repository, as its mode (before any change in this
    /// transaction) claimed it. Runs inside the writing transaction.
    static func release(repositoryId: UUID, at now: Date, _ sql: any SQLDatabase) async throws {
        let row = try await sql.raw("SELECT mode FROM repositories WHERE id = \(bind: repositoryId.canonical)").first()
        if try row?.decode(column: "mode", as: String.self) == RepositoryMode.mirror.rawValue {
            try await sql.raw(
                "UPDATE buckets SET mirror_repository_id = NULL WHERE mirror_repository_id = \(bind: repositoryId.canonical)"
            ).run()
        } else {
            let claims = try await sql.raw(
                """
                SELECT bucket_id, COUNT(*) AS uses FROM repository_buckets
                WHERE repository_id = \(bind: repositoryId.canonical) AND released_at IS NULL GROUP BY bucket_id
                """
            ).all()
            for claim in claims {
                try await sql.raw(
                    """
                    UPDATE buckets SET normal_claims = normal_claims - \(bind: try claim.decode(column: "uses", as: Int.self))
                    WHERE id = \(bind: try claim.decode(column: "bucket_id", as: String.self))
                    """
                ).run()
            }
        }
        try await sql.raw(
            """
            UPDATE repository_buckets SET released_at = \(bind: now.millisecondsSince1970)
            WHERE repository_id = \(bind: repositoryId.canonical) AND released_at IS NULL
            """
        ).run()
    }

    // MARK: Reading

    static func liveCount(orgId: UUID, _ sql: any SQLDatabase) async throws -> Int {
        let row = try await sql.raw(
            "SELECT COUNT(*) AS live FROM repositories WHERE org_id = \(bind: orgId.canonical) AND deleted_at IS NULL"
        ).first()
        return try row?.decode(column: "live", as: Int.self) ?? 0
    }

    static func members(of repositoryIds: [UUID], _ sql: any SQLDatabase) async throws -> [UUID: [RepositoryMember]] {
        guard !repositoryIds.isEmpty else { return [:] }
        let rows = try await sql.raw(
            """
            SELECT repository_id, bucket_id, folder, is_master FROM repository_buckets
            WHERE repository_id IN (\(binds: repositoryIds.map(\.canonical))) AND released_at IS NULL
            ORDER BY repository_id, position
            """
        ).all()
        var members: [UUID: [RepositoryMember]] = [:]
        for row in rows {
            members[try row.uuid("repository_id"), default: []].append(
                RepositoryMember(
                    bucketId: try row.uuid("bucket_id"), folder: try row.decode(column: "folder", as: String.self),
                    isMaster: try row.decode(column: "is_master", as: Bool.self)
                )
            )
        }
        return members
    }

    static func keys(where condition: SQLQueryString, _ sql: any SQLDatabase) async throws -> [RepositoryKey] {
        try await sql.raw(
            """
            SELECT k.id, k.repository_id, k.name, k.access_type, k.access_key, k.secret_key_version, k.secret_iv, k.secret_auth_tag,
                   k.secret_message, k.created_at FROM repository_keys k
            WHERE k.revoked_at IS NULL AND \(condition)
            ORDER BY k.created_at, k.id
            """
        ).all().map { row in
            RepositoryKey(
                id: try row.uuid("id"), repositoryId: try row.uuid("repository_id"), name: try row.decode(column: "name", as: String.self),
                access: try row.enumeration("access_type", as: RepositoryAccess.self),
                key: try row.decode(column: "access_key", as: String.self),
                secret: SealedSecret(
                    key: try row.decode(column: "secret_key_version", as: String.self), iv: try row.decode(column: "secret_iv", as: String.self),
                    authTag: try row.decode(column: "secret_auth_tag", as: String.self),
                    message: try row.decode(column: "secret_message", as: String.self)
                ),
                createdAt: try row.date("created_at")
            )
        }
    }

    /// Live repositories matching `condition` (on alias `r`) with their members, oldest first.
    private func fetch(where condition: SQLQueryString) async throws -> [Repository] {
        try await self.database.withConnection { sql in
            let rows = try await sql.raw(
                """
                SELECT r.id, r.org_id, r.workspace_id, r.name, r.storage_type, r.mode, r.disabled, r.created_at FROM repositories r
                WHERE r.deleted_at IS NULL AND \(condition)
                ORDER BY r.created_at, r.id
                """
            ).all()
            var repositories = try rows.map { row in
                Repository(
                    id: try row.uuid("id"), orgId: try row.uuid("org_id"), workspaceId: try row.uuid("workspace_id"),
                    name: try row.decode(column: "name", as: String.self), storageType: try row.enumeration("storage_type", as: StorageType.self),
                    mode: try row.enumeration("mode", as: RepositoryMode.self), members: [],
                    disabled: try row.decode(column: "disabled", as: Bool.self), createdAt: try row.date("created_at")
                )
            }
            let members = try await Self.members(of: repositories.map(\.id), sql)
            for index in repositories.indices { repositories[index].members = members[repositories[index].id] ?? [] }
            return repositories
        }
    }

    private func translatingNameConflicts<T: Sendable>(repoId: UUID, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error where self.database.isUniqueViolation(error) {
            throw CisternError.repository(.nameAlreadyUsed, "Another repository of the organization has this name", repoId: repoId)
        }
    }
}
