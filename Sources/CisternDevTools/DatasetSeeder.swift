import CisternCore
import CisternStore
import Foundation
import SQLKit

/// The shape of a generated dataset (`cistern-dev seed`): how many organizations, buckets and
/// repositories in all, of which one known "small" organization and, when `largeOrganizationBuckets`
/// is above zero, one known "large" one. The rest is spread evenly over the other organizations.
public struct SeedPlan: Sendable, Equatable {
    public var organizations: Int
    public var buckets: Int
    public var repositories: Int
    public var largeOrganizationBuckets: Int

    /// The known small organization: 50 buckets in 3 workspaces, 20 repositories of which 8 MIRROR.
    public static let smallBuckets = 50
    public static let smallWorkspaces = 3
    public static let smallRepositories = 20
    public static let smallMirrors = 8

    public init(organizations: Int, buckets: Int, repositories: Int, largeOrganizationBuckets: Int) {
        self.organizations = organizations
        self.buckets = buckets
        self.repositories = repositories
        self.largeOrganizationBuckets = largeOrganizationBuckets
    }

    /// Why this plan cannot be built, naming the setting; nil when it can.
    public var problem: String? {
        let known = self.largeOrganizationBuckets > 0 ? 2 : 1
        if self.largeOrganizationBuckets < 0 { return "large-org-buckets must be 0 or more" }
        if self.organizations < known { return "orgs must be at least \(known) (the small\(known == 2 ? " and the large" : "") organization)" }
        if self.buckets < Self.smallBuckets + self.largeOrganizationBuckets {
            return "buckets must be at least \(Self.smallBuckets + self.largeOrganizationBuckets) (small org + large-org-buckets)"
        }
        if self.repositories < Self.smallRepositories { return "repos must be at least \(Self.smallRepositories) (the small organization's)" }
        return nil
    }
}

/// A user the seeder made, for whom the caller may open a session.
public struct SeededUser: Sendable {
    public let role: String
    public let user: User
}

/// What `DatasetSeeder.seed` wrote.
public struct SeededDataset: Sendable {
    public var organizations = 0
    public var workspaces = 0
    public var users = 0
    public var buckets = 0
    public var repositories = 0
    /// Buckets claimed by a MIRROR repository, so missing from `GET /bucket/available`.
    public var mirrorMembers = 0
    /// The known users: the small organization's owner and its workspace member (READ on one
    /// workspace), and the large organization's owner when there is one.
    public var knownUsers: [SeededUser] = []
}

/// Writes a realistic dataset straight into an empty database, many rows per statement, for
/// benchmarks. The rows keep every invariant the stores keep (claims, names, memberships), because
/// they are generated to: each MIRROR repository takes buckets nobody else holds, each NORMAL one
/// unclaimed or NORMAL-held buckets with its own folder.
public struct DatasetSeeder: Sendable {
    let database: Database
    let sealer: SecretSealer

    public init(database: Database, sealer: SecretSealer) {
        self.database = database
        self.sealer = sealer
    }

