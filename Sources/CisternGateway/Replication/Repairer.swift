import CisternCore
import CisternStore
import Foundation
import Logging
import NIOCore
import ServiceLifecycle

/// Brings MIRROR repositories' mirrors level with their masters: works the repair queue
/// (`ReplicationStore`) and the backfills that feed it. Runs in every process that serves the
/// gateway; items and backfills are claimed by leases, so replicas share the work and a dead
/// process's claims come back when their lease runs out.
///
/// Repairing an item makes the mirror hold what the master holds for its key now: the master's
/// object copied over (streamed, through the same write path as a client's PUT, so a copy cut
/// short never becomes an object), or, when the master has none, the mirror's deleted. A mirror
/// whose object already has the master's ETag and length is left as it is.
struct Repairer: Service {
    let handler: GatewayHandler
    let store: any ReplicationStore
    let repositories: any RepositoryStore
    let buckets: any BucketStore
    let sealer: SecretSealer
    let policy: ReplicationPolicy
    /// How long the repairer rests when there was nothing to do.
    var tick: Duration = .milliseconds(500)

    var logger: Logger { self.handler.logger }
    var now: Date { self.handler.timeSource.now }

    func run() async throws {
        var lastPrune = ContinuousClock.now - .seconds(3600)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            var worked = false
            do {
                worked = try await cancelWhenGracefulShutdown { try await self.runOnce() }
                if ContinuousClock.now - lastPrune > .seconds(3600) {
                    try await self.store.pruneCompleted(before: self.now.addingTimeInterval(-86_400))
                    lastPrune = .now
                }
            } catch is CancellationError {
                break
            } catch {
                self.logger.error("repair pass failed", metadata: ["error": "\(Database.describe(error))"])
            }
            if !worked { try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.tick) } }
        }
    }

    /// One page of one backfill and one batch of due items; returns whether there was any work.
    func runOnce() async throws -> Bool {
        let leaseUntil = self.now.addingTimeInterval(TimeInterval(self.policy.lease.components.seconds))
        var worked = false
        if let backfill = try await self.store.claimBackfill(now: self.now, leaseUntil: leaseUntil) {
            worked = true
            await self.advance(backfill)
        }
        let items = try await self.store.claimDue(now: self.now, leaseUntil: leaseUntil, limit: self.policy.concurrency)
        if !items.isEmpty {
            worked = true
            await withTaskGroup(of: Void.self) { group in
                for item in items { group.addTask { await self.repair(item) } }
            }
        }
        return worked
    }

    // MARK: Items

    func repair(_ item: ReplicationItem) async {
        do {
            if let (master, mirror) = try await self.routes(repositoryId: item.repositoryId, mirror: item.bucketId) {
                try await self.level(item.key, master: master, mirror: mirror)
            }
            // No such mirror any more: there is nothing left to repair.
            try await self.store.complete(item, now: self.now)
        } catch {
            let reason = (error as? S3Error).map { "\($0.code): \($0.message)" } ?? String(describing: error)
            self.logger.info(
                "repair attempt failed", metadata: ["item": "\(item.id.canonical)", "attempt": "\(item.attempts + 1)", "error": "\(reason)"])
            try? await self.store.recordFailure(item, error: reason, now: self.now, policy: self.policy)
        }
    }

    /// Makes `mirror` hold what `master` holds for `key`.
    func level(_ repositoryKey: String, master: MemberRoute, mirror: MemberRoute) async throws {
        let handler = self.handler
        // A MIRROR's members have no folder; the keys are mapped all the same.
        let key = master.member.providerKey(repositoryKey)
        let mirrorKey = mirror.member.providerKey(repositoryKey)
        let head: ObjectRead
        do {
            head = try await handler.member(master, "HeadObject") { try await $0.read(key, ReadRequest(head: true)) }
        } catch let error as S3Error where error.status == 404 {
            try await handler.member(mirror, "DeleteObject") { try await $0.delete(mirrorKey) }
            return
        }
        // A mirror that holds nothing of the key answers 404; one that cannot answer fails the attempt
        // here, before the master's object is read for nothing.
        let existing: ObjectRead?
        do {
            existing = try await handler.member(mirror, "HeadObject") { try await $0.read(mirrorKey, ReadRequest(head: true)) }
        } catch let error as S3Error where error.status == 404 {
            existing = nil
        }
        if let etag = head.etag, let existing, existing.etag == etag, existing.length == head.length { return }
        // Read the version the HEAD saw; a master that changed since is caught by If-Match.
        let conditions = head.etag.map { [("if-match", $0)] } ?? []
        let source = try await handler.member(master, "GetObject") { try await $0.read(key, ReadRequest(conditions: conditions)) }
        guard let body = source.body, let length = source.length else {
            throw S3Error("ServiceUnavailable", "The master did not say how long the object is", status: 503)
        }
        var pieces = ProviderPieces(body)
        _ = try await handler.storeObject(
            repositoryKey, GatewayHandler.NewObject(attributes: GatewayHandler.storedAttributes(source.headers)), length: length, pieces: &pieces,
            on: Targets(primary: mirror, mirrors: [])
        ) { primary, _ in try primary.get() }
    }

    /// The master and the mirror `mirror` of a live MIRROR repository, or nil when the
    /// repository is gone or the bucket is no longer one of its mirrors.
    func routes(repositoryId: UUID, mirror: UUID) async throws -> (master: MemberRoute, mirror: MemberRoute)? {
        guard let repository = try await self.repositories.repository(id: repositoryId), repository.mode == .mirror,
            let masterMember = repository.members.first(where: \.isMaster),
            let mirrorMember = repository.members.first(where: { $0.bucketId == mirror && !$0.isMaster })
        else { return nil }
        let rows = try await self.buckets.buckets(ids: [masterMember.bucketId, mirror])
        guard let masterBucket = rows.first(where: { $0.id == masterMember.bucketId }), let mirrorBucket = rows.first(where: { $0.id == mirror })
        else { return nil }
        return (
            try MemberRoute(masterMember, of: masterBucket, unsealingWith: self.sealer),
            try MemberRoute(mirrorMember, of: mirrorBucket, unsealingWith: self.sealer)
        )
    }

    // MARK: Backfills

    /// Queues the next page (up to 1,000 keys) of the master's listing for the backfill's mirror.
    func advance(_ backfill: Backfill) async {
        do {
            guard let (master, _) = try await self.routes(repositoryId: backfill.repositoryId, mirror: backfill.bucketId) else {
                try await self.store.advance(backfill, keys: [], marker: backfill.marker, done: true, now: self.now)
                return
            }
            let request = ListRequest(
                prefix: master.member.providerKey(""), startAfter: backfill.marker.isEmpty ? nil : master.member.providerKey(backfill.marker))
            let page = try await self.handler.member(master, "ListObjects") { try await $0.list(request) }
            let keys = page.objects.compactMap { master.member.repositoryKey($0.key) }
            let truncated = page.nextToken != nil && !keys.isEmpty
            try await self.store.advance(backfill, keys: keys, marker: keys.last ?? backfill.marker, done: !truncated, now: self.now)
        } catch {
            self.logger.info("backfill page failed", metadata: ["backfill": "\(backfill.id.canonical)", "error": "\(error)"])
            try? await self.store.postpone(backfill, until: self.now.addingTimeInterval(5))
        }
    }
}
