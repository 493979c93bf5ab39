import CisternCore
import CisternStore
import Foundation
import Testing

/// The gateway's traffic figures as the store keeps and reads them.
@Suite("Traffic store")
struct TrafficStoreTests {
    let now = Date(timeIntervalSince1970: 1_767_225_600 + 3_723)  // 2026-01-01 01:02:03 UTC

    struct World {
        var orgId: UUID
        var users: (owner: UUID, member: UUID)
        var workspaces: (own: UUID, other: UUID)
        var buckets: (own: UUID, other: UUID)
        var repositories: (own: UUID, other: UUID)
    }

    /// Two workspaces, each with a bucket and a NORMAL repository over it; a USER member of the first only.
    func setUp(_ database: Database) async throws -> World {
        let registration = makeRegistration(email: "\(UUID())@example.com")
        try await SQLAccountStore(database: database).register(registration)
        let orgId = registration.organization.id
        let other = Workspace(id: UUID(), orgId: orgId, name: "Other", isDefault: false, createdAt: now)
        let workspaces = SQLWorkspaceStore(database: database)
        try await workspaces.create(other, adminId: registration.owner.id)
        let member = User(id: UUID(), orgId: orgId, email: "\(UUID())@example.com", firstName: "M", lastName: "U", orgRole: .user, createdAt: now)
        try await SQLAccountStore(database: database).createUser(member, passwordHash: "x")
        try await workspaces.addMember(workspaceId: registration.defaultWorkspace.id, userId: member.id, role: .read, now: now)
        var bucketIds: [UUID] = []
        var repositoryIds: [UUID] = []
        for (index, workspaceId) in [registration.defaultWorkspace.id, other.id].enumerated() {
            let bucket = Bucket(
                id: UUID(), orgId: orgId, workspaceId: workspaceId, name: "b\(index)", bucket: "bucket-\(index)", storageType: .s3, key: "k",
                secret: SealedSecret(key: "mk", iv: "", authTag: "", message: ""), createdAt: now
            )
            try await SQLBucketStore(database: database).create(bucket, limit: nil)
            let repository = Repository(
                id: UUID(), orgId: orgId, workspaceId: workspaceId, name: "r\(index)", storageType: .s3, mode: .normal,
                members: [RepositoryMember(bucketId: bucket.id, folder: "f")], createdAt: now
            )
            try await SQLRepositoryStore(database: database).create(repository, limit: nil)
            bucketIds.append(bucket.id)
            repositoryIds.append(repository.id)
        }
        return World(
            orgId: orgId, users: (registration.owner.id, member.id), workspaces: (registration.defaultWorkspace.id, other.id),
            buckets: (bucketIds[0], bucketIds[1]), repositories: (repositoryIds[0], repositoryIds[1])
        )
    }

    func counts(_ requests: Int64, up: Int64 = 0, down: Int64 = 0, latency: Int64 = 0) -> TrafficCounts {
        TrafficCounts(requests: requests, uploadBytes: up, downloadBytes: down, sizeChange: up, latencyMilliseconds: latency)
    }

    @Test func countsAddUpPerHostAndMinuteAndSurviveTheRollUpIntoDays() async throws {
        try await withMigratedDatabase { database in
            let world = try await setUp(database)
            let store = SQLTrafficStore(database: database)
            let key = TrafficKey(at: now, repositoryId: world.repositories.own, bucketId: world.buckets.own)
            try await store.record([key: counts(2, up: 100, latency: 10)], host: "a")
            try await store.record([key: counts(1, down: 50, latency: 20)], host: "a")
            try await store.record([key: counts(4, down: 5)], host: "b")
            let everything = ReadScope.organization(world.orgId)
            let window = TrafficFilter(start: now.addingTimeInterval(-3600), end: now)
            let minutes = try await store.rows(.minute, everything, window, limit: 100)
            #expect(minutes.map(\.host) == ["a", "b"])
            #expect(minutes[0].counts == TrafficCounts(requests: 3, uploadBytes: 100, downloadBytes: 50, sizeChange: 100, latencyMilliseconds: 30))
            #expect(minutes[0].start.timeIntervalSince1970 == 1_767_225_600 + 3_720)
            // Today's minutes already count into today's day.
            let days = try await store.rows(.day, everything, TrafficFilter(start: Date(timeIntervalSince1970: 1_767_225_600), end: now), limit: 100)
            #expect(days.map(\.counts.requests) == [3, 4] && days[0].start == Date(timeIntervalSince1970: 1_767_225_600))
            // A week later the minutes become days, and nothing is counted twice or lost.
            try await store.rollUp(before: now.addingTimeInterval(86_400))
            #expect(try await store.rows(.minute, everything, window, limit: 100).isEmpty)
            let rolled = try await store.rows(
                .day, everything, TrafficFilter(start: Date(timeIntervalSince1970: 1_767_225_600), end: now), limit: 100)
            #expect(rolled == days)
            try await store.record([key: counts(1)], host: "a")
            try await store.rollUp(before: now.addingTimeInterval(86_400))
            let totals = try await store.bucketTotals(everything, bucketIds: nil)
            #expect(totals.first { $0.id == world.buckets.own }?.counts.requests == 8)
            #expect(totals.first { $0.id == world.buckets.own }?.counts.uploadBytes == 100)
            // A bucket nothing went through is listed with zeros.
            #expect(totals.first { $0.id == world.buckets.other }?.counts == TrafficCounts())
            #expect(try await store.repositoryTotals(everything, repositoryIds: [world.repositories.own]).map(\.counts.downloadBytes) == [55])
        }
    }

    @Test func aUserSeesOnlyTheFiguresOfTheirWorkspaces() async throws {
        try await withMigratedDatabase { database in
            let world = try await setUp(database)
            let store = SQLTrafficStore(database: database)
            try await store.record(
                [
                    TrafficKey(at: now, repositoryId: world.repositories.own, bucketId: world.buckets.own): counts(1, up: 10),
                    TrafficKey(at: now, repositoryId: world.repositories.other, bucketId: world.buckets.other): counts(1, up: 20),
                ], host: "a")
            let member = ReadScope.memberships(orgId: world.orgId, userId: world.users.member)
            let window = TrafficFilter(start: now.addingTimeInterval(-60), end: now)
            #expect(try await store.rows(.minute, member, window, limit: 100).map(\.repositoryId) == [world.repositories.own])
            #expect(try await store.bucketTotals(member, bucketIds: nil).map(\.id) == [world.buckets.own])
            #expect(try await store.repositoryTotals(member, repositoryIds: nil).map(\.id) == [world.repositories.own])
            // Asking for the other workspace's ids by name reveals nothing.
            #expect(try await store.bucketTotals(member, bucketIds: [world.buckets.other]).isEmpty)
            var filter = window
            filter.repositoryIds = [world.repositories.other]
            #expect(try await store.rows(.minute, member, filter, limit: 100).isEmpty)
            // The owner sees both; filters narrow by id and host.
            let owner = ReadScope.organization(world.orgId)
            #expect(try await store.rows(.minute, owner, window, limit: 100).count == 2)
            filter.hosts = ["b"]
            filter.repositoryIds = nil
            #expect(try await store.rows(.minute, owner, filter, limit: 100).isEmpty)
        }
    }
}
