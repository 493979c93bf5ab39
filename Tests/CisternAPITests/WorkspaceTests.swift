import CisternAPI
import Foundation
import Testing

/// The rules of docs/contract.md §3 beyond who may call what.
@Suite("Workspaces")
struct WorkspaceTests {
    @Test func registrationCreatesADefaultWorkspaceWithTheOwnerAsAdmin() async throws {
        try await TestApp().run { api in
            let owner = try await api.register()
            let list = try await api.request(.get, "/workspace", token: owner.accessToken)
            #expect(list.keys == ["success", "workspaces"])
            let workspaces = try #require(list["workspaces"] as? [[String: Any]])
            #expect(workspaces.count == 1)
            let workspace = try #require(workspaces.first)
            #expect(Set(workspace.keys) == ["id", "name", "orgId", "default", "users"])
            #expect(workspace["name"] as? String == "Default")
            #expect(workspace["default"] as? Bool == true)
            #expect(workspace["orgId"] as? String == owner.orgId)
            let members = try #require(workspace["users"] as? [[String: Any]])
            #expect(members.count == 1)
            #expect(members[0]["userId"] as? String == owner.userId)
            #expect(members[0]["role"] as? String == "ADMIN")
            let user = try #require(members[0]["user"] as? [String: Any])
            #expect(Set(user.keys) == ["id", "name", "lastName", "email", "orgRole"])
        }
    }

    @Test func creatingAWorkspaceAnswers201AndMakesTheCreatorAdmin() async throws {
        try await TestApp().run { api in
            let owner = try await api.register()
            let manager = try await api.createUser(as: owner.accessToken, role: 2)
            let created = try await api.request(.post, "/workspace", json: ["name": "  Research  "], token: manager.token)
            #expect(created.status == .created)
            #expect(created.keys == ["success", "workspace"])
            let workspace = try #require(created["workspace"] as? [String: Any])
            #expect(Set(workspace.keys) == ["id", "name", "orgId"])
            #expect(workspace["name"] as? String == "Research")
            let id = try #require(workspace["id"] as? String)
            let details = try await api.request(.get, "/workspace/\(id)", token: owner.accessToken)
            let members = (details["workspace"] as? [String: Any])?["users"] as? [[String: Any]]
            #expect(members?.map { $0["userId"] as? String } == [manager.id])
            #expect(members?.first?["role"] as? String == "ADMIN")
        }
    }

    @Test func workspaceNamesAreUniqueInAnOrganizationWhateverTheirCase() async throws {
        try await TestApp().run { api in
            let owner = try await api.register()
            let first = try await api.request(.post, "/workspace", json: ["name": "Research"], token: owner.accessToken)
            #expect(try await api.request(.post, "/workspace", json: ["name": "RESEARCH"], token: owner.accessToken).status == .conflict)
            let other = try await api.request(.post, "/workspace", json: ["name": "Ops"], token: owner.accessToken)
            let otherId = try #require((other["workspace"] as? [String: Any])?["id"] as? String)
            #expect(try await api.request(.put, "/workspace/\(otherId)", json: ["name": "research"], token: owner.accessToken).status == .conflict)
            // Another organization may use the name, and so may this one once the first is deleted.
            let foreign = try await api.register()
            #expect(try await api.request(.post, "/workspace", json: ["name": "Research"], token: foreign.accessToken).status == .created)
            let firstId = try #require((first["workspace"] as? [String: Any])?["id"] as? String)
            #expect(try await api.request(.delete, "/workspace/\(firstId)", token: owner.accessToken).status == .ok)
            #expect(try await api.request(.post, "/workspace", json: ["name": "Research"], token: owner.accessToken).status == .created)
        }
    }

    @Test func aDeletedWorkspaceDisappearsFromEveryRead() async throws {
        try await TestApp().run { api in
            let owner = try await api.register()
            let created = try await api.request(.post, "/workspace", json: ["name": "Temp"], token: owner.accessToken)
            let id = try #require((created["workspace"] as? [String: Any])?["id"] as? String)
            #expect(try await api.request(.delete, "/workspace/\(id)", token: owner.accessToken).text == #"{"success":true}"#)
            let get = try await api.request(.get, "/workspace/\(id)", token: owner.accessToken)
            #expect(get.status == .notFound)
            #expect(get.text == #"{"message":"Workspace not found or access denied","success":false}"#)
            let list = try await api.request(.get, "/workspace", token: owner.accessToken)
            #expect((list["workspaces"] as? [[String: Any]])?.count == 1)
            #expect(try await api.request(.delete, "/workspace/\(id)", token: owner.accessToken).status == .notFound)
        }
    }

