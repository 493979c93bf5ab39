import Foundation
import Synchronization

/// Where "now" comes from. Injected wherever behaviour depends on time (token expiry, schedules),
/// so tests can move time instead of waiting for it.
public protocol TimeSource: Sendable {
    /// The current instant.
    var now: Date { get }
}

/// The wall clock.
public struct SystemTimeSource: TimeSource {
    public init() {}
    public var now: Date { Date() }
}

/// A clock that only moves when told to.
public final class ManualTimeSource: TimeSource {
    private let current: Mutex<Date>

    public init(_ start: Date = Date(timeIntervalSince1970: 1_767_225_600)) {
        self.current = Mutex(start)
    }

    public var now: Date { self.current.withLock { $0 } }

    /// Moves the clock forward.
    public func advance(by seconds: TimeInterval) {
        self.current.withLock { $0 += seconds }
    }
}
