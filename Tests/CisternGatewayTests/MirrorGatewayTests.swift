import CisternBootstrap
import CisternCore
import CisternStore
import CisternTestSupport
import Foundation
import Testing

/// MIRROR repositories through the gateway, in one process on either engine: fan-out, the
/// repair rows a write leaves when a member cannot take it, failover of reads, and the repairer
/// levelling a mirror once it can be reached. (Outages of real servers, process kills and
/// backfills run in scripts/mirror-e2e.)
@Suite("MIRROR through the gateway")
struct MirrorGatewayTests {
    /// An endpoint nothing listens on: a member there refuses every connection at once.
    static let unreachable = "http://127.0.0.1:1"

    static func quickRepairs(_ configuration: inout CisternConfiguration) {
        configuration.replication.maximumBackoff = .seconds(1)
        configuration.replication.maximumAttempts = 100
    }

    func status(_ headers: [(String, String)]) -> String? { headers.first { $0.0 == "x-amz-replication-status" }?.1 }

    @Test func writesReachEveryMemberAndEitherNameReachesTheData() async throws {
        try await LiveGateway.run { gateway in
            let mirror = try await gateway.addMirror()
            let master = mirror.master.bucket
            let copy = mirror.mirror.bucket
            let put = try await gateway.send("PUT", "/\(master)/notes/a.txt", body: Array("both sides".utf8), key: mirror.key)
            #expect(put.status == 200)
            #expect(try await gateway.providerObject("notes/a.txt", bucket: master) == "both sides")
            #expect(try await gateway.providerObject("notes/a.txt", bucket: copy) == "both sides")
            let head = try await gateway.send("HEAD", "/\(master)/notes/a.txt", key: mirror.key)
            #expect(head.status == 200 && status(head.headers) == "COMPLETED")
            // A conditional write is the master's to decide; refused there, it reaches no mirror.
            let refused = try await gateway.send(
                "PUT", "/\(master)/notes/a.txt", headers: [("if-none-match", "*")], body: Array("second".utf8), key: mirror.key)
            #expect(refused.status == 412)
            #expect(try await gateway.providerObject("notes/a.txt", bucket: copy) == "both sides")
            // The mirror's name reaches the same repository.
            #expect(try await gateway.send("GET", "/\(copy)/notes/a.txt", key: mirror.key).body.text == "both sides")
            // ListBuckets shows the repository once, by its master's name.
            let buckets = try await gateway.send("GET", "/", key: mirror.key).body.text
            #expect(buckets.contains("<Name>\(master)</Name>") && !buckets.contains("<Name>\(copy)</Name>"))
            #expect(try await gateway.send("DELETE", "/\(master)/notes/a.txt", key: mirror.key).status == 204)
            #expect(try await gateway.providerObject("notes/a.txt", bucket: master) == nil)
            #expect(try await gateway.providerObject("notes/a.txt", bucket: copy) == nil)
            let summary = try await SQLReplicationStore(database: gateway.runtime.database).summary(
                repositoryId: mirror.repository.id, now: Date(), limit: 10)
            #expect(summary.pending == 0 && summary.failed == 0)
        }
    }

    @Test func aMirrorThatCannotBeReachedGetsARepairRowAndIsLevelledLater() async throws {
        try await LiveGateway.run(configure: Self.quickRepairs) { gateway in
            let mirror = try await gateway.addMirror(mirrorEndpoint: Self.unreachable)
            let master = mirror.master.bucket
            #expect(try await gateway.send("PUT", "/\(master)/k", body: Array("v1".utf8), key: mirror.key).status == 200)
            let head = try await gateway.send("HEAD", "/\(master)/k", key: mirror.key)
            #expect(status(head.headers) == "PENDING")
            let store = SQLReplicationStore(database: gateway.runtime.database)
            let pending = try await store.summary(repositoryId: mirror.repository.id, now: Date(), limit: 10)
            #expect(pending.pending == 1 && pending.items.first?.key == "k" && pending.items.first?.bucketId == mirror.mirror.id)
            // Once the mirror can be reached, the repairer copies the master's object over.
            try await gateway.reconnect(mirror.mirror)
            let deadline = Date().addingTimeInterval(30)
            while try await store.state(repositoryId: mirror.repository.id, key: "k") != .completed, Date() < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(try await gateway.providerObject("k", bucket: mirror.mirror.bucket) == "v1")
            #expect(status(try await gateway.send("HEAD", "/\(master)/k", key: mirror.key).headers) == "COMPLETED")
        }
    }

    @Test func readsFailOverWhileTheMasterCannotBeReachedAndWritesFail() async throws {
        try await LiveGateway.run { gateway in
            let mirror = try await gateway.addMirror(masterEndpoint: Self.unreachable)
            let master = mirror.master.bucket
            try await withS3Provider { provider in
                _ = try await provider.send(
                    "PUT", try S3TestServer.connection(bucket: mirror.mirror.bucket), key: "held", body: Data("from the mirror".utf8))
            }
            let read = try await gateway.send("GET", "/\(master)/held", key: mirror.key)
            #expect(read.status == 200 && read.body.text == "from the mirror")
            let listed = try await gateway.send("GET", "/\(master)", query: [("list-type", "2")], key: mirror.key)
            #expect(listed.status == 200 && listed.body.text.contains("<Key>held</Key>"))
            // A key the mirror does not hold is a 404, not an outage.
            #expect(errorCode(try await gateway.send("GET", "/\(master)/missing", key: mirror.key).body) == "NoSuchKey")
            // The master's failure is the client's; the mirror that took the write is queued to be
            // levelled back to the master's state.
            let put = try await gateway.send("PUT", "/\(master)/new", body: Array("x".utf8), key: mirror.key)
            #expect(put.status == 503 && errorCode(put.body) == "ServiceUnavailable")
            let store = SQLReplicationStore(database: gateway.runtime.database)
            #expect(try await store.state(repositoryId: mirror.repository.id, key: "new") == .pending)
        }
    }
}