    @Test func theDefaultWorkspaceCannotBeDeleted() async throws {
        try await TestApp().run { api in
            let world = try await World.build(api)
            let response = try await api.request(.delete, "/workspace/\(world.defaultWorkspaceId)", token: world.tokens[.owner]!)
            #expect(response.status == .badRequest)
            #expect(response.string("message") == "Cannot delete the default workspace")
        }
    }

    @Test func membershipChangesApplyToTheVeryNextRequest() async throws {
        try await TestApp().run { api in
            let world = try await World.build(api)
            let owner = world.tokens[.owner]!
            let user = world.tokens[.plainUser]!
            let userId = world.userIds[.plainUser]!
            let workspace = "/workspace/\(world.projectId)"
            #expect(try await api.request(.get, workspace, token: user).status == .notFound)
            try await api.addMember(userId, role: "READ", to: world.projectId, as: owner)
            #expect(try await api.request(.get, workspace, token: user).status == .ok)
            #expect(try await api.request(.put, workspace, json: ["name": "Mine"], token: user).status == .forbidden)
            _ = try await api.request(.put, "\(workspace)/users/\(userId)", json: ["role": "ADMIN"], token: owner)
            #expect(try await api.request(.put, workspace, json: ["name": "Mine"], token: user).status == .ok)
            _ = try await api.request(.delete, "\(workspace)/users/\(userId)", token: owner)
            #expect(try await api.request(.get, workspace, token: user).status == .notFound)
            let list = try await api.request(.get, "/workspace", token: user)
            #expect((list["workspaces"] as? [[String: Any]])?.isEmpty == true)
        }
    }

    @Test func workspaceListsFollowTheReadScope() async throws {
        try await TestApp().run { api in
            let world = try await World.build(api)
            // Both workspaces were made at the same instant of the test clock: compare as sets.
            func names(_ actor: Actor) async throws -> Set<String> {
                let list = try await api.request(.get, "/workspace", token: world.tokens[actor]!)
                return Set((list["workspaces"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String })
            }
            #expect(try await names(.owner) == ["Default", "Project"])
            #expect(try await names(.workspaces) == ["Default", "Project"])
            #expect(try await names(.readMember) == ["Project"])
            #expect(try await names(.billing) == [])
            #expect(try await names(.foreignOwner) == ["Default"])
        }
    }

    @Test func memberManagementRefusesWhatCannotBe() async throws {
        try await TestApp().run { api in
            let world = try await World.build(api)
            let owner = world.tokens[.owner]!
            let users = "/workspace/\(world.projectId)/users"
            let foreignUser = world.userIds[.foreignOwner]!
            let foreign = try await api.request(.post, users, json: ["userId": foreignUser, "role": "READ"], token: owner)
            #expect(foreign.status == .notFound)
            #expect(foreign.string("message") == "Target user not found")
            let unknown = try await api.request(.post, users, json: ["userId": UUID().uuidString, "role": "READ"], token: owner)
            #expect(unknown.status == .notFound)
            let twice = try await api.request(.post, users, json: ["userId": world.targetId, "role": "READ"], token: owner)
            #expect(twice.status == .conflict)
            let badRole = try await api.request(.post, users, json: ["userId": world.outsiderId, "role": "OWNER"], token: owner)
            #expect(badRole.status == .badRequest)
            #expect(badRole.string("message") == "role: must be one of READ, WRITE, ADMIN")
            let badId = try await api.request(.post, users, json: ["userId": "42", "role": "READ"], token: owner)
            #expect(badId.string("message") == "userId: must be a UUID")
            let notMember = try await api.request(.put, "\(users)/\(world.outsiderId)", json: ["role": "WRITE"], token: owner)
            #expect(notMember.status == .notFound)
            #expect(notMember.string("message") == "User not found in workspace")
            #expect(try await api.request(.delete, "\(users)/\(world.outsiderId)", token: owner).status == .notFound)
            let blank = try await api.request(.post, "/workspace", json: ["name": " "], token: owner)
            #expect(blank.string("message") == "name: must not be empty")
        }
    }
}

@Suite("Workspaces holding buckets")
struct WorkspaceContentTests {
    @Test func aWorkspaceWithALiveBucketCannotBeDeletedUntilTheBucketIsGone() async throws {
        try await TestApp { $0.validateBuckets = false }.run { api in
            let world = try await World.build(api, withBucket: true)
            let owner = world.tokens[.owner]!
            let refused = try await api.request(.delete, "/workspace/\(world.projectId)", token: owner)
            #expect(refused.status == .badRequest)
            #expect(refused.text == #"{"message":"Cannot delete workspace with existing buckets or repos","success":false}"#)
            #expect(try await api.request(.delete, "/bucket/\(world.bucketId!)", token: owner).status == .ok)
            #expect(try await api.request(.delete, "/workspace/\(world.projectId)", token: owner).status == .ok)
        }
    }
}
