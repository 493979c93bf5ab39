import CisternCore
import Foundation

/// All-time figures of one bucket or repository.
public struct TrafficTotal: Sendable, Equatable {
    public var id: UUID
    public var counts: TrafficCounts

    public init(id: UUID, counts: TrafficCounts) {
        self.id = id
        self.counts = counts
    }
}

/// The gateway's traffic figures, per minute for a week, per day after that. Every process adds
/// its own counters under its own host name, so replicas never write the same row's share.
public protocol TrafficStore: Sendable {
    /// Adds `counts` (by minute) to what `host` recorded before, in one transaction.
    func record(_ counts: [TrafficKey: TrafficCounts], host: String) async throws

    /// Folds the minutes before `cutoff` into days; idempotent, and safe beside recording.
    func rollUp(before cutoff: Date) async throws

    /// All-time figures of every live bucket of the scope (zeros where none), or of `bucketIds`.
    func bucketTotals(_ scope: ReadScope, bucketIds: [UUID]?) async throws -> [TrafficTotal]

    /// All-time figures of every live repository of the scope (zeros where none), or of `repositoryIds`.
    func repositoryTotals(_ scope: ReadScope, repositoryIds: [UUID]?) async throws -> [TrafficTotal]

    /// The rows per `period` that the scope may read (its repository's or its bucket's workspace),
    /// oldest first, at most `limit`.
    func rows(_ period: TrafficPeriod, _ scope: ReadScope, _ filter: TrafficFilter, limit: Int) async throws -> [TrafficRow]
}
