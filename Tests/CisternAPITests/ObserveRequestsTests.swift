import CisternBootstrap
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CisternAPI

/// The request metrics see what the client gets, including a request whose handler threw past
/// every other middleware.
@Suite("Request metrics")
struct ObserveRequestsTests {
    struct Failure: Error {}

    @Test func aRequestThatThrowsIsCountedAndTimedAsA500UnderItsRouteTemplate() async throws {
        let telemetry = Telemetry(version: "test")
        let router = Router()
        router.addMiddleware { ObserveRequestsMiddleware(telemetry: telemetry) }
        router.get("/boom/{id}") { _, _ -> String in throw Failure() }
        router.get("/fine/{id}") { _, _ in "ok" }
        try await Application(router: router).test(.router) { client in
            _ = try await client.execute(uri: "/boom/123", method: .get)
            _ = try await client.execute(uri: "/fine/456", method: .get)
            _ = try await client.execute(uri: "/fine/789", method: .get)
        }
        let text = telemetry.exposition()
        #expect(text.contains(#"http_server_requests_total{listener="api",route="/boom/{id}",method="GET",status="500"} 1"#))
        #expect(text.contains(#"http_server_request_duration_seconds_count{listener="api",route="/boom/{id}",method="GET",status="500"} 1"#))
        #expect(text.contains(#"http_server_requests_total{listener="api",route="/fine/{id}",method="GET",status="200"} 2"#))
        // Route templates, never the ids in the path (as a path; a timing may hold those digits).
        #expect(!text.contains("/boom/123") && !text.contains("/fine/456") && !text.contains("/fine/789"))
        #expect(text.contains("# HELP http_server_requests_total "))
    }
}
