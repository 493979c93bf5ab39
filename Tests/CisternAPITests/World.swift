import CisternAPI
import Foundation
import Testing

/// Everyone the authorization matrix acts as.
enum Actor: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case owner, administrators, workspaces, billing, plainUser, readMember, writeMember, adminMember, foreignOwner
    var testDescription: String { self.rawValue }
}

/// One organization with a user of every organization role and of every membership role in a
/// workspace `project`, plus a second organization's owner.
struct World: Sendable {
    let api: APIClient
    let tokens: [Actor: String]
    let userIds: [Actor: String]
    let orgId: String
    let projectId: String
    let defaultWorkspaceId: String
    /// A USER and READ member of `project`, the object of member and user management actions.
    let targetId: String
    /// A USER with no membership, for adding to `project`.
    let outsiderId: String
    /// A bucket in `project` (registered without a provider check: the app must run with
    /// `validateBuckets = false`), when asked for.
    let bucketId: String?
    /// A NORMAL repository in `project` over a second bucket, and a key of it, when asked for.
    let repositoryId: String?
    let repositoryKeyId: String?

    /// A world whose project holds `count` fresh buckets (unvalidated: the app must run with
    /// `validateBuckets = false`), and their ids.
    static func build(_ api: APIClient, buckets count: Int) async throws -> (World, [String]) {
        let world = try await World.build(api)
        var ids: [String] = []
        for _ in 0..<count { ids.append(try await api.createUnvalidatedBucket(in: world.projectId, as: world.tokens[.owner]!)) }
        return (world, ids)
    }

    static func build(_ api: APIClient, withBucket: Bool = false, withRepository: Bool = false) async throws -> World {
        let owner = try await api.register(email: "owner-\(UUID().uuidString.prefix(6))@a.example", company: "A")
        var tokens: [Actor: String] = [.owner: owner.accessToken]
        var ids: [Actor: String] = [.owner: owner.userId]
        let roles: [(Actor, Int)] = [
            (.administrators, 254), (.workspaces, 2), (.billing, 1), (.plainUser, 0), (.readMember, 0), (.writeMember, 0), (.adminMember, 0),
        ]
        for (actor, role) in roles {
            let user = try await api.createUser(as: owner.accessToken, role: role)
            ids[actor] = user.id
            tokens[actor] = user.token
        }
        let target = try await api.createUser(as: owner.accessToken, role: 0)
        let outsider = try await api.createUser(as: owner.accessToken, role: 0)
        let created = try await api.request(.post, "/workspace", json: ["name": "Project"], token: owner.accessToken)
        let projectId = try #require((created["workspace"] as? [String: Any])?["id"] as? String)
        for (actor, role) in [(Actor.readMember, "READ"), (.writeMember, "WRITE"), (.adminMember, "ADMIN")] {
            try await api.addMember(ids[actor]!, role: role, to: projectId, as: owner.accessToken)
        }
        try await api.addMember(target.id, role: "READ", to: projectId, as: owner.accessToken)
        let foreign = try await api.register(email: "foreign-\(UUID().uuidString.prefix(6))@b.example", company: "B")
        tokens[.foreignOwner] = foreign.accessToken
        ids[.foreignOwner] = foreign.userId
        let list = try await api.request(.get, "/workspace", token: owner.accessToken)
        let defaultId = try #require((list["workspaces"] as? [[String: Any]])?.first { $0["default"] as? Bool == true }?["id"] as? String)
        let bucketId = withBucket || withRepository ? try await api.createUnvalidatedBucket(in: projectId, as: owner.accessToken) : nil
        var repositoryId: String?
        var repositoryKeyId: String?
        if withRepository {
            let member = try await api.createUnvalidatedBucket(in: projectId, as: owner.accessToken)
            repositoryId = try await api.createRepository(
                in: projectId, mode: "NORMAL", members: [["bucketId": member, "folder": "shared"]], as: owner.accessToken
            )
            let key = try await api.request(
                .post, "/repo/\(repositoryId!)/apikey", json: ["name": "ci", "accessType": "READ"], token: owner.accessToken
            )
            let keyId: String = try #require(key.string("id"))
            repositoryKeyId = keyId
        }
        return World(
            api: api, tokens: tokens, userIds: ids, orgId: owner.orgId, projectId: projectId, defaultWorkspaceId: defaultId,
            targetId: target.id, outsiderId: outsider.id, bucketId: bucketId, repositoryId: repositoryId, repositoryKeyId: repositoryKeyId
        )
    }
}

extension APIClient {
    /// Creates a user in the caller's organization and logs them in.
    func createUser(as token: String, role: Int, password: String = "Passw0rd!") async throws -> (id: String, token: String, email: String) {
        let email = "user-\(UUID().uuidString.prefix(8))@a.example"
        let created = try await self.request(
            .post, "/organization/users",
            json: ["email": email, "password": password, "firstName": "U", "lastName": "\(role)", "orgRole": role], token: token
        )
        #expect(created.status == .created, "\(created.text)")
        let id = try #require((created["data"] as? [String: Any])?["id"] as? String)
        let login = try await self.login(email: email, password: password)
        return (id, try #require(login.string("accessToken")), email)
    }

    /// Registers a bucket that points nowhere; the app must not validate buckets. Its provider
    /// bucket is `nowhere-` and its label, so any two can serve one repository.
    func createUnvalidatedBucket(
        in workspaceId: String, as token: String, name: String = "bucket-\(UUID().uuidString.prefix(8))"
    ) async throws
        -> String
    {
        let response = try await self.request(
            .post, "/bucket",
            json: [
                "name": name, "bucket": "nowhere-\(name.lowercased())", "storageType": "S3", "key": "AKIDNOWHERE", "secret": "not-checked",
                "endpoint": "http://127.0.0.1:9", "workspaceId": workspaceId,
            ],
            token: token
        )
        #expect(response.status == .ok, "\(response.text)")
        return try #require(response.string("bucketId"))
    }

    /// Creates a repository and returns its id.
    func createRepository(
        in workspaceId: String, mode: String, members: [[String: any Sendable]], as token: String,
        name: String = "repo-\(UUID().uuidString.prefix(8))"
    ) async throws -> String {
        let response = try await self.request(
            .post, "/repo", json: ["name": name, "storageType": "S3", "mode": mode, "workspaceId": workspaceId, "repoBuckets": members],
            token: token
        )
        #expect(response.status == .ok, "\(response.text)")
        return try #require(response.string("repoId"))
    }

    /// The ids `GET /bucket/available` lists for `token`.
    func availableIds(_ token: String, query: String = "") async throws -> [String] {
        let response = try await self.request(.get, "/bucket/available\(query)", token: token)
        return try #require(response.json as? [[String: Any]]).compactMap { $0["id"] as? String }
    }

    func addMember(_ userId: String, role: String, to workspaceId: String, as token: String) async throws {
        let response = try await self.request(.post, "/workspace/\(workspaceId)/users", json: ["userId": userId, "role": role], token: token)
        #expect(response.status == .ok, "\(response.text)")
    }
}
