import CisternAPI
import Foundation
import Testing

/// Refresh rotation, reuse detection, logout and the session list (docs/contract.md §1).
@Suite("Sessions")
struct SessionTests {
    @Test func refreshRotatesBothTokens() async throws {
        try await TestApp().run { api in
            let account = try await api.register()
            let refreshed = try await api.request(.post, "/user/refresh", json: ["refreshToken": account.refreshToken])
            #expect(refreshed.status == .ok)
            #expect(refreshed.keys == ["success", "accessToken", "refreshToken", "expiresAt"])
            let newRefresh = try #require(refreshed.string("refreshToken"))
            let newAccess = try #require(refreshed.string("accessToken"))
            #expect(newRefresh != account.refreshToken)
            #expect(try await api.request(.get, "/user/profile", token: newAccess).status == .ok)
            // The same session goes on: one live token, same id.
            let tokens = try await api.request(.get, "/token", token: newAccess)
            let list = try #require(tokens["tokens"] as? [[String: Any]])
            #expect(list.map { $0["id"] as? String } == [account.tokenId])
        }
    }

    @Test func theSnakeCaseSpellingIsAccepted() async throws {
        try await TestApp().run { api in
            let account = try await api.register()
            let refreshed = try await api.request(.post, "/user/refresh", json: ["refresh_token": account.refreshToken])
            #expect(refreshed.status == .ok)
        }
    }

    @Test func presentingASpentRefreshTokenEndsTheWholeSession() async throws {
        try await TestApp().run { api in
            let account = try await api.register()
            let first = try await api.request(.post, "/user/refresh", json: ["refreshToken": account.refreshToken])
            let stolenReplay = try await api.request(.post, "/user/refresh", json: ["refreshToken": account.refreshToken])
            #expect(stolenReplay.status == .unauthorized)
            #expect(stolenReplay["error_code"] as? String == "REFRESH_TOKEN_REUSED")
            // Everything the session issued is dead now, including the legitimate newer tokens.
            let newer = try #require(first.string("refreshToken"))
            let newerAccess = try #require(first.string("accessToken"))
            #expect(try await api.request(.post, "/user/refresh", json: ["refreshToken": newer]).status == .unauthorized)
            #expect(try await api.request(.get, "/user/profile", token: newerAccess).status == .unauthorized)
            #expect(try await api.request(.get, "/user/profile", token: account.accessToken).status == .unauthorized)
        }
    }

    @Test func unknownAndMissingRefreshTokensAreRefused() async throws {
        try await TestApp().run { api in
            let unknown = try await api.request(.post, "/user/refresh", json: ["refreshToken": "not-a-token-we-issued"])
            #expect(unknown.status == .unauthorized)
            #expect(unknown["error_code"] as? String == "INVALID_REFRESH_TOKEN")
            let missing = try await api.request(.post, "/user/refresh", json: [:])
            #expect(missing.status == .badRequest)
            #expect(missing.string("message") == "refreshToken: is required")
        }
    }

    @Test func aRefreshTokenExpiresAfterThirtyDaysAndEachRefreshExtendsIt() async throws {
        let app = TestApp()
        try await app.run { api in
            let account = try await api.register()
            app.clock.advance(by: 29 * 86_400)
            let refreshed = try await api.request(.post, "/user/refresh", json: ["refreshToken": account.refreshToken])
            #expect(refreshed.status == .ok)
            let next = try #require(refreshed.string("refreshToken"))
            app.clock.advance(by: 29 * 86_400)
            let again = try await api.request(.post, "/user/refresh", json: ["refreshToken": next])
            #expect(again.status == .ok)
            let last = try #require(again.string("refreshToken"))
            app.clock.advance(by: 30 * 86_400 + 1)
            let expired = try await api.request(.post, "/user/refresh", json: ["refreshToken": last])
            #expect(expired.status == .unauthorized)
            #expect(expired["error_code"] as? String == "INVALID_REFRESH_TOKEN")
        }
    }