    /// Seeds `plan`. Every seeded user has the password whose bcrypt hash is `passwordHash`.
    public func seed(_ plan: SeedPlan, passwordHash: String, now: Date) async throws -> SeededDataset {
        if let problem = plan.problem { throw CisternError.invalid("plan", problem) }
        return try await self.database.transaction { sql in
            let existing = try await sql.raw("SELECT COUNT(*) AS n FROM organizations").first()?.decode(column: "n", as: Int.self) ?? 0
            guard existing == 0 else {
                throw CisternError.invalid("database", "cistern-dev seed writes only into an empty database; this one has \(existing) organizations")
            }
            var writer = SeedWriter(sql: sql, sealer: self.sealer, passwordHash: passwordHash, now: now, totalBuckets: plan.buckets)

            let large = plan.largeOrganizationBuckets > 0
            let fillers = plan.organizations - (large ? 2 : 1)
            let fillerBuckets = plan.buckets - SeedPlan.smallBuckets - plan.largeOrganizationBuckets
            let otherRepositories = plan.repositories - SeedPlan.smallRepositories
            let otherBuckets = fillerBuckets + plan.largeOrganizationBuckets

            try await writer.organization(
                label: "small", buckets: SeedPlan.smallBuckets, workspaces: SeedPlan.smallWorkspaces,
                repositories: SeedPlan.smallRepositories, mirrors: SeedPlan.smallMirrors, known: true,
                withMember: true
            )
            if large {
                let share = otherBuckets == 0 ? 0 : otherRepositories * plan.largeOrganizationBuckets / otherBuckets
                try await writer.organization(
                    label: "large", buckets: plan.largeOrganizationBuckets, workspaces: 10, repositories: share, mirrors: share * 2 / 5, known: true
                )
            }
            var bucketsLeft = fillerBuckets
            var repositoriesLeft = plan.repositories - writer.dataset.repositories
            for index in 0..<fillers {
                let remaining = fillers - index
                let buckets = bucketsLeft / remaining
                let repositories = repositoriesLeft / remaining
                try await writer.organization(
                    label: String(format: "org-%05d", index + 1), buckets: buckets, workspaces: 2, repositories: repositories,
                    mirrors: repositories * 2 / 5, known: false
                )
                bucketsLeft -= buckets
                repositoriesLeft -= repositories
            }
            try await writer.flush()
            return writer.dataset
        }
    }
}

/// Generates one organization at a time and writes its rows in batches.
private struct SeedWriter {
    let sql: any SQLDatabase
    let sealer: SecretSealer
    let passwordHash: String
    let now: Date
    let totalBuckets: Int
    var dataset = SeededDataset()
    /// Creation instants are spread one second apart over the whole dataset, organizations
    /// interleaved, so no organization's buckets sit together in the table by accident.
    var bucketSequence = 0
    var tables: [String: SeedBatch] = [:]

    static let statuses: [(BucketStatus, Int)] = [(.online, 90), (.disconnected, 7), (.offline, 3)]
    static let storageTypes: [StorageType] = [.s3, .s3, .s3, .gcs, .blob]

    init(sql: any SQLDatabase, sealer: SecretSealer, passwordHash: String, now: Date, totalBuckets: Int) {
        self.sql = sql
        self.sealer = sealer
        self.passwordHash = passwordHash
        self.now = now
        self.totalBuckets = totalBuckets
    }

