import Foundation

/// When a bucket is checked again: after `interval`, plus up to `jitter` of it at random, so that
/// buckets registered together do not all come due in the same second.
public struct CheckSchedule: Sendable, Equatable {
    public var interval: TimeInterval
    public var jitter: Double

    public init(interval: TimeInterval, jitter: Double = 0.1) {
        self.interval = interval
        self.jitter = jitter
    }

    /// The next check after one at `date`; `unit` (in 0..<1) picks the point in the jitter window.
    public func next(after date: Date, unit: Double = Double.random(in: 0..<1)) -> Date {
        date.addingTimeInterval(self.interval * (1 + self.jitter * unit))
    }

    /// The latest the next check can be.
    public func latest(after date: Date) -> Date {
        date.addingTimeInterval(self.interval * (1 + self.jitter))
    }
}
