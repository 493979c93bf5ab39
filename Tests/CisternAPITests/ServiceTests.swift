import AsyncHTTPClient
import CisternAPI
import Foundation
import HummingbirdTesting
import SQLKit
import Testing

@Suite("Service endpoints and the wire")
struct ServiceTests {
    @Test func rootNamesTheService() async throws {
        try await TestApp().run { api in
            let response = try await api.request(.get, "/")
            #expect(response.status == .ok)
            #expect(response["name"] as? String == "cistern")
            #expect(response["success"] as? Bool == true)
            #expect(response.string("version")?.isEmpty == false)
            // What the console needs to know before anyone signs in.
            #expect(response.string("registration") == "open")
            #expect(response["gatewayPort"] as? Int == 9000)
        }
        try await TestApp {
            $0.registrationOpen = false
            $0.gatewayEnabled = false
        }.run { api in
            let response = try await api.request(.get, "/")
            #expect(response.string("registration") == "closed")
            #expect(response["gatewayPort"] is NSNull)
        }
    }

    @Test func healthReportsTheDatabase() async throws {
        try await TestApp().run { api in
            let response = try await api.request(.get, "/health")
            #expect(response.status == .ok)
            #expect(response.text == #"{"database":"ok","status":"ok"}"#)
        }
    }

    @Test func livenessNeedsNothingAndReadinessTurns503WhileDraining() async throws {
        let app = TestApp()
        try await app.run { api in
            let live = try await api.request(.get, "/health/live")
            #expect(live.status == .ok && live.text == #"{"status":"ok"}"#)
            let ready = try await api.request(.get, "/health/ready")
            #expect(ready.status == .ok && ready.text == #"{"database":"ok","schema":"ok","status":"ok"}"#)
            // As on SIGTERM: still alive, no longer ready.
            try #require(app.draining.value).begin()
            let draining = try await api.request(.get, "/health/ready")
            #expect(draining.status == .serviceUnavailable && draining.string("status") == "draining")
            #expect(try await api.request(.get, "/health/live").status == .ok)
        }
    }

    @Test func readinessWantsTheSchemaThisBuildKnows() async throws {
        let app = TestApp()
        try await app.run { api in
            // A newer Cistern migrated the database: this process must not take traffic.
            try await app.withDatabase { database in
                try await database.withConnection { sql in
                    try await sql.raw("INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', 0)").run()
                }
            }
            let ready = try await api.request(.get, "/health/ready")
            #expect(ready.status == .serviceUnavailable)
            #expect(ready.string("status") == "unavailable" && ready.string("schema")?.hasPrefix("version 9999") == true)
        }
    }

    @Test func unknownRoutesAnswer404InTheDefaultShape() async throws {
        try await TestApp().run { api in
            let response = try await api.request(.get, "/no/such/route")
            #expect(response.status == .notFound)
            #expect(response["success"] as? Bool == false)
            #expect(response.string("message") == "Not found")
        }
    }

    @Test func theRealServerAnswersOnASocket() async throws {
        try await TestApp().run(.live) { api in
            let account = try await api.register(email: "wire@example.com")
            let profile = try await api.request(.get, "/user/profile", token: account.accessToken)
            #expect(profile.status == .ok)
            #expect(profile.headers[.contentType] == "application/json; charset=utf-8")
            let health = try await api.request(.get, "/health")
            #expect(health.status == .ok)
        }
    }
}
