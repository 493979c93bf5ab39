import CisternCore
import Foundation
import Logging
import NIOCore
import SQLKit
import Synchronization

/// How the in-memory caches of every process on one database learn that what they hold has
/// changed: sessions and users (authentication), repository keys with their repositories and
/// buckets (the gateway), and rendered lists (`GET /bucket/available`).
///
/// One mechanism on both engines. Every write that changes something a cache may hold bumps one
/// counter row (`change_epoch`) in its own transaction (`Database.changeTransaction`), so the
/// counter moves in commit order. Then:
///
/// - **This process** moves its `generation` right after the commit, so its next request reloads.
/// - **Other processes** read the counter every `interval` (200 ms) and move their generation when
///   it moved. A process trusts its caches only for `lease` (1 s) after the start of its last
///   successful read (`current` is nil otherwise, and every cache goes to the database), so a
///   process cut off from the database stops serving what it cached.
/// - **The writer's response waits** until every other live process has acknowledged the new
///   value (each writes the last value it has seen into `cache_nodes` on every change and once a
///   second otherwise), and never longer than `lease + interval`: by then a process that has not
///   read the new value has stopped trusting its caches. So once a change's response has gone
///   out, no process serves what it replaced: a revoked token fails, a claimed bucket is not
///   listed. With one process, the wait is nothing; with several, about one `interval`.
///
/// A process whose heartbeat is older than `staleness` (10 s) is taken for gone and not waited
/// for; it cannot still trust its caches, since it renews its lease only while its heartbeats
/// succeed (clocks of processes on different hosts must agree within a few seconds).
public final class ChangeFeed: Sendable {
    /// This process's row in `cache_nodes`.
    public let node = UUID().canonical
    public let interval: Duration
    public let lease: Duration
    static let heartbeatEvery: Duration = .seconds(1)
    static let staleness: Duration = .seconds(10)

    private let generation = Atomic<Int>(0)
    /// Monotonic nanoseconds until which caches may be trusted; 0 until the first read.
    private let trustedUntil = Atomic<Int64>(0)
    private let state = Mutex(State())

    private struct State: Sendable {
        var epoch: Int64?
        var lastHeartbeat: NIODeadline?
        var watcher: Task<Void, Never>?
        var failing = false
    }

    public init(interval: Duration = .milliseconds(200), lease: Duration = .seconds(1)) {
        self.interval = interval
        self.lease = lease
    }

    /// The generation a cache entry is read under and checked against, or nil when caches must
    /// not be used now (the feed is not watching, or its last successful read is older than the lease).
    public var current: Int? {
        let generation = self.generation.load(ordering: .acquiring)
        guard NIODeadline.now().uptimeNanoseconds < UInt64(max(0, self.trustedUntil.load(ordering: .acquiring))) else { return nil }
        return generation
    }

    /// Inside a write transaction: counts one change for every process. Returns the new value.
    public func record(on sql: any SQLDatabase) async throws -> Int64 {
        guard let row = try await sql.raw("UPDATE change_epoch SET value = value + 1 WHERE id = 1 RETURNING value").first() else {
            throw MissingChangeEpoch()
        }
        return try row.decode(column: "value", as: Int64.self)
    }

    /// After the commit of a change that `record` counted as `epoch`: this process's caches drop
    /// everything read before, and the call returns once other processes have seen it (or could
    /// no longer trust what they cached).
    public func published(_ epoch: Int64, on database: Database) async {
        self.generation.add(1, ordering: .releasing)
        await self.propagated(epoch, on: database)
    }

    private func propagated(_ epoch: Int64, on database: Database) async {
        let clock = ContinuousClock()
        let deadline = clock.now + self.lease + self.interval
        while clock.now < deadline, !Task.isCancelled {
            let freshSince = Date().addingTimeInterval(-Self.staleness.seconds).millisecondsSince1970
            let behind = try? await database.withConnection { sql in
                try await sql.raw(
                    """
                    SELECT count(*) AS behind FROM cache_nodes
                    WHERE id <> \(bind: self.node) AND epoch < \(bind: epoch) AND seen_at > \(bind: freshSince)
                    """
                ).first()?.decode(column: "behind", as: Int.self)
            }
            if behind == 0 { return }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Reads the counter once (so caches work from the first request), then keeps reading it
    /// every `interval` until `stop`.
    func start(on database: Database) async {
        await self.poll(database)
        let task = Task { [interval] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                await self.poll(database)
            }
        }
        self.state.withLock { $0.watcher = task }
    }

    /// Stops watching and removes this process's row, so writers no longer wait for it.
    func stop(on database: Database) async {
        guard
            let task = self.state.withLock({ state in
                defer { state.watcher = nil }
                return state.watcher
            })
        else { return }
        task.cancel()
        await task.value
        self.trustedUntil.store(0, ordering: .releasing)
        try? await database.withConnection { sql in
            try await sql.raw("DELETE FROM cache_nodes WHERE id = \(bind: self.node)").run()
        }
    }

    private func poll(_ database: Database) async {
        let started = NIODeadline.now()
        do {
            let epoch = try await database.withConnection { sql in
                try await sql.raw("SELECT value FROM change_epoch WHERE id = 1").first()?.decode(column: "value", as: Int64.self)
            }
            guard let epoch else { throw MissingChangeEpoch() }
            let (changed, heartbeatDue) = self.state.withLock { state in
                defer { state.epoch = epoch }
                let due = state.lastHeartbeat.map { started - $0 >= .nanoseconds(Int64(Self.heartbeatEvery.nanoseconds)) } ?? true
                return (state.epoch != nil && state.epoch != epoch, due || state.epoch != epoch)
            }
            // Drop what was cached before the acknowledgement says it is gone.
            if changed { self.generation.add(1, ordering: .releasing) }
            if heartbeatDue {
                let now = Date().millisecondsSince1970
                try await database.withConnection { sql in
                    try await sql.raw(
                        """
                        INSERT INTO cache_nodes (id, epoch, seen_at) VALUES (\(bind: self.node), \(bind: epoch), \(bind: now))
                        ON CONFLICT (id) DO UPDATE SET epoch = excluded.epoch, seen_at = excluded.seen_at
                        """
                    ).run()
                }
                self.state.withLock { $0.lastHeartbeat = started }
            }
            // Trust only while writers can see this process: its heartbeat is well within `staleness`.
            let heartbeat = self.state.withLock { $0.lastHeartbeat }
            if let heartbeat, started - heartbeat < .nanoseconds(Int64(Self.staleness.nanoseconds / 2)) {
                self.trustedUntil.store(Int64(started.uptimeNanoseconds) + Int64(self.lease.nanoseconds), ordering: .releasing)
            }
            if self.state.withLock({ state in
                defer { state.failing = false }
                return state.failing
            }) {
                database.logger.notice("change feed reads the database again; caches are in use")
            }
        } catch {
            guard !Task.isCancelled else { return }
            if !self.state.withLock({ state in
                defer { state.failing = true }
                return state.failing
            }) {
                database.logger.warning(
                    "change feed cannot read the database; caches are bypassed until it can", metadata: ["error": "\(Database.describe(error))"]
                )
            }
        }
    }
}

/// The database has no `change_epoch` row: it was not migrated by this version.
struct MissingChangeEpoch: Error, CustomStringConvertible {
    var description: String { "the change_epoch row is missing (schema 8)" }
}

extension Duration {
    var seconds: Double { Double(self.nanoseconds) / 1e9 }
}
