import CisternBootstrap
import CisternCore
import CisternProviders
import CisternStore
import CisternTestSupport
import Foundation
import Logging
import ServiceLifecycle
import Testing

@testable import CisternAPI

/// The bucket monitor on the test clock, against the real S3 server.
@Suite("Bucket monitor")
struct BucketMonitorTests {
    /// A monitor over the app's database, probing through the given registry (the real S3 client by default).
    static func withMonitor<T: Sendable>(
        _ app: TestApp, providers: ProviderRegistry? = nil, concurrency: Int = 4, _ body: (BucketMonitor) async throws -> T
    ) async throws -> T {
        let http = ProviderHTTPClient.make()
        defer { _ = Task { try? await http.shutdown() } }
        let masterKey = try DataDirectory.prepare(app.configuration, logger: Logger(label: "test")).masterKey
        return try await app.withDatabase { database in
            let monitor = BucketMonitor(
                buckets: SQLBucketStore(database: database), providers: providers ?? ProviderRegistry([.s3: S3Provider(http: http)]),
                sealer: SecretSealer(current: masterKey), schedule: CheckSchedule(interval: 60), concurrency: concurrency,
                timeSource: app.clock, logger: Logger(label: "test")
            )
            return try await body(monitor)
        }
    }

    static func status(_ api: APIClient, _ id: String, _ token: String) async throws -> (status: String?, history: [String]) {
        let response = try await api.request(.get, "/bucket/\(id)/status", token: token)
        let history = (response["history"] as? [[String: Any]] ?? []).compactMap { $0["status"] as? String }
        return (response.string("status"), history)
    }

    @Test func dueBucketsAreCheckedOnceAndAgainAfterTheInterval() async throws {
        let app = TestApp { $0.validateBuckets = false }
        try await app.run { api in
            let world = try await World.build(api)
            let owner = world.tokens[.owner]!
            let online = try await BucketTests.registerFreshBucket(api, in: world.projectId, as: owner).id
            let offline = try await api.createUnvalidatedBucket(in: world.projectId, as: owner)
            try await Self.withMonitor(app) { monitor in
                do {
                    let checked = try await monitor.runOnce()
                    #expect(checked == 2)
                }
                let first = try await Self.status(api, online, owner)
                let second = try await Self.status(api, offline, owner)
                #expect(first == ("ONLINE", ["ONLINE"]))
                #expect(second == ("OFFLINE", ["OFFLINE"]))
                // Nothing is due again before the interval (and its jitter) has passed.
                app.clock.advance(by: 59)
                do {
                    let checked = try await monitor.runOnce()
                    #expect(checked == 0)
                }
                app.clock.advance(by: 60 * 0.1 + 2)
                do {
                    let checked = try await monitor.runOnce()
                    #expect(checked == 2)
                }
                let history = try await Self.status(api, online, owner).history
                #expect(history == ["ONLINE", "ONLINE"])
            }
        }
    }

    @Test func aBucketThatDisappearsAtTheProviderTurnsDisconnected() async throws {
        let app = TestApp()
        try await app.run { api in
            let world = try await World.build(api)
            let owner = world.tokens[.owner]!
            let (id, name) = try await BucketTests.registerFreshBucket(api, in: world.projectId, as: owner)
            try await withS3Provider { provider in
                let deleted = try await provider.send("DELETE", try S3TestServer.connection(bucket: name))
                #expect(deleted.status == 204, "\(deleted.body)")
            }
            try await Self.withMonitor(app) { monitor in
                app.clock.advance(by: 67)
                do {
                    let checked = try await monitor.runOnce()
                    #expect(checked == 1)
                }
            }
            #expect(try await Self.status(api, id, owner) == ("DISCONNECTED", ["DISCONNECTED", "ONLINE"]))
            let listed = (try await api.request(.get, "/bucket", token: owner)["buckets"] as? [[String: Any]])?.first
            #expect(listed?["status"] as? String == "DISCONNECTED")
        }
    }

