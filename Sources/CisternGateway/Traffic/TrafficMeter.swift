import CisternCore
import CisternStore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The gateway's traffic counters (docs/gateway.md, "Traffic accounting"): requests add to
/// counters in memory, under a lock held for a dictionary update, and `TrafficRecorder` writes
/// them to the database once per interval and at shutdown. A request never waits on the database;
/// a crash loses at most one interval.
final class TrafficMeter: Sendable {
    private let counters = Mutex<[TrafficKey: TrafficCounts]>([:])

    func add(_ counts: TrafficCounts, to key: TrafficKey) {
        self.counters.withLock { $0[key, default: TrafficCounts()] += counts }
    }

    /// Everything counted since the last drain.
    func drain() -> [TrafficKey: TrafficCounts] {
        self.counters.withLock { counters in
            defer { counters.removeAll(keepingCapacity: true) }
            return counters
        }
    }

    /// Gives back what could not be written, to go with the next write.
    func restore(_ counts: [TrafficKey: TrafficCounts]) {
        self.counters.withLock { counters in
            for (key, value) in counts { counters[key, default: TrafficCounts()] += value }
        }
    }
}

/// Writes the meter's counters under this process's host name every `interval` and once more at
/// shutdown, and folds minutes older than a week into days once an hour.
struct TrafficRecorder: Service {
    let meter: TrafficMeter
    let store: any TrafficStore
    let host: String
    let interval: Duration
    let timeSource: any TimeSource
    let logger: Logger
    /// Minutes are kept this long before they become days.
    static let minutesKept: TimeInterval = 7 * 86_400

    func run() async throws {
        var lastRollUp = ContinuousClock.now - .seconds(3600)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
            await self.flush()
            if ContinuousClock.now - lastRollUp >= .seconds(3600) {
                lastRollUp = .now
                // Whole days only: the cutoff is the start of the day a week ago.
                let day = TrafficPeriod.day.start(of: self.timeSource.now.addingTimeInterval(-Self.minutesKept))
                do {
                    try await self.store.rollUp(before: Date(millisecondsSince1970: day))
                } catch {
                    self.logger.error("traffic roll-up failed", metadata: ["error": "\(Database.describe(error))"])
                }
            }
        }
        await self.flush()
    }

    func flush() async {
        let counts = self.meter.drain()
        guard !counts.isEmpty else { return }
        do {
            try await self.store.record(counts, host: self.host)
        } catch {
            self.meter.restore(counts)
            self.logger.error("traffic figures not written; kept for the next try", metadata: ["error": "\(Database.describe(error))"])
        }
    }
}