    mutating func organization(
        label: String, buckets: Int, workspaces: Int, repositories: Int, mirrors: Int, known: Bool, withMember: Bool = false
    ) async throws {
        let orgId = UUID()
        let created = self.now.addingTimeInterval(-Double(self.totalBuckets) - 86_400)
        try await self.add("organizations", ["id", "name", "created_at"], [orgId.canonical, "Seeded \(label)", created.millisecondsSince1970])
        self.dataset.organizations += 1

        let owner = User(
            id: UUID(), orgId: orgId, email: "owner@\(label).seed.cistern.test", firstName: "Owner", lastName: label, orgRole: .owner,
            validated: true, active: true, createdAt: created
        )
        try await self.addUser(owner)
        if known { self.dataset.knownUsers.append(SeededUser(role: "\(label)-owner", user: owner)) }

        var workspaceIds: [UUID] = []
        for index in 0..<max(1, workspaces) {
            let id = UUID()
            let name = index == 0 ? "Default" : "Workspace \(index + 1)"
            try await self.add(
                "workspaces", ["id", "org_id", "name", "name_key", "is_default", "created_at"],
                [id.canonical, orgId.canonical, name, NameKey.of(name), index == 0, created.millisecondsSince1970]
            )
            try await self.addMember(workspaceId: id, userId: owner.id, role: .admin, at: created)
            workspaceIds.append(id)
        }
        self.dataset.workspaces += workspaceIds.count

        if withMember {
            // A USER who reads one workspace only: the workspace-specific caller of the benchmark.
            let member = User(
                id: UUID(), orgId: orgId, email: "member@\(label).seed.cistern.test", firstName: "Member", lastName: label,
                orgRole: .user, validated: true, active: true, createdAt: created
            )
            try await self.addUser(member)
            try await self.addMember(workspaceId: workspaceIds[workspaceIds.count > 1 ? 1 : 0], userId: member.id, role: .read, at: created)
            self.dataset.knownUsers.append(SeededUser(role: "\(label)-member", user: member))
        }

        // Buckets, round-robin over the workspaces.
        var bucketRows: [SeedBucket] = []
        var byWorkspace = Array(repeating: [Int](), count: workspaceIds.count)
        for index in 0..<buckets {
            byWorkspace[index % workspaceIds.count].append(index)
            bucketRows.append(self.nextBucket(orgId: orgId, workspaceId: workspaceIds[index % workspaceIds.count], index: index))
        }

        // Repositories, round-robin over the workspaces, two members each. A MIRROR takes the next
        // two buckets of its workspace that nobody holds; a NORMAL one the next two that no MIRROR
        // holds (wrapping around, so NORMAL repositories share buckets), each under its own folder.
        var cursors = Array(repeating: 0, count: workspaceIds.count)
        var planned: [(id: UUID, name: String, workspace: Int, mirror: Bool, members: [Int])] = []
        for index in 0..<repositories {
            let workspace = index % workspaceIds.count
            let candidates = byWorkspace[workspace]
            let mirror = index < mirrors
            var members: [Int] = []
            var step = 0
            while members.count < 2, step < candidates.count, mirror ? cursors[workspace] < candidates.count : true {
                let candidate = candidates[cursors[workspace] % candidates.count]
                cursors[workspace] += 1
                step += 1
                if bucketRows[candidate].mirrorOf == nil, !mirror || bucketRows[candidate].normalClaims == 0 { members.append(candidate) }
            }
            guard members.count == 2 else { continue }
            let id = UUID()
            for member in members {
                if mirror { bucketRows[member].mirrorOf = id } else { bucketRows[member].normalClaims += 1 }
            }
            planned.append((id, "\(mirror ? "mirror" : "normal")-\(index + 1)", workspace, mirror, members))
        }

        for bucket in bucketRows { try await self.addBucket(bucket) }
        self.dataset.buckets += bucketRows.count
        for repository in planned {
            try await self.add(
                "repositories", ["id", "org_id", "workspace_id", "name", "name_key", "storage_type", "mode", "disabled", "created_at"],
                [
                    repository.id.canonical, orgId.canonical, workspaceIds[repository.workspace].canonical, repository.name,
                    NameKey.of(repository.name),
                    bucketRows[repository.members[0]].storageType.rawValue, (repository.mirror ? RepositoryMode.mirror : .normal).rawValue, false,
                    self.now.millisecondsSince1970,
                ]
            )
            for (position, member) in repository.members.enumerated() {
                try await self.add(
                    "repository_buckets", ["repository_id", "bucket_id", "folder", "is_master", "position", "added_at"],
                    [
                        repository.id.canonical, bucketRows[member].id.canonical, repository.mirror ? "" : repository.name,
                        repository.mirror && position == 0, position, self.now.millisecondsSince1970,
                    ]
                )
            }
            self.dataset.mirrorMembers += repository.mirror ? 2 : 0
        }
        self.dataset.repositories += planned.count
    }

    mutating func nextBucket(orgId: UUID, workspaceId: UUID, index: Int) -> SeedBucket {
        self.bucketSequence += 1
        let sequence = self.bucketSequence
        var roll = sequence * 7919 % 100
        var status = BucketStatus.online
        for (candidate, share) in Self.statuses {
            if roll < share {
                status = candidate
                break
            }
            roll -= share
        }
        return SeedBucket(
            id: UUID(), orgId: orgId, workspaceId: workspaceId, name: String(format: "bucket-%05d", index + 1),
            bucket: String(format: "cistern-seed-%07d", sequence), storageType: Self.storageTypes[sequence % Self.storageTypes.count],
            key: String(format: "SEEDKEY%013d", sequence), status: status,
            createdAt: self.now.addingTimeInterval(-Double(self.totalBuckets - sequence))
        )
    }

    mutating func addUser(_ user: User) async throws {
        try await self.add(
            "users",
            ["id", "org_id", "email", "email_key", "password_hash", "first_name", "last_name", "org_role", "validated", "active", "created_at"],
            [
                user.id.canonical, user.orgId.canonical, user.email, NameKey.of(user.email), self.passwordHash, user.firstName, user.lastName,
                user.orgRole.rawValue, true, true, user.createdAt.millisecondsSince1970,
            ]
        )
        self.dataset.users += 1
    }