    @Test func twoMonitorsOnOneDatabaseCheckEachBucketOnce() async throws {
        let app = TestApp { $0.validateBuckets = false }
        try await app.run { api in
            let (world, ids) = try await World.build(api, buckets: 12)
            let owner = world.tokens[.owner]!
            let counts = try await Self.withMonitor(app) { first in
                try await Self.withMonitor(app) { second in
                    async let a = first.runOnce()
                    async let b = second.runOnce()
                    return try await [a, b]
                }
            }
            #expect(counts.reduce(0, +) == 12, "\(counts)")
            for id in ids { #expect(try await Self.status(api, id, owner).history.count == 1) }
        }
    }

    @Test func noMoreThanTheConcurrencyLimitIsCheckedAtOnce() async throws {
        let app = TestApp { $0.validateBuckets = false }
        try await app.run { api in
            let world = try await World.build(api)
            let owner = world.tokens[.owner]!
            for index in 0..<20 {
                _ = try await api.request(
                    .post, "/bucket",
                    json: [
                        "name": "g\(index)", "bucket": "b\(index)", "storageType": "GCS", "key": "k", "secret": "s", "workspaceId": world.projectId,
                    ],
                    token: owner
                )
            }
            let counter = ConcurrencyCounter()
            try await Self.withMonitor(app, providers: ProviderRegistry([.gcs: counter]), concurrency: 3) { monitor in
                do {
                    let checked = try await monitor.runOnce()
                    #expect(checked == 20)
                }
            }
            #expect(await counter.peak == 3)
            #expect(await counter.total == 20)
        }
    }

    @Test(.timeLimit(.minutes(5))) func shutdownCutsALongPassShortAndRecordsNothingForUnfinishedProbes() async throws {
        let app = TestApp { $0.validateBuckets = false }
        try await app.run { api in
            let (world, ids) = try await World.build(api, buckets: 3)
            let owner = world.tokens[.owner]!
            let hanging = HangingProvider()
            try await Self.withMonitor(app, providers: ProviderRegistry([.s3: hanging]), concurrency: 2) { monitor in
                let group = ServiceGroup(configuration: .init(services: [monitor], logger: Logger(label: "test")))
                let running = Task { try await group.run() }
                while await hanging.entered < 2 { try await Task.sleep(for: .milliseconds(10)) }
                let started = ContinuousClock.now
                await group.triggerGracefulShutdown()
                try await running.value
                #expect(ContinuousClock.now - started < .seconds(60), "the pass was cancelled, not waited for")
            }
            for id in ids {
                let status = try await Self.status(api, id, owner)
                #expect(status.status == nil, "a probe cut short records no status")
                #expect(status.history.isEmpty)
            }
        }
    }

    @Test(.timeLimit(.minutes(5))) func theMonitorStopsPromptlyWhileItWaitsForItsNextPass() async throws {
        // Between passes the monitor sleeps for its tick, here an hour: shutdown must cut that
        // sleep short rather than wait it out (a monitor that waited would hold the server up
        // for the whole tick). The bound leaves room for a loaded machine.
        let app = TestApp { $0.validateBuckets = false }
        try await app.run { _ in
            try await Self.withMonitor(app, providers: ProviderRegistry([:])) { monitor in
                var monitor = monitor
                monitor.tick = .seconds(3600)
                let group = ServiceGroup(configuration: .init(services: [monitor], logger: Logger(label: "test")))
                let running = Task { try await group.run() }
                // Long enough to finish the first (empty) pass and fall asleep.
                try await Task.sleep(for: .milliseconds(300))
                let started = ContinuousClock.now
                await group.triggerGracefulShutdown()
                try await running.value
                let shutdown = ContinuousClock.now - started
                #expect(shutdown < .seconds(10), "shutdown took \(shutdown)")
            }
        }
    }

    @Test(.timeLimit(.minutes(5))) func theMonitorDoesNotKeepTheServerFromStopping() async throws {
        let serving = try await TestApp { $0.monitorInterval = 1 }.run(.live) { api in
            let health = try await api.request(.get, "/health")
            #expect(health.status == .ok)
            return ContinuousClock.now
        }
        let shutdown = ContinuousClock.now - serving
        #expect(shutdown < .seconds(60), "shutdown took \(shutdown)")
    }
}

/// A provider that only counts how many probes run at once (each takes 20 ms).
actor ConcurrencyCounter: StorageProvider {
    private(set) var peak = 0
    private(set) var total = 0
    private var current = 0

    nonisolated func probe(_ connection: BucketConnection) async -> ProbeResult {
        await self.enter()
        try? await Task.sleep(for: .milliseconds(20))
        await self.leave()
        return ProbeResult(status: .online, latencyMs: 20, reason: "counted")
    }

    nonisolated func hasObjects(_ connection: BucketConnection, prefix: String) async throws -> Bool { false }

    private func enter() {
        self.current += 1
        self.total += 1
        self.peak = max(self.peak, self.current)
    }

    private func leave() { self.current -= 1 }
}

/// A provider whose probes never finish on their own (they end when cancelled).
actor HangingProvider: StorageProvider {
    private(set) var entered = 0

    nonisolated func probe(_ connection: BucketConnection) async -> ProbeResult {
        await self.enter()
        try? await Task.sleep(for: .seconds(600))
        return ProbeResult(status: .offline, latencyMs: 0, reason: "cut short")
    }

    nonisolated func hasObjects(_ connection: BucketConnection, prefix: String) async throws -> Bool { false }

    private func enter() { self.entered += 1 }
}
