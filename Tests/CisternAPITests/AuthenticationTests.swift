import CisternAPI
import Crypto
import Foundation
import JWTKit
import SQLKit
import Testing

/// The bearer-token rules every protected endpoint shares (docs/contract.md, Conventions).
@Suite("Authentication")
struct AuthenticationTests {
    @Test(arguments: ["", "Bearer", "Bearer ", "Basic YWRhOnBhc3M=", "Token abc", "Bearer not.a.jwt", "Bearer a.b.c"])
    func malformedAuthorizationAnswers401(header: String) async throws {
        try await TestApp().run { api in
            let response = try await api.request(.get, "/user/profile", headers: header.isEmpty ? [:] : [.authorization: header])
            #expect(response.status == .unauthorized)
            #expect(response["error_code"] as? String == "NO_AUTH_USER")
            #expect(response["success"] as? Bool == false)
        }
    }

    @Test func theSchemeIsCaseInsensitiveAndBlanksAroundThePartsAreIgnored() async throws {
        try await TestApp().run { api in
            let token = try await api.register().accessToken
            for header in ["Bearer \(token)", "bearer \(token)", "BEARER \(token)", "  Bearer \t \(token)  ", "Bearer \(token)\t"] {
                let response = try await api.request(.get, "/user/profile", headers: [.authorization: header])
                #expect(response.status == .ok, "\(header.prefix(12))")
            }
            for header in ["Bearer\(token)", "Bearerx \(token)", "Beare \(token)", "Bearer \(token) extra", "Bearer \(token.dropLast())"] {
                let response = try await api.request(.get, "/user/profile", headers: [.authorization: header])
                #expect(response.status == .unauthorized, "\(header.prefix(12))")
            }
        }
    }

    @Test func aTokenSignedWithAnotherKeyAnswers401() async throws {
        try await TestApp().run { api in
            let account = try await api.register()
            let forged = try await Self.sign(claimsOf: account.accessToken, with: HMACKey(key: SymmetricKey(size: .bits256)))
            let response = try await api.request(.get, "/user/profile", token: forged)
            #expect(response.status == .unauthorized)
        }
    }

    @Test func anUnsignedTokenAnswers401() async throws {
        try await TestApp().run { api in
            let account = try await api.register()
            let parts = account.accessToken.split(separator: ".")
            let header = Data(#"{"alg":"none","typ":"JWT"}"#.utf8).base64EncodedString()
                .replacingOccurrences(of: "=", with: "").replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            for token in ["\(header).\(parts[1]).", "\(header).\(parts[1])"] {
                let response = try await api.request(.get, "/user/profile", token: token)
                #expect(response.status == .unauthorized)
            }
        }
    }

    @Test func anAccessTokenStopsWorkingAfterOneHour() async throws {
        let app = TestApp()
        try await app.run { api in
            let account = try await api.register()
            app.clock.advance(by: 3599)
            #expect(try await api.request(.get, "/user/profile", token: account.accessToken).status == .ok)
            app.clock.advance(by: 1)
            let expired = try await api.request(.get, "/user/profile", token: account.accessToken)
            #expect(expired.status == .unauthorized)
            #expect(expired["error_code"] as? String == "NO_AUTH_USER")
        }
    }

    @Test func theAccessTokenLifetimeIsConfigurable() async throws {
        let app = TestApp { $0.accessTokenLifetime = 60 }
        try await app.run { api in
            let account = try await api.register()
            #expect(try await api.request(.get, "/user/profile", token: account.accessToken).status == .ok)
            app.clock.advance(by: 59)
            #expect(try await api.request(.get, "/user/profile", token: account.accessToken).status == .ok)
            app.clock.advance(by: 2)
            #expect(try await api.request(.get, "/user/profile", token: account.accessToken).status == .unauthorized)
        }
    }

    @Test func aValidTokenOfADeletedUserAnswers404UserNotFound() async throws {
        let app = TestApp()
        try await app.run { api in
            let account = try await api.register()
            try await app.withDatabase { database in
                try await database.withConnection { sql in
                    try await sql.raw("UPDATE users SET deleted_at = 1 WHERE id = \(bind: account.userId)").run()
                    try await sql.raw("UPDATE sessions SET revoked_at = 1 WHERE user_id = \(bind: account.userId)").run()
                }
            }
            let response = try await api.request(.get, "/user/profile", token: account.accessToken)
            #expect(response.status == .notFound)
            #expect(response.text == #"{"message":"User not found","success":false}"#)
        }
    }

    @Test func aValidTokenOfADeactivatedUserAnswers404UserNotFound() async throws {
        let app = TestApp()
        try await app.run { api in
            let account = try await api.register()
            try await app.withDatabase { database in
                try await database.withConnection { sql in
                    try await sql.raw("UPDATE users SET active = FALSE WHERE id = \(bind: account.userId)").run()
                }
            }
            #expect(try await api.request(.get, "/token", token: account.accessToken).status == .notFound)
        }
    }

    @Test func aTokenFromAnotherServerWithTheSameClaimsShapeAnswers401() async throws {
        // Two servers with separate data directories generate separate signing keys.
        let first = TestApp()
        let token = try await first.run { api in try await api.register().accessToken }
        try await TestApp().run { api in
            let response = try await api.request(.get, "/user/profile", token: token)
            #expect(response.status == .unauthorized)
        }
    }

    /// Re-signs the claims of `token` with `key`.
    static func sign(claimsOf token: String, with key: HMACKey) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(hmac: key, digestAlgorithm: .sha256)
        var payload = String(token.split(separator: ".")[1])
        payload = payload.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while payload.count % 4 != 0 { payload += "=" }
        let claims = try JSONDecoder().decode(Claims.self, from: Data(base64Encoded: payload)!)
        return try await keys.sign(claims)
    }

    struct Claims: JWTPayload {
        var sub: String
        var userId: String
        var email: String
        var orgId: String
        var sid: String
        var type: String
        var iat: Int
        var exp: Int
        func verify(using algorithm: some JWTAlgorithm) throws {}
    }
}
