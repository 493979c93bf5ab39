import CisternAPI
import Foundation
import Testing

/// The rules of docs/contract.md §2 beyond who may call what.
@Suite("Organization users and roles")
struct OrganizationTests {
    @Test func theUserListHasTheContractShape() async throws {
        try await TestApp().run { api in
            let owner = try await api.register()
            _ = try await api.createUser(as: owner.accessToken, role: 1)
            let list = try await api.request(.get, "/organization/users", token: owner.accessToken)
            #expect(list.keys == ["success", "data", "total"])
            #expect(list["total"] as? Int == 2)
            let users = try #require(list["data"] as? [[String: Any]])
            #expect(users.count == 2)
            for user in users {
                #expect(
                    Set(user.keys) == [
                        "id", "email", "name", "lastName", "orgId", "orgRole", "orgRoleDescription", "orgRoles",
                        "validated", "deletedAt",
                    ])
                #expect(user["orgId"] as? String == owner.orgId)
            }
            let billing = try #require(users.first { $0["orgRole"] as? Int == 1 })
            #expect(billing["orgRoles"] as? [Int] == [0, 1])
            #expect(billing["orgRoleDescription"] as? String == "BILLING")
        }
    }

    @Test func nobodyGrantsARoleAboveTheirOwn() async throws {
        try await TestApp().run { api in
            let owner = try await api.register()
            let manager = try await api.createUser(as: owner.accessToken, role: 2)
            let target = try await api.createUser(as: owner.accessToken, role: 0)
            let create = try await api.request(
                .post, "/organization/users",
                json: ["email": "x@a.example", "password": "Passw0rd!", "firstName": "X", "lastName": "Y", "orgRole": 254],
                token: manager.token
            )
            #expect(create.status == .forbidden)
            let raise = try await api.request(.put, "/user/\(target.id)/role", json: ["orgRole": 254], token: manager.token)
            #expect(raise.status == .forbidden)
            let raiseSelf = try await api.request(.put, "/user/\(manager.id)/role", json: ["orgRole": 255], token: manager.token)
            #expect(raiseSelf.status == .forbidden)
            let viaUpdate = try await api.request(.put, "/organization/users/\(target.id)", json: ["orgRole": 255], token: manager.token)
            #expect(viaUpdate.status == .forbidden)
            // Up to their own level is fine.
            let equal = try await api.request(.put, "/user/\(target.id)/role", json: ["orgRole": 2], token: manager.token)
            #expect(equal.status == .ok)
            #expect(equal.text == #"{"data":{"newRole":2,"previousRole":0,"userId":"\#(target.id)"},"success":true}"#)
        }
    }

    @Test func nobodyChangesOrDeletesASuperior() async throws {
        try await TestApp().run { api in
            let owner = try await api.register()
            let manager = try await api.createUser(as: owner.accessToken, role: 2)
            let demote = try await api.request(.put, "/user/\(owner.userId)/role", json: ["orgRole": 0], token: manager.token)
            #expect(demote.status == .forbidden)
            let delete = try await api.request(.delete, "/organization/users/\(owner.userId)", token: manager.token)
            #expect(delete.status == .forbidden)
            let rename = try await api.request(.put, "/organization/users/\(owner.userId)", json: ["lastName": "Nobody"], token: manager.token)
            #expect(rename.status == .forbidden)
        }
    }

    @Test func theLastOwnerCanNeitherBeDemotedNorDeleted() async throws {
        try await TestApp().run { api in
            let owner = try await api.register()
            let demote = try await api.request(.put, "/user/\(owner.userId)/role", json: ["orgRole": 254], token: owner.accessToken)
            #expect(demote.status == .badRequest)
            #expect(demote.string("message")?.contains("last OWNER") == true)
            let delete = try await api.request(.delete, "/organization/users/\(owner.userId)", token: owner.accessToken)
            #expect(delete.status == .badRequest)
            // With a second owner, the first may step down.
            let second = try await api.createUser(as: owner.accessToken, role: 255)
            let stepDown = try await api.request(.put, "/user/\(owner.userId)/role", json: ["orgRole": 254], token: owner.accessToken)
            #expect(stepDown.status == .ok)
            let nowLast = try await api.request(.delete, "/organization/users/\(second.id)", token: second.token)
            #expect(nowLast.status == .badRequest)
        }
    }

    @Test func aRoleChangeAppliesToTheVeryNextRequest() async throws {
        try await TestApp().run { api in
            let owner = try await api.register()
            let user = try await api.createUser(as: owner.accessToken, role: 0)
            #expect(try await api.request(.post, "/workspace", json: ["name": "W"], token: user.token).status == .forbidden)
            _ = try await api.request(.put, "/user/\(user.id)/role", json: ["orgRole": 2], token: owner.accessToken)
            #expect(try await api.request(.post, "/workspace", json: ["name": "W"], token: user.token).status == .created)
            let profile = try await api.request(.get, "/user/profile", token: user.token)
            #expect((profile["data"] as? [String: Any])?["orgRole"] as? Int == 2)
        }
    }

    @Test func deletingAUserEndsTheirSessionsAndTheirTokensAnswerUserNotFound() async throws {
        try await TestApp().run { api in
            let owner = try await api.register()
            let user = try await api.createUser(as: owner.accessToken, role: 0)
            let project = try await api.request(.post, "/workspace", json: ["name": "P"], token: owner.accessToken)
            let projectId = try #require((project["workspace"] as? [String: Any])?["id"] as? String)
            try await api.addMember(user.id, role: "WRITE", to: projectId, as: owner.accessToken)

            let deleted = try await api.request(.delete, "/organization/users/\(user.id)", token: owner.accessToken)
            #expect(deleted.status == .ok)
            let old = try await api.request(.get, "/user/profile", token: user.token)
            #expect(old.status == .notFound)
            #expect(old.text == #"{"message":"User not found","success":false}"#)
            let login = try await api.login(email: user.email)
            #expect(login["error_code"] as? String == "USER_NOT_FOUND")
            // Gone from every read.
            let list = try await api.request(.get, "/organization/users", token: owner.accessToken)
            #expect((list["data"] as? [[String: Any]])?.contains { $0["id"] as? String == user.id } == false)
            #expect(try await api.request(.get, "/organization/users/\(user.id)", token: owner.accessToken).status == .notFound)
            let workspace = try await api.request(.get, "/workspace/\(projectId)", token: owner.accessToken)
            let members = (workspace["workspace"] as? [String: Any])?["users"] as? [[String: Any]]
            #expect(members?.map { $0["userId"] as? String } == [owner.userId])
            // The address can be used again.
            let again = try await api.request(
                .post, "/organization/users",
                json: ["email": user.email, "password": "Passw0rd!", "firstName": "Re", "lastName": "Used"], token: owner.accessToken
            )
            #expect(again.status == .created)
        }
    }

    @Test func aNewPasswordEndsTheUsersSessionsAndWorksForLogin() async throws {
        try await TestApp().run { api in
            let owner = try await api.register()
            let user = try await api.createUser(as: owner.accessToken, role: 0)
            let changed = try await api.request(.put, "/organization/users/\(user.id)", json: ["password": "N3wPassword"], token: owner.accessToken)
            #expect(changed.status == .ok)
            #expect(try await api.request(.get, "/user/profile", token: user.token).status == .unauthorized)
            #expect(try await api.login(email: user.email, password: "N3wPassword").status == .ok)
            #expect(try await api.login(email: user.email).status == .unauthorized)
        }
    }

    @Test func badInputNamesTheField() async throws {
        try await TestApp().run { api in
            let owner = try await api.register()
            let user = try await api.createUser(as: owner.accessToken, role: 0)
            let badRole = try await api.request(.put, "/user/\(user.id)/role", json: ["orgRole": 3], token: owner.accessToken)
            #expect(badRole.status == .badRequest)
            #expect(badRole.string("message") == "orgRole: must be one of 0, 1, 2, 254, 255")
            let badId = try await api.request(.put, "/user/nope/role", json: ["orgRole": 1], token: owner.accessToken)
            #expect(badId.string("message") == "userId: must be a UUID")
            let weak = try await api.request(.put, "/organization/users/\(user.id)", json: ["password": "weak"], token: owner.accessToken)
            #expect(weak.string("message")?.hasPrefix("password:") == true)
            let taken = try await api.request(
                .post, "/organization/users",
                json: ["email": owner.email.uppercased(), "password": "Passw0rd!", "firstName": "A", "lastName": "B"], token: owner.accessToken
            )
            #expect(taken.status == .conflict)
            #expect(taken["error_code"] as? String == "EMAIL_ALREADY_USED")
            let unknown = try await api.request(.put, "/user/\(UUID().uuidString)/role", json: ["orgRole": 1], token: owner.accessToken)
            #expect(unknown.status == .notFound)
        }
    }
}
