import Synchronization

/// Whether this process has been asked to stop: from then on it is no longer ready for new
/// work (`GET /health/ready` answers 503) while it finishes what it holds.
public final class Draining: Sendable {
    private let flag = Atomic<Bool>(false)

    public init() {}

    public func begin() { self.flag.store(true, ordering: .releasing) }

    public var isDraining: Bool { self.flag.load(ordering: .acquiring) }
}
