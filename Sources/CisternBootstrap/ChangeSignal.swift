import Synchronization

/// A counter that moves whenever something a cache may hold changes in this process (a key
/// revoked, a repository or bucket changed): a cache entry read under an older count is stale.
/// Other processes' changes reach a cache through its time limit instead.
public final class ChangeSignal: Sendable {
    private let count = Atomic<Int>(0)

    public init() {}

    /// Marks every cached entry read before now as stale.
    public func signal() { self.count.add(1, ordering: .releasing) }

    public var current: Int { self.count.load(ordering: .acquiring) }
}

/// Whether this process has been asked to stop: from then on it is no longer ready for new
/// work (`GET /health/ready` answers 503) while it finishes what it holds.
public final class Draining: Sendable {
    private let flag = Atomic<Bool>(false)

    public init() {}

    public func begin() { self.flag.store(true, ordering: .releasing) }

    public var isDraining: Bool { self.flag.load(ordering: .acquiring) }
}
