import CisternAPI
import Foundation
import Testing

@Suite("Login")
struct LoginTests {
    @Test func loginOpensANewSessionWithTheSameBodyAsRegister() async throws {
        try await TestApp().run { api in
            let account = try await api.register(email: "ada@example.com")
            let login = try await api.login(email: "Ada@Example.com")
            #expect(login.status == .ok)
            #expect(login.keys == ["success", "accessToken", "refreshToken", "tokenId", "expiresAt", "user"])
            #expect(login.string("tokenId") != account.tokenId)
            let user = try #require(login["user"] as? [String: Any])
            #expect(user["id"] as? String == account.userId)
            let tokens = try await api.request(.get, "/token", token: account.accessToken)
            #expect((tokens["tokens"] as? [Any])?.count == 2)
        }
    }

    @Test func unknownEmailAndWrongPasswordShareOneMessage() async throws {
        try await TestApp().run { api in
            try await api.register(email: "ada@example.com")
            let unknown = try await api.login(email: "nobody@example.com")
            let wrong = try await api.login(email: "ada@example.com", password: "Wr0ngPassword")
            #expect(unknown.status == .unauthorized)
            #expect(wrong.status == .unauthorized)
            #expect(unknown["error_code"] as? String == "USER_NOT_FOUND")
            #expect(wrong["error_code"] as? String == "INVALID_PASSWORD")
            #expect(unknown.string("message") == wrong.string("message"))
        }
    }

    @Test func aDeactivatedUserCannotLogIn() async throws {
        let app = TestApp()
        try await app.run { api in
            let account = try await api.register(email: "ada@example.com")
            try await app.withDatabase { database in
                try await database.withConnection { sql in
                    try await sql.raw("UPDATE users SET active = FALSE WHERE id = \(bind: account.userId)").run()
                }
            }
            let login = try await api.login(email: "ada@example.com")
            #expect(login.status == .unauthorized)
            #expect(login["error_code"] as? String == "USER_INACTIVE")
        }
    }

    @Test func loginBodyErrorsNameTheField() async throws {
        try await TestApp().run { api in
            let missing = try await api.request(.post, "/user/login", json: ["email": "a@example.com"])
            #expect(missing.status == .badRequest)
            #expect(missing.string("message") == "password: is required")
            let wrongType = try await api.request(.post, "/user/login", json: ["email": "a@example.com", "password": 12_345_678])
            #expect(wrongType.string("message") == "password: must be a string")
        }
    }
}
