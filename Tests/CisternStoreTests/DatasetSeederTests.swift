import CisternCore
import CisternDevTools
import CisternStore
import Foundation
import SQLKit
import Testing

/// The benchmark dataset (`cistern-dev seed`): the planned shape, and every invariant the stores keep.
@Suite("Dataset seeder")
struct DatasetSeederTests {
    static let plan = SeedPlan(organizations: 6, buckets: 400, repositories: 60, largeOrganizationBuckets: 150)
    static let sealer = SecretSealer(current: KeyMaterial.generate().material)

    @Test func theSeededDatasetHasThePlannedShapeAndKeepsTheStoreInvariants() async throws {
        try await withMigratedDatabase { database in
            let now = Date(timeIntervalSince1970: 1_767_225_600)
            let seeded = try await DatasetSeeder(database: database, sealer: Self.sealer).seed(Self.plan, passwordHash: "hash", now: now)
            #expect(seeded.organizations == 6)
            #expect(seeded.buckets == 400)
            #expect(seeded.repositories == 60)
            #expect(seeded.knownUsers.map(\.role) == ["small-owner", "small-member", "large-owner"])

            let buckets = SQLBucketStore(database: database)
            let small = try #require(seeded.knownUsers.first { $0.role == "small-owner" }).user
            let member = try #require(seeded.knownUsers.first { $0.role == "small-member" }).user
            let large = try #require(seeded.knownUsers.first { $0.role == "large-owner" }).user
            // The small organization: 50 buckets, 8 MIRRORs of two buckets each.
            let smallAvailable = try await buckets.available(.organization(small.orgId), workspaceId: nil)
            #expect(smallAvailable.count == SeedPlan.smallBuckets - 2 * SeedPlan.smallMirrors)
            #expect(smallAvailable.map(\.createdAt) == smallAvailable.map(\.createdAt).sorted())
            #expect(try await buckets.list(.organization(small.orgId), workspaceId: nil).count == SeedPlan.smallBuckets)
            let memberView = try await buckets.available(.memberships(orgId: small.orgId, userId: member.id), workspaceId: nil)
            #expect(!memberView.isEmpty)
            #expect(Set(memberView.map(\.workspaceId)).count == 1, "the member reads one workspace")
            #expect(Set(memberView.map(\.id)).isSubset(of: Set(smallAvailable.map(\.id))))
            #expect(try await buckets.list(.organization(large.orgId), workspaceId: nil).count == 150)

            try await database.withConnection { sql in
                func count(_ query: SQLQueryString) async throws -> Int {
                    try #require(try await sql.raw(query).first()).decode(column: "n", as: Int.self)
                }
                let smallRepositories = try await count("SELECT COUNT(*) AS n FROM repositories WHERE org_id = \(bind: small.orgId.canonical)")
                let smallMirrors = try await count(
                    "SELECT COUNT(*) AS n FROM repositories WHERE mode = 'MIRROR' AND org_id = \(bind: small.orgId.canonical)"
                )
                #expect(smallRepositories == SeedPlan.smallRepositories)
                #expect(smallMirrors == SeedPlan.smallMirrors)
                // Claims agree with memberships: a MIRROR member is held by exactly its repository,
                // NORMAL claim counts match their rows, and nothing crosses organizations or workspaces.
                #expect(
                    try await count(
                        """
                        SELECT COUNT(*) AS n FROM buckets b WHERE b.mirror_repository_id IS NOT NULL AND 1 <> (
                            SELECT COUNT(*) FROM repository_buckets rb WHERE rb.bucket_id = b.id)
                        """
                    ) == 0)
                #expect(
                    try await count(
                        """
                        SELECT COUNT(*) AS n FROM buckets b WHERE b.normal_claims <> (
                            SELECT COUNT(*) FROM repository_buckets rb JOIN repositories r ON r.id = rb.repository_id
                            WHERE rb.bucket_id = b.id AND r.mode = 'NORMAL')
                        """
                    ) == 0)
                #expect(
                    try await count(
                        """
                        SELECT COUNT(*) AS n FROM repository_buckets rb JOIN repositories r ON r.id = rb.repository_id
                        JOIN buckets b ON b.id = rb.bucket_id WHERE b.workspace_id <> r.workspace_id OR b.org_id <> r.org_id
                        """
                    ) == 0)
                #expect(
                    try await count(
                        "SELECT COUNT(*) AS n FROM repositories r WHERE 2 <> (SELECT COUNT(*) FROM repository_buckets rb WHERE rb.repository_id = r.id)"
                    ) == 0)
                // Secrets are sealed, each to its own bucket.
                let row = try #require(
                    try await sql.raw("SELECT id, access_key, secret_key_version, secret_iv, secret_auth_tag, secret_message FROM buckets LIMIT 1")
                        .first())
                let id = try #require(UUID(uuidString: try row.decode(column: "id", as: String.self)))
                let sealed = SealedSecret(
                    key: try row.decode(column: "secret_key_version", as: String.self), iv: try row.decode(column: "secret_iv", as: String.self),
                    authTag: try row.decode(column: "secret_auth_tag", as: String.self),
                    message: try row.decode(column: "secret_message", as: String.self)
                )
                let opened = try Self.sealer.open(sealed, context: Bucket.sealingContext(id))
                #expect(opened.revealed == "seed-secret-\(try row.decode(column: "access_key", as: String.self))")
            }

            // The store's own rules hold on seeded data: a claimed bucket cannot be claimed again.
            let claimed = try #require(
                try await database.withConnection { sql in
                    try await sql.raw("SELECT id FROM buckets WHERE mirror_repository_id IS NOT NULL LIMIT 1").first()?.decode(
                        column: "id", as: String.self)
                }
            )
            await #expect(throws: CisternError.bucketInUse) { try await buckets.delete(id: UUID(uuidString: claimed)!, now: now) }
        }
    }

    @Test func onlyAnEmptyDatabaseIsSeededAndAnImpossiblePlanIsRefused() async throws {
        try await withMigratedDatabase { database in
            let seeder = DatasetSeeder(database: database, sealer: Self.sealer)
            let tooFew = SeedPlan(organizations: 2, buckets: 100, repositories: 20, largeOrganizationBuckets: 100)
            await #expect(throws: CisternError.self) { try await seeder.seed(tooFew, passwordHash: "hash", now: Date()) }
            _ = try await seeder.seed(
                SeedPlan(organizations: 1, buckets: 50, repositories: 20, largeOrganizationBuckets: 0), passwordHash: "hash", now: Date())
            await #expect(throws: CisternError.self) {
                try await seeder.seed(
                    SeedPlan(organizations: 1, buckets: 50, repositories: 20, largeOrganizationBuckets: 0), passwordHash: "hash", now: Date())
            }
        }
    }
}
