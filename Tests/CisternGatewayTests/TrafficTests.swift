import CisternBootstrap
import CisternCore
import CisternStore
import Foundation
import Testing

/// The gateway's traffic counters reach the database without any request waiting on them.
@Suite("Gateway traffic accounting")
struct TrafficTests {
    @Test func countersAreWrittenAtShutdownEvenBeforeTheirInterval() async throws {
        let repository = TotalsBox()
        let afterShutdown: (Runtime) async throws -> Void = { runtime in
            let id = try #require(repository.id)
            repository.totals = try await SQLTrafficStore(database: runtime.database).repositoryTotals(
                .organization(try #require(repository.orgId)), repositoryIds: [id])
        }
        let hourly: (inout CisternConfiguration) -> Void = { $0.statsInterval = 3600 }
        try await LiveGateway.run(configure: hourly, afterShutdown: afterShutdown) { gateway in
            repository.id = gateway.repository.id
            repository.orgId = gateway.repository.orgId
            #expect(try await gateway.send("PUT", "/\(gateway.bucket)/counted", body: Array(repeating: 1, count: 500)).status == 200)
            #expect(try await gateway.send("GET", "/\(gateway.bucket)/counted").body.count == 500)
            #expect(try await gateway.send("GET", "/\(gateway.bucket)/absent").status == 404)
            // Nothing is written before the hour is up...
            let early = try await SQLTrafficStore(database: gateway.runtime.database).repositoryTotals(
                .organization(gateway.repository.orgId), repositoryIds: [gateway.repository.id])
            #expect(early.first?.counts.requests == 0)
        }
        // ...and everything is once the gateway stops.
        let counts = try #require(repository.totals.first?.counts)
        #expect(counts.requests == 3 && counts.uploadBytes == 500 && counts.sizeChange == 500)
        #expect(counts.downloadBytes >= 500)
    }
}

final class TotalsBox: @unchecked Sendable {
    private let lock = NSLock()
    private var storedId: UUID?
    private var storedOrg: UUID?
    private var storedTotals: [TrafficTotal] = []
    var id: UUID? {
        get { self.lock.withLock { self.storedId } }
        set { self.lock.withLock { self.storedId = newValue } }
    }
    var orgId: UUID? {
        get { self.lock.withLock { self.storedOrg } }
        set { self.lock.withLock { self.storedOrg = newValue } }
    }
    var totals: [TrafficTotal] {
        get { self.lock.withLock { self.storedTotals } }
        set { self.lock.withLock { self.storedTotals = newValue } }
    }
}
