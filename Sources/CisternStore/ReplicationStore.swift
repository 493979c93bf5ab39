import CisternCore
import Foundation

/// What `GET /repo/{id}/replication` shows.
public struct ReplicationSummary: Sendable, Equatable {
    public var pending: Int
    public var failed: Int
    public var completedLastDay: Int
    /// The not-yet-completed items first (oldest change first), then the latest completed ones.
    public var items: [ReplicationItem]
    public var backfills: [Backfill]

    public init(pending: Int, failed: Int, completedLastDay: Int, items: [ReplicationItem], backfills: [Backfill]) {
        self.pending = pending
        self.failed = failed
        self.completedLastDay = completedLastDay
        self.items = items
        self.backfills = backfills
    }
}

/// The repair queue of MIRROR repositories, the backfills that feed it, and the member uploads
/// behind a client's multipart upload. Rows, not memory: any process may serve any request and
/// any process's repairer may take any item.
///
/// Claims work like the bucket monitor's: a due row is leased inside a write transaction, so
/// of several processes exactly one takes it, and a process that dies lets it go when the lease
/// runs out.
public protocol ReplicationStore: Sendable {
    /// Makes `keys` pending on the mirror `bucketId`, committed when this returns. A key already
    /// pending stays one item; its generation moves on, so a repair already running for an older
    /// write does not complete it.
    func enqueue(repositoryId: UUID, bucketId: UUID, keys: [String], operation: ReplicationOperation, now: Date) async throws

    /// Leases up to `limit` pending items that are due and not leased, until `leaseUntil`.
    func claimDue(now: Date, leaseUntil: Date, limit: Int) async throws -> [ReplicationItem]

    /// Marks a claimed item COMPLETED, unless a write made it pending again since it was claimed
    /// (then it is released to be repaired again at once). Returns whether it completed.
    @discardableResult
    func complete(_ item: ReplicationItem, now: Date) async throws -> Bool

    /// Records a failed attempt: the item waits for the policy's backoff, or is FAILED after its
    /// last attempt. (A write since the claim resets it instead, as `complete` does.)
    func recordFailure(_ item: ReplicationItem, error: String, now: Date, policy: ReplicationPolicy) async throws

    /// PENDING or FAILED when some mirror of `repositoryId` is not level on `key`, else COMPLETED.
    func state(repositoryId: UUID, key: String) async throws -> ReplicationState

    /// Counts and up to `limit` items of one repository.
    func summary(repositoryId: UUID, now: Date, limit: Int) async throws -> ReplicationSummary

    /// FAILED items of a repository become PENDING with fresh attempts; returns how many.
    func retry(repositoryId: UUID, now: Date) async throws -> Int

    /// Leases one unfinished backfill that is due, until `leaseUntil`.
    func claimBackfill(now: Date, leaseUntil: Date) async throws -> Backfill?

    /// Queues one page of a backfill's listing and moves its marker, in one transaction: a
    /// process that dies between pages resumes after the last page committed.
    func advance(_ backfill: Backfill, keys: [String], marker: String, done: Bool, now: Date) async throws

    /// Lets a claimed backfill be taken again after `at` (a listing failed).
    func postpone(_ backfill: Backfill, until at: Date) async throws

    /// Remembers the mirrors' uploads behind the client's (the master's) upload id.
    func recordUpload(repositoryId: UUID, uploadId: String, key: String, memberUploads: [UUID: String], now: Date) async throws

    /// The mirrors' upload ids behind a client's upload, by bucket.
    func memberUploads(repositoryId: UUID, uploadId: String) async throws -> [UUID: String]

    /// Forgets a finished or aborted upload.
    func forgetUpload(repositoryId: UUID, uploadId: String) async throws

    /// Drops COMPLETED items last changed before `before` (they only feed `completedLastDay`).
    func pruneCompleted(before: Date) async throws
}
