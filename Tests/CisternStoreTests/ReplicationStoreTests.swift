import CisternCore
import CisternStore
import Foundation
import Testing

/// The repair queue of MIRROR repositories: what the repairer claims, when an item is done, and
/// what a repository's shape queues.
@Suite("Replication store")
struct ReplicationStoreTests {
    let now = Date(timeIntervalSince1970: 1_767_225_600)

    struct World {
        var orgId: UUID
        var workspaceId: UUID
        var buckets: [UUID]
    }

    func setUp(_ database: Database, buckets count: Int = 3) async throws -> World {
        let registration = makeRegistration(email: "\(UUID())@example.com")
        try await SQLAccountStore(database: database).register(registration)
        var ids: [UUID] = []
        for index in 0..<count {
            let bucket = Bucket(
                id: UUID(), orgId: registration.organization.id, workspaceId: registration.defaultWorkspace.id, name: "b\(index)",
                bucket: "bucket-\(index)", storageType: .s3, key: "k", secret: SealedSecret(key: "mk", iv: "", authTag: "", message: ""),
                createdAt: now
            )
            try await SQLBucketStore(database: database).create(bucket, limit: nil)
            ids.append(bucket.id)
        }
        return World(orgId: registration.organization.id, workspaceId: registration.defaultWorkspace.id, buckets: ids)
    }

    func mirror(_ world: World, master: UUID, mirrors: [UUID], id: UUID = UUID()) -> Repository {
        Repository(
            id: id, orgId: world.orgId, workspaceId: world.workspaceId, name: "mirror", storageType: .s3, mode: .mirror,
            members: [RepositoryMember(bucketId: master, isMaster: true)] + mirrors.map { RepositoryMember(bucketId: $0) }, createdAt: now
        )
    }

    @Test func eachNewMirrorGetsOneBackfillAndALeavingMirrorTakesItsItemsAlong() async throws {
        try await withMigratedDatabase { database in
            let world = try await setUp(database)
            let (a, b, c) = (world.buckets[0], world.buckets[1], world.buckets[2])
            let repositories = SQLRepositoryStore(database: database)
            let store = SQLReplicationStore(database: database)
            var repository = mirror(world, master: a, mirrors: [b])
            try await repositories.create(repository, limit: nil)
            func backfilled() async throws -> Set<UUID> {
                Set(try await store.summary(repositoryId: repository.id, now: now, limit: 10).backfills.map(\.bucketId))
            }
            #expect(try await backfilled() == [b])
            // Adding a mirror backfills the new one only.
            repository = mirror(world, master: a, mirrors: [b, c], id: repository.id)
            try await repositories.update(repository, fields: .members, now: now)
            #expect(try await backfilled() == [b, c])
            // A mirror that leaves takes its items and backfill along.
            try await store.enqueue(repositoryId: repository.id, bucketId: b, keys: ["x"], operation: .put, now: now)
            repository = mirror(world, master: a, mirrors: [c], id: repository.id)
            try await repositories.update(repository, fields: .members, now: now)
            #expect(try await backfilled() == [c])
            #expect(try await store.summary(repositoryId: repository.id, now: now, limit: 10).pending == 0)
            // A new master makes every mirror new.
            repository = mirror(world, master: c, mirrors: [a], id: repository.id)
            try await repositories.update(repository, fields: .members, now: now)
            #expect(try await backfilled() == [a])
            // Deleting the repository forgets its queue.
            try await repositories.delete(id: repository.id, now: now)
            #expect(try await backfilled().isEmpty)
        }
    }

