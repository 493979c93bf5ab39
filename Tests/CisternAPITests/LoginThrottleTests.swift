import CisternAPI
import Foundation
import Testing

/// Brute-force protection for `POST /user/login`.
@Suite("Login throttling")
struct LoginThrottleTests {
    @Test func repeatedFailuresForOneAccountAreRefusedUntilTheWindowEnds() async throws {
        let app = TestApp { $0.loginFailuresPerAccount = 3; $0.loginWindow = 600 }
        try await app.run { api in
            try await api.register(email: "ada@example.com")
            for _ in 0..<3 {
                #expect(try await api.login(email: "ada@example.com", password: "Wr0ngPassword").status == .unauthorized)
            }
            // Now even the right password is refused, with the time to wait.
            let blocked = try await api.login(email: "ADA@example.com")
            #expect(blocked.status == .tooManyRequests)
            #expect(blocked["error_code"] as? String == "TOO_MANY_ATTEMPTS")
            #expect(blocked.headers[.retryAfter] == "600")
            app.clock.advance(by: 240)
            #expect(try await api.login(email: "ada@example.com").headers[.retryAfter] == "360")
            app.clock.advance(by: 361)
            #expect(try await api.login(email: "ada@example.com").status == .ok)
        }
    }

    @Test func aSuccessClearsTheAccountsCount() async throws {
        try await TestApp { $0.loginFailuresPerAccount = 3 }.run { api in
            try await api.register(email: "ada@example.com")
            for _ in 0..<2 { _ = try await api.login(email: "ada@example.com", password: "Wr0ngPassword") }
            #expect(try await api.login(email: "ada@example.com").status == .ok)
            for _ in 0..<2 { _ = try await api.login(email: "ada@example.com", password: "Wr0ngPassword") }
            #expect(try await api.login(email: "ada@example.com").status == .ok)
        }
    }

    @Test func oneClientGuessingAcrossManyAccountsIsRefused() async throws {
        try await TestApp { $0.loginFailuresPerAddress = 4 }.run { api in
            try await api.register(email: "ada@example.com")
            for index in 0..<4 {
                #expect(try await api.login(email: "nobody\(index)@example.com").status == .unauthorized)
            }
            let blocked = try await api.login(email: "ada@example.com")
            #expect(blocked.status == .tooManyRequests)
            #expect(blocked.headers[.retryAfter] != nil)
        }
    }

    @Test func limitsAreConfigurable() throws {
        let configuration = try CisternConfiguration.resolve(
            flags: [:], environment: ["CISTERN_LOGIN_FAILURES_PER_ACCOUNT": "7", "CISTERN_LOGIN_FAILURES_PER_ADDRESS": "70", "CISTERN_LOGIN_WINDOW": "60"]
        )
        #expect(configuration.loginFailuresPerAccount == 7)
        #expect(configuration.loginFailuresPerAddress == 70)
        #expect(configuration.loginWindow == 60)
        #expect(throws: ConfigurationError.self) { try CisternConfiguration.resolve(flags: [:], environment: ["CISTERN_LOGIN_WINDOW": "0"]) }
    }
}