    @Test func logoutEndsTheSessionAtOnce() async throws {
        try await TestApp().run { api in
            let account = try await api.register()
            let logout = try await api.request(.post, "/user/logout", json: ["refreshToken": account.refreshToken], token: account.accessToken)
            #expect(logout.status == .ok)
            #expect(logout.text == #"{"success":true}"#)
            let after = try await api.request(.get, "/user/profile", token: account.accessToken)
            #expect(after.status == .unauthorized)
            #expect(after["error_code"] as? String == "NO_AUTH_USER")
            #expect(try await api.request(.post, "/user/refresh", json: ["refreshToken": account.refreshToken]).status == .unauthorized)
        }
    }

    @Test func logoutWithoutABodyEndsTheCallersCurrentSessionOnly() async throws {
        try await TestApp().run { api in
            let account = try await api.register(email: "ada@example.com")
            let other = try Account(try await api.login(email: "ada@example.com"), email: account.email, password: account.password)
            #expect(try await api.request(.post, "/user/logout", token: account.accessToken).status == .ok)
            #expect(try await api.request(.get, "/user/profile", token: account.accessToken).status == .unauthorized)
            #expect(try await api.request(.get, "/user/profile", token: other.accessToken).status == .ok)
        }
    }

    @Test func logoutWithSomeoneElsesRefreshTokenIsRefusedAndEndsNothing() async throws {
        try await TestApp().run { api in
            let mallory = try await api.register()
            let victim = try await api.register()
            let response = try await api.request(.post, "/user/logout", json: ["refreshToken": victim.refreshToken], token: mallory.accessToken)
            #expect(response.status == .unauthorized)
            #expect(try await api.request(.get, "/user/profile", token: victim.accessToken).status == .ok)
        }
    }

    @Test func tokenListShowsLiveSessionsWithTheirFields() async throws {
        try await TestApp().run { api in
            let account = try await api.register(email: "ada@example.com")
            _ = try await api.request(
                .post, "/user/login",
                json: [
                    "email": "ada@example.com", "password": "Passw0rd!",
                    "deviceInfo": ["userAgent": "cistern-cli/1.0"],
                ])
            let response = try await api.request(.get, "/token", token: account.accessToken)
            #expect(response.status == .ok)
            let tokens = try #require(response["tokens"] as? [[String: Any]])
            #expect(tokens.count == 2)
            for token in tokens {
                #expect(Set(token.keys) == ["id", "createdAt", "expiresAt", "lastUsedAt", "userAgent"])
                let createdAt = try #require(token["createdAt"] as? String)
                #expect(createdAt.hasSuffix("Z"))
            }
            #expect(tokens.contains { $0["userAgent"] as? String == "cistern-cli/1.0" })
        }
    }

    @Test func deletingATokenRevokesThatSessionOnly() async throws {
        try await TestApp().run { api in
            let account = try await api.register(email: "ada@example.com")
            let second = try Account(try await api.login(email: "ada@example.com"), email: account.email, password: account.password)
            let deleted = try await api.request(.delete, "/token/\(second.tokenId)", token: account.accessToken)
            #expect(deleted.status == .ok)
            #expect(try await api.request(.get, "/user/profile", token: second.accessToken).status == .unauthorized)
            #expect(try await api.request(.get, "/user/profile", token: account.accessToken).status == .ok)
            let again = try await api.request(.delete, "/token/\(second.tokenId)", token: account.accessToken)
            #expect(again.status == .notFound)
        }
    }

    @Test func anotherUsersTokenIdAnswers404AndABadIdAnswers400() async throws {
        try await TestApp().run { api in
            let account = try await api.register()
            let stranger = try await api.register()
            let foreign = try await api.request(.delete, "/token/\(stranger.tokenId)", token: account.accessToken)
            #expect(foreign.status == .notFound)
            #expect(try await api.request(.get, "/user/profile", token: stranger.accessToken).status == .ok)
            let bad = try await api.request(.delete, "/token/not-a-uuid", token: account.accessToken)
            #expect(bad.status == .badRequest)
            #expect(bad.string("message") == "tokenId: must be a UUID")
        }
    }
}