    @Test func aWriteDuringARepairKeepsTheItemPendingUntilRepairedAgain() async throws {
        try await withMigratedDatabase { database in
            let world = try await setUp(database)
            let repository = mirror(world, master: world.buckets[0], mirrors: [world.buckets[1]])
            try await SQLRepositoryStore(database: database).create(repository, limit: nil)
            let store = SQLReplicationStore(database: database)
            let lease = now.addingTimeInterval(60)
            try await store.enqueue(repositoryId: repository.id, bucketId: world.buckets[1], keys: ["k"], operation: .put, now: now)
            #expect(try await store.state(repositoryId: repository.id, key: "k") == .pending)
            let first = try await store.claimDue(now: now, leaseUntil: lease, limit: 10)
            #expect(first.map(\.key) == ["k"])
            // Leased: nobody else takes it.
            #expect(try await store.claimDue(now: now, leaseUntil: lease, limit: 10).isEmpty)
            // A new write while the repair runs: that repair does not complete the item...
            try await store.enqueue(repositoryId: repository.id, bucketId: world.buckets[1], keys: ["k"], operation: .delete, now: now)
            #expect(try await store.complete(first[0], now: now) == false)
            #expect(try await store.state(repositoryId: repository.id, key: "k") == .pending)
            // ...and the item is free to be repaired again at once, for the newer write.
            let second = try await store.claimDue(now: now, leaseUntil: lease, limit: 10)
            #expect(second.map(\.operation) == [.delete])
            #expect(try await store.complete(second[0], now: now))
            #expect(try await store.state(repositoryId: repository.id, key: "k") == .completed)
            #expect(try await store.summary(repositoryId: repository.id, now: now, limit: 10).completedLastDay == 1)
            // Completed rows older than a day are pruned; the key is then level as before.
            try await store.pruneCompleted(before: now.addingTimeInterval(1))
            #expect(try await store.summary(repositoryId: repository.id, now: now, limit: 10).items.isEmpty)
            #expect(try await store.state(repositoryId: repository.id, key: "k") == .completed)
        }
    }

    @Test func failuresBackOffThenFailAndARetryMakesThemPending() async throws {
        try await withMigratedDatabase { database in
            let world = try await setUp(database)
            let repository = mirror(world, master: world.buckets[0], mirrors: [world.buckets[1]])
            try await SQLRepositoryStore(database: database).create(repository, limit: nil)
            let store = SQLReplicationStore(database: database)
            var policy = ReplicationPolicy()
            policy.maximumAttempts = 2
            try await store.enqueue(repositoryId: repository.id, bucketId: world.buckets[1], keys: ["k"], operation: .put, now: now)
            let item = try #require(try await store.claimDue(now: now, leaseUntil: now.addingTimeInterval(60), limit: 1).first)
            try await store.recordFailure(item, error: "ServiceUnavailable: down", now: now, policy: policy)
            // Backing off: not due before a second has passed, due after.
            #expect(try await store.claimDue(now: now, leaseUntil: now.addingTimeInterval(60), limit: 1).isEmpty)
            let later = now.addingTimeInterval(1)
            let again = try #require(try await store.claimDue(now: later, leaseUntil: later.addingTimeInterval(60), limit: 1).first)
            #expect(again.attempts == 1 && again.lastError == "ServiceUnavailable: down")
            try await store.recordFailure(again, error: "still down", now: later, policy: policy)
            #expect(try await store.state(repositoryId: repository.id, key: "k") == .failed)
            let summary = try await store.summary(repositoryId: repository.id, now: later, limit: 10)
            #expect(summary.failed == 1 && summary.pending == 0 && summary.items.first?.lastError == "still down")
            // FAILED is never claimed; a retry makes it pending with fresh attempts.
            #expect(try await store.claimDue(now: later.addingTimeInterval(3600), leaseUntil: later.addingTimeInterval(3660), limit: 1).isEmpty)
            #expect(try await store.retry(repositoryId: repository.id, now: later) == 1)
            let retried = try #require(try await store.claimDue(now: later, leaseUntil: later.addingTimeInterval(60), limit: 1).first)
            #expect(retried.attempts == 0)
        }
    }

