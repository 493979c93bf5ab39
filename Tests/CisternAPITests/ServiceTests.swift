import AsyncHTTPClient
import CisternAPI
import Foundation
import HummingbirdTesting
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
        }
    }

    @Test func healthReportsTheDatabase() async throws {
        try await TestApp().run { api in
            let response = try await api.request(.get, "/health")
            #expect(response.status == .ok)
            #expect(response.text == #"{"database":"ok","status":"ok"}"#)
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