    mutating func addMember(workspaceId: UUID, userId: UUID, role: WorkspaceRole, at date: Date) async throws {
        try await self.add(
            "workspace_members", ["workspace_id", "user_id", "role", "created_at"],
            [workspaceId.canonical, userId.canonical, role.rawValue, date.millisecondsSince1970]
        )
    }

    mutating func addBucket(_ bucket: SeedBucket) async throws {
        let secret = try self.sealer.seal(SecretValue("seed-secret-\(bucket.key)"), context: Bucket.sealingContext(bucket.id))
        let checked = self.now.addingTimeInterval(-30)
        try await self.add(
            "buckets",
            [
                "id", "org_id", "workspace_id", "name", "name_key", "bucket", "storage_type", "access_key", "secret_key_version", "secret_iv",
                "secret_auth_tag", "secret_message", "endpoint", "region", "status", "latency_ms", "last_status_at", "mirror_repository_id",
                "normal_claims", "created_at", "next_check_at",
            ],
            [
                bucket.id.canonical, bucket.orgId.canonical, bucket.workspaceId.canonical, bucket.name, NameKey.of(bucket.name), bucket.bucket,
                bucket.storageType.rawValue, bucket.key, secret.key, secret.iv, secret.authTag, secret.message,
                "https://storage.seed.cistern.test", "us-east-1", bucket.status.rawValue, 40 + bucket.bucket.count, checked.millisecondsSince1970,
                bucket.mirrorOf?.canonical, bucket.normalClaims, bucket.createdAt.millisecondsSince1970,
                self.now.addingTimeInterval(60).millisecondsSince1970,
            ]
        )
    }

    /// Queues a row; a table's batch is written once it holds `SeedBatch.rowsPerStatement` rows.
    mutating func add(_ table: String, _ columns: [String], _ values: [any Encodable & Sendable]) async throws {
        self.tables[table, default: SeedBatch(table: table, columns: columns)].rows.append(values)
        if self.tables[table]!.rows.count >= SeedBatch.rowsPerStatement(columns: columns.count) {
            try await self.write(table)
        }
    }

    /// Writes every queued row, parents before children.
    mutating func flush() async throws {
        for table in ["organizations", "users", "workspaces", "workspace_members", "repositories", "buckets", "repository_buckets"] {
            try await self.write(table)
        }
    }

    private mutating func write(_ table: String) async throws {
        guard let batch = self.tables[table], !batch.rows.isEmpty else { return }
        // Children reference parents: write what they point at first. SQLite does not check
        // foreign keys here, PostgreSQL does.
        for parent in SeedBatch.parents[table] ?? [] { try await self.write(parent) }
        let insert = self.sql.insert(into: batch.table).columns(batch.columns)
        for row in batch.rows { insert.values(row) }
        try await insert.run()
        self.tables[table]?.rows.removeAll(keepingCapacity: true)
    }
}

/// A bucket being generated, with the claims repositories put on it.
private struct SeedBucket {
    let id: UUID
    let orgId: UUID
    let workspaceId: UUID
    let name: String
    let bucket: String
    let storageType: StorageType
    let key: String
    let status: BucketStatus
    let createdAt: Date
    var mirrorOf: UUID? = nil
    var normalClaims = 0
}

/// Rows of one table waiting to be written in one multi-row INSERT.
private struct SeedBatch {
    let table: String
    let columns: [String]
    var rows: [[any Encodable & Sendable]] = []

    /// Keeps a statement under SQLite's 32,766 and PostgreSQL's 65,535 bound parameters.
    static func rowsPerStatement(columns: Int) -> Int { 20_000 / columns }

    static let parents: [String: [String]] = [
        "users": ["organizations"],
        "workspaces": ["organizations"],
        "workspace_members": ["workspaces", "users"],
        "repositories": ["workspaces"],
        "buckets": ["workspaces"],
        "repository_buckets": ["repositories", "buckets"],
    ]
}
