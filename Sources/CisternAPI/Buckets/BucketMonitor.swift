import CisternBootstrap
import CisternCore
import CisternProviders
import CisternStore
import Foundation
import Logging
import Metrics
import ServiceLifecycle

/// Re-checks every live bucket on its schedule and records status, latency and history.
///
/// Each pass claims the buckets that are due (`BucketStore.claimDueChecks`, so that of several
/// Cistern processes on one database exactly one checks each bucket per interval), probes them
/// at most `concurrency` at a time, and records each outcome with the bucket's next due time.
/// A claim is a lease: if its process dies, the bucket comes due again after one interval.
struct BucketMonitor: Service {
    let buckets: any BucketStore
    let providers: ProviderRegistry
    let sealer: SecretSealer
    let schedule: CheckSchedule
    let concurrency: Int
    let timeSource: any TimeSource
    let logger: Logger
    /// Where probe durations and failures are counted (nil: nowhere).
    var telemetry: Telemetry? = nil
    /// How often the monitor looks for due buckets.
    var tick: Duration = .seconds(5)
    /// How many buckets one claim takes.
    var batchSize = 256

    func run() async throws {
        self.logger.info("bucket monitor started", metadata: ["interval": "\(self.schedule.interval)", "concurrency": "\(self.concurrency)"])
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                // A pass over many buckets can take long: shutdown cancels it rather than wait.
                _ = try await cancelWhenGracefulShutdown { try await self.runOnce() }
            } catch is CancellationError {
                break
            } catch {
                self.logger.error("bucket monitor pass failed", metadata: ["error": "\(Database.describe(error))"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.tick) }
        }
    }

    /// Checks every bucket due now; returns how many it checked.
    @discardableResult
    func runOnce() async throws -> Int {
        var checked = 0
        while !Task.isCancelled {
            let now = self.timeSource.now
            let due = try await self.buckets.claimDueChecks(now: now, leaseUntil: self.schedule.latest(after: now), limit: self.batchSize)
            guard !due.isEmpty else { return checked }
            await withTaskGroup(of: Void.self) { group in
                var inFlight = 0
                for bucket in due {
                    if inFlight == self.concurrency {
                        await group.next()
                        inFlight -= 1
                    }
                    group.addTask { await self.check(bucket) }
                    inFlight += 1
                }
            }
            checked += due.count
        }
        return checked
    }

    private func check(_ bucket: Bucket) async {
        do {
            let started = ContinuousClock.now
            let result = await self.providers.probe(try bucket.connection(unsealingWith: self.sealer))
            let provider = bucket.storageType.rawValue
            self.telemetry?.timer("cistern_monitor_probe_duration_seconds", [("provider", provider)])
                .recordNanoseconds((ContinuousClock.now - started).nanoseconds)
            if result.status != .online {
                self.telemetry?.counter("cistern_monitor_probe_failures_total", [("provider", provider), ("status", result.status.rawValue)])
                    .increment()
            }
            // A probe cut short by shutdown says nothing about the bucket: its claim lapses and
            // another pass checks it.
            guard !Task.isCancelled else { return }
            let checkedAt = self.timeSource.now
            try await self.buckets.record(BucketCheck(result, at: checkedAt), bucketId: bucket.id, nextCheckAt: self.schedule.next(after: checkedAt))
        } catch {
            self.logger.error("bucket check failed", metadata: ["bucket": "\(bucket.id.canonical)", "error": "\(Database.describe(error))"])
        }
    }
}
