import CisternAPI
import Foundation
import Testing

@Suite("Registration")
struct RegistrationTests {
    @Test func registeringAnswers201WithTheContractFields() async throws {
        try await TestApp().run { api in
            let response = try await api.request(
                .post, "/user/register",
                json: [
                    "email": "ada@example.com", "password": "Passw0rd!", "firstName": "Ada", "lastName": "Lovelace",
                    "companyName": "Analytical Engines", "isBusiness": true, "unknownField": 1,
                ]
            )
            #expect(response.status == .created)
            #expect(response.headers[.contentType] == "application/json; charset=utf-8")
            #expect(response.keys == ["success", "accessToken", "refreshToken", "tokenId", "expiresAt", "user"])
            #expect(response["success"] as? Bool == true)
            let user = try #require(response["user"] as? [String: Any])
            #expect(Set(user.keys) == ["id", "email", "name", "orgId", "orgRole"])
            #expect(user["orgRole"] as? Int == 255)
            #expect(user["email"] as? String == "ada@example.com")
            #expect(user["name"] as? String == "Ada")
            let id = try #require(user["id"] as? String)
            #expect(UUID(uuidString: id) != nil && id == id.lowercased())
            #expect((response.string("refreshToken")?.count ?? 0) >= 43)
        }
    }

    @Test func accessTokenExpiresAtIsEpochSecondsOneHourAhead() async throws {
        let app = TestApp()
        try await app.run { api in
            let response = try await api.request(
                .post, "/user/register",
                json: ["email": "ada@example.com", "password": "Passw0rd!", "firstName": "Ada", "lastName": "L", "companyName": "A"]
            )
            let expiresAt = try #require(response["expiresAt"] as? Int)
            #expect(expiresAt == Int(app.clock.now.timeIntervalSince1970) + 3600)
        }
    }

    @Test func aSecondAccountWithTheSameEmailInAnyCaseIsRefused() async throws {
        try await TestApp().run { api in
            try await api.register(email: "ada@example.com")
            let again = try await api.request(
                .post, "/user/register",
                json: ["email": "ADA@Example.com", "password": "Passw0rd!", "firstName": "A", "lastName": "L", "companyName": "Other"]
            )
            #expect(again.status == .conflict)
            #expect(again["error_code"] as? String == "EMAIL_ALREADY_USED")
            #expect(again["success"] as? Bool == false)
        }
    }

    @Test(arguments: [
        ("short1A", "password"), ("alllowercase1", "password"), ("ALLUPPERCASE1", "password"), ("NoDigitsHere", "password"),
    ])
    func weakPasswordsAreRefusedNamingTheField(password: String, field: String) async throws {
        try await TestApp().run { api in
            let response = try await api.request(
                .post, "/user/register",
                json: ["email": "a@example.com", "password": password, "firstName": "A", "lastName": "L", "companyName": "C"]
            )
            #expect(response.status == .badRequest)
            #expect(response.string("message")?.hasPrefix("\(field):") == true, "\(response.text)")
        }
    }

    @Test func badBodiesAnswer400NamingTheField() async throws {
        try await TestApp().run { api in
            let valid: [String: any Sendable] = [
                "email": "a@example.com", "password": "Passw0rd!", "firstName": "A", "lastName": "L", "companyName": "C",
            ]
            var missing = valid
            missing["companyName"] = nil
            var wrongType = valid
            wrongType["firstName"] = 42
            var badEmail = valid
            badEmail["email"] = "not-an-address"
            var blankName = valid
            blankName["lastName"] = "   "
            var wrongBool = valid
            wrongBool["isBusiness"] = "yes"
            let cases: [([String: any Sendable], String)] = [
                (missing, "companyName"), (wrongType, "firstName"), (badEmail, "email"), (blankName, "lastName"),
                (wrongBool, "isBusiness"),
            ]
            for (body, field) in cases {
                let response = try await api.request(.post, "/user/register", json: body)
                #expect(response.status == .badRequest, "\(field): \(response.text)")
                #expect(response.string("message")?.hasPrefix("\(field):") == true, "\(response.text)")
                #expect(response["success"] as? Bool == false)
            }
        }
    }

    @Test func malformedEmptyAndOversizedBodiesAnswer400() async throws {
        try await TestApp().run { api in
            let notJSON = try await api.request(.post, "/user/register", raw: "{\"email\": ")
            #expect(notJSON.status == .badRequest)
            #expect(notJSON.string("message") == "body: is not valid JSON")

            let empty = try await api.request(.post, "/user/register")
            #expect(empty.status == .badRequest)
            #expect(empty.string("message")?.hasPrefix("body:") == true)

            let array = try await api.request(.post, "/user/register", raw: "[1,2,3]")
            #expect(array.status == .badRequest)

            let huge = "{\"email\":\"" + String(repeating: "a", count: 1 << 20) + "\"}"
            let oversized = try await api.request(.post, "/user/register", raw: huge)
            #expect(oversized.status == .badRequest)
            #expect(oversized.string("message") == "body: must be at most 1 MiB")
        }
    }

    @Test func closedRegistrationAnswers403() async throws {
        try await TestApp { $0.registrationOpen = false }.run { api in
            let response = try await api.request(
                .post, "/user/register",
                json: ["email": "a@example.com", "password": "Passw0rd!", "firstName": "A", "lastName": "L", "companyName": "C"]
            )
            #expect(response.status == .forbidden)
            #expect(response["error_code"] as? String == "REGISTRATION_CLOSED")
        }
    }

    @Test func theNewOwnerHasAFullProfile() async throws {
        try await TestApp().run { api in
            let account = try await api.register(email: "grace@example.com")
            let profile = try await api.request(.get, "/user/profile", token: account.accessToken)
            #expect(profile.status == .ok)
            let data = try #require(profile["data"] as? [String: Any])
            #expect(Set(data.keys) == ["id", "name", "lastName", "email", "orgId", "orgRole", "orgRoleDescription", "orgRoles", "validated"])
            #expect(data["id"] as? String == account.userId)
            #expect(data["orgId"] as? String == account.orgId)
            #expect(data["orgRoleDescription"] as? String == "OWNER")
            #expect(data["orgRoles"] as? [Int] == [0, 1, 2, 254, 255])
            #expect(data["validated"] as? Bool == true)
            #expect(data["lastName"] as? String == "Lovelace")
        }
    }
}