    @Test func aDeadProcesssLeaseRunsOut() async throws {
        try await withMigratedDatabase { database in
            let world = try await setUp(database)
            let repository = mirror(world, master: world.buckets[0], mirrors: [world.buckets[1]])
            try await SQLRepositoryStore(database: database).create(repository, limit: nil)
            let store = SQLReplicationStore(database: database)
            try await store.enqueue(repositoryId: repository.id, bucketId: world.buckets[1], keys: ["k"], operation: .put, now: now)
            #expect(try await store.claimDue(now: now, leaseUntil: now.addingTimeInterval(60), limit: 1).count == 1)
            #expect(try await store.claimDue(now: now.addingTimeInterval(59), leaseUntil: now.addingTimeInterval(120), limit: 1).isEmpty)
            #expect(try await store.claimDue(now: now.addingTimeInterval(60), leaseUntil: now.addingTimeInterval(120), limit: 1).count == 1)
            // The same holds for backfills.
            let backfill = try #require(try await store.claimBackfill(now: now, leaseUntil: now.addingTimeInterval(60)))
            #expect(try await store.claimBackfill(now: now.addingTimeInterval(59), leaseUntil: now.addingTimeInterval(120)) == nil)
            #expect(try await store.claimBackfill(now: now.addingTimeInterval(60), leaseUntil: now.addingTimeInterval(120))?.id == backfill.id)
        }
    }

    @Test func concurrentClaimersNeverShareAnItem() async throws {
        try await withMigratedDatabase { database in
            let world = try await setUp(database)
            let repository = mirror(world, master: world.buckets[0], mirrors: [world.buckets[1]])
            try await SQLRepositoryStore(database: database).create(repository, limit: nil)
            let store = SQLReplicationStore(database: database)
            let keys = (0..<60).map { "key-\($0)" }
            try await store.enqueue(repositoryId: repository.id, bucketId: world.buckets[1], keys: keys, operation: .put, now: now)
            let now = self.now
            let claimed = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        var mine: [String] = []
                        while true {
                            let batch = try await store.claimDue(now: now, leaseUntil: now.addingTimeInterval(60), limit: 7)
                            if batch.isEmpty { return mine }
                            mine += batch.map(\.key)
                        }
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(claimed.count == keys.count)
            #expect(Set(claimed) == Set(keys))
        }
    }

    @Test func aBackfillResumesAfterTheLastPageItCommitted() async throws {
        try await withMigratedDatabase { database in
            let world = try await setUp(database)
            let repository = mirror(world, master: world.buckets[0], mirrors: [world.buckets[1]])
            try await SQLRepositoryStore(database: database).create(repository, limit: nil)
            let store = SQLReplicationStore(database: database)
            let backfill = try #require(try await store.claimBackfill(now: now, leaseUntil: now.addingTimeInterval(60)))
            #expect(backfill.marker == "" && backfill.listed == 0 && backfill.bucketId == world.buckets[1])
            try await store.advance(backfill, keys: ["a", "b", "c"], marker: "c", done: false, now: now)
            // The process dies here; after the lease another takes it up where the page left it.
            let resumed = try #require(try await store.claimBackfill(now: now.addingTimeInterval(60), leaseUntil: now.addingTimeInterval(120)))
            #expect(resumed.marker == "c" && resumed.listed == 3)
            #expect(try await store.summary(repositoryId: repository.id, now: now, limit: 10).pending == 3)
            try await store.advance(resumed, keys: ["d"], marker: "d", done: true, now: now)
            #expect(try await store.claimBackfill(now: now.addingTimeInterval(600), leaseUntil: now.addingTimeInterval(660)) == nil)
            let summary = try await store.summary(repositoryId: repository.id, now: now, limit: 10)
            #expect(summary.pending == 4 && summary.backfills.map(\.listed) == [4] && summary.backfills.allSatisfy(\.done))
            #expect(summary.items.allSatisfy { $0.operation == .backfill })
        }
    }
}
