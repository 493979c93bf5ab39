import CisternCore
import CisternTestSupport
import Foundation
import SQLKit
import Testing

@testable import CisternStore

/// The query behind `GET /bucket/available` must read only what it returns. (The plans are
/// SQLite's; PostgreSQL's planner is measured by the benchmark instead.)
@Suite("Availability query plan", .enabled(if: !TestDatabase.onPostgres))
struct AvailabilityQueryTests {
    func plan(_ query: SQLQueryString, _ database: Database) async throws -> [String] {
        try await database.withConnection { sql in
            try await sql.raw("EXPLAIN QUERY PLAN " + query).all().map { try $0.decode(column: "detail", as: String.self) }
        }
    }

    @Test func aGlobalCallerReadsThePartialIndexInOrderWithoutSorting() async throws {
        try await withMigratedDatabase { database in
            let plan = try await plan(SQLBucketStore.availableQuery(.organization(UUID()), workspaceId: nil), database)
            #expect(plan.contains { $0.contains("USING INDEX buckets_available_by_org") }, "\(plan)")
            #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(plan)")
            #expect(!plan.contains { $0.hasPrefix("SCAN") }, "\(plan)")
        }
    }

    @Test func oneWorkspaceReadsItsPartialIndex() async throws {
        try await withMigratedDatabase { database in
            let plan = try await plan(SQLBucketStore.availableQuery(.organization(UUID()), workspaceId: UUID()), database)
            #expect(plan.contains { $0.contains("USING INDEX buckets_available_by_workspace") }, "\(plan)")
            #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(plan)")
            #expect(!plan.contains { $0.hasPrefix("SCAN") }, "\(plan)")
        }
    }

    @Test func aMembershipCallerReadsOnlyTheirWorkspacesIndexRanges() async throws {
        try await withMigratedDatabase { database in
            let plan = try await plan(SQLBucketStore.availableQuery(.memberships(orgId: UUID(), userId: UUID()), workspaceId: nil), database)
            #expect(plan.contains { $0.contains("SEARCH m USING INDEX workspace_members_user (user_id=?)") }, "\(plan)")
            #expect(plan.contains { $0.contains("USING INDEX buckets_available_by_workspace") }, "\(plan)")
            #expect(!plan.contains { $0.hasPrefix("SCAN") }, "\(plan)")
        }
    }
}
