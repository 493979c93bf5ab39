import Foundation

/// Where one object of a MIRROR repository stands on one mirror.
public enum ReplicationState: String, Sendable, Codable, CaseIterable {
    /// The mirror may differ from the master; the repairer will make it equal.
    case pending = "PENDING"
    /// The mirror held what the master held when the repairer last copied.
    case completed = "COMPLETED"
    /// The repairer gave up after `ReplicationPolicy.maximumAttempts`; a retry makes it PENDING.
    case failed = "FAILED"
}

/// What made a mirror need a repair of a key.
public enum ReplicationOperation: String, Sendable, Codable, CaseIterable {
    /// A write (PutObject, CopyObject, CompleteMultipartUpload) the mirror missed, or took while the master did not.
    case put = "PUT"
    /// A delete (DeleteObject, DeleteObjects) the mirror missed.
    case delete = "DELETE"
    /// An object the master held when the mirror joined.
    case backfill = "BACKFILL"
}

/// One key of a MIRROR repository that one mirror must be brought level with the master on.
///
/// A repair copies the master's object to the mirror, or deletes the mirror's when the master
/// has none: items exist only for keys a write or delete through the repository touched, or
/// that the master held when the mirror joined, so nothing else on a mirror is ever deleted.
public struct ReplicationItem: Sendable, Equatable {
    public var id: UUID
    public var repositoryId: UUID
    /// The mirror to repair.
    public var bucketId: UUID
    public var key: String
    public var operation: ReplicationOperation
    public var state: ReplicationState
    public var attempts: Int
    public var lastError: String?
    /// Bumped each time a new write makes the item pending again: a repair that started before
    /// completes the item only when nothing was written since.
    public var generation: Int
    public var updatedAt: Date

    public init(
        id: UUID, repositoryId: UUID, bucketId: UUID, key: String, operation: ReplicationOperation, state: ReplicationState,
        attempts: Int, lastError: String?, generation: Int, updatedAt: Date
    ) {
        self.id = id
        self.repositoryId = repositoryId
        self.bucketId = bucketId
        self.key = key
        self.operation = operation
        self.state = state
        self.attempts = attempts
        self.lastError = lastError
        self.generation = generation
        self.updatedAt = updatedAt
    }
}

/// A listing of a master's objects that queues each of them for one mirror: resumable from
/// `marker`, the last key queued.
public struct Backfill: Sendable, Equatable {
    public var id: UUID
    public var repositoryId: UUID
    /// The mirror being filled.
    public var bucketId: UUID
    public var marker: String
    public var listed: Int
    public var done: Bool

    public init(id: UUID, repositoryId: UUID, bucketId: UUID, marker: String, listed: Int, done: Bool) {
        self.id = id
        self.repositoryId = repositoryId
        self.bucketId = bucketId
        self.marker = marker
        self.listed = listed
        self.done = done
    }
}

/// How hard and how often the repairer tries.
public struct ReplicationPolicy: Sendable, Equatable {
    /// Attempts before an item is FAILED.
    public var maximumAttempts = 10
    /// Items one process repairs at once.
    public var concurrency = 8
    /// The wait after the first failed attempt; each further failure doubles it, up to `maximumBackoff`.
    public var firstBackoff: Duration = .seconds(1)
    public var maximumBackoff: Duration = .seconds(300)
    /// How long a process holds the items it claimed; a process that dies lets them go after this.
    public var lease: Duration = .seconds(60)

    public init() {}

    /// The wait before the next attempt after `attempts` failed ones (1, 2, 4 ... seconds, capped).
    public func backoff(afterAttempts attempts: Int) -> Duration {
        let doublings = min(max(attempts - 1, 0), 30)
        let wait = self.firstBackoff * (1 << doublings)
        return min(wait, self.maximumBackoff)
    }
}
