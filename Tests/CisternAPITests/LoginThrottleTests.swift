import CisternBootstrap
import Foundation
import HTTPTypes
import Testing

@testable import CisternAPI

/// Brute-force protection for `POST /user/login`.
@Suite("Login throttling")
struct LoginThrottleTests {
    @Test func pastTheFreeFailuresEachFailureDoublesTheWaitAndTheRightPasswordWorksOnceItPasses() async throws {
        let app = TestApp {
            $0.loginFailuresPerAccount = 3
            $0.loginWindow = 600
        }
        try await app.run { api in
            try await api.register(email: "ada@example.com")
            for _ in 0..<3 {
                #expect(try await api.login(email: "ada@example.com", password: "Wr0ngPassword").status == .unauthorized)
            }
            // Even the right password waits out the delay, which is told.
            let blocked = try await api.login(email: "ADA@example.com")
            #expect(blocked.status == .tooManyRequests)
            #expect(blocked["error_code"] as? String == "TOO_MANY_ATTEMPTS")
            #expect(blocked.headers[.retryAfter] == "1")
            app.clock.advance(by: 1)
            #expect(try await api.login(email: "ada@example.com", password: "Wr0ngPassword").status == .unauthorized)
            #expect(try await api.login(email: "ada@example.com").headers[.retryAfter] == "2")
            app.clock.advance(by: 2)
            #expect(try await api.login(email: "ada@example.com", password: "Wr0ngPassword").status == .unauthorized)
            #expect(try await api.login(email: "ada@example.com").headers[.retryAfter] == "4")
            // Seconds, not the quarter of an hour a lock-out would cost the account's owner.
            app.clock.advance(by: 4)
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

    @Test func oneClientGuessingAcrossManyAccountsIsSlowedDown() async throws {
        let app = TestApp { $0.loginFailuresPerAddress = 4 }
        try await app.run { api in
            try await api.register(email: "ada@example.com")
            for index in 0..<4 {
                #expect(try await api.login(email: "nobody\(index)@example.com").status == .unauthorized)
            }
            let blocked = try await api.login(email: "ada@example.com")
            #expect(blocked.status == .tooManyRequests)
            #expect(blocked.headers[.retryAfter] == "1")
            app.clock.advance(by: 1)
            #expect(try await api.login(email: "ada@example.com").status == .ok)
        }
    }

    /// Behind a trusted reverse proxy, each client is counted under its own address; from any
    /// other peer `X-Forwarded-For` is ignored, so a guesser cannot pick fresh addresses.
    @Test func behindATrustedProxyOneClientsFailuresDoNotSlowAnother() async throws {
        let app = TestApp {
            $0.loginFailuresPerAddress = 3
            $0.loginFailuresPerAccount = 100
            $0.trustedProxies = ["127.0.0.1"]
        }
        try await app.run(.live) { api in
            try await api.register(email: "ada@example.com")
            let guesser: HTTPFields = [.xForwardedFor: "198.51.100.9, 203.0.113.7"]
            for index in 0..<3 {
                let response = try await api.request(
                    .post, "/user/login", json: ["email": "nobody\(index)@example.com", "password": "Passw0rd!"], headers: guesser
                )
                #expect(response.status == .unauthorized)
            }
            let slowed = try await api.request(.post, "/user/login", json: ["email": "ada@example.com", "password": "Passw0rd!"], headers: guesser)
            #expect(slowed.status == .tooManyRequests)
            let colleague: HTTPFields = [.xForwardedFor: "203.0.113.8"]
            let other = try await api.request(.post, "/user/login", json: ["email": "ada@example.com", "password": "Passw0rd!"], headers: colleague)
            #expect(other.status == .ok, "\(other.text)")
        }
        let untrusting = TestApp {
            $0.loginFailuresPerAddress = 3
            $0.loginFailuresPerAccount = 100
        }
        try await untrusting.run(.live) { api in
            try await api.register(email: "ada@example.com")
            for index in 0..<3 {
                let forged: HTTPFields = [.xForwardedFor: "203.0.113.\(index)"]
                _ = try await api.request(.post, "/user/login", json: ["email": "nobody\(index)@example.com", "password": "x"], headers: forged)
            }
            let fresh: HTTPFields = [.xForwardedFor: "203.0.113.99"]
            let response = try await api.request(.post, "/user/login", json: ["email": "ada@example.com", "password": "Passw0rd!"], headers: fresh)
            #expect(response.status == .tooManyRequests)
        }
    }

    @Test func theClientIsTheRightMostUntrustedForwardedAddress() {
        let proxies: Set<String> = ["10.0.0.1", "10.0.0.2"]
        #expect(ClientAddress.resolve(peer: "10.0.0.1", forwardedFor: ["1.2.3.4, 5.6.7.8, 10.0.0.2"], trusted: proxies) == "5.6.7.8")
        #expect(ClientAddress.resolve(peer: "10.0.0.1", forwardedFor: ["1.2.3.4", "5.6.7.8"], trusted: proxies) == "5.6.7.8")
        #expect(ClientAddress.resolve(peer: "10.0.0.1", forwardedFor: [], trusted: proxies) == "10.0.0.1")
        #expect(ClientAddress.resolve(peer: "192.0.2.1", forwardedFor: ["5.6.7.8"], trusted: proxies) == "192.0.2.1")
    }

    @Test func limitsAreConfigurable() throws {
        let configuration = try CisternConfiguration.resolve(
            flags: [:],
            environment: ["CISTERN_LOGIN_FAILURES_PER_ACCOUNT": "7", "CISTERN_LOGIN_FAILURES_PER_ADDRESS": "70", "CISTERN_LOGIN_WINDOW": "60"]
        )
        #expect(configuration.loginFailuresPerAccount == 7)
        #expect(configuration.loginFailuresPerAddress == 70)
        #expect(configuration.loginWindow == 60)
        #expect(throws: ConfigurationError.self) { try CisternConfiguration.resolve(flags: [:], environment: ["CISTERN_LOGIN_WINDOW": "0"]) }
    }
}
