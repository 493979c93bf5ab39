import CisternAPI
import Foundation
import HTTPTypes
import SQLKit
import Testing

/// `GET /bucket/available`, the seed page (docs/contract.md §4.1).
@Suite("GET /bucket/available")
struct AvailableBucketsTests {
    @Test func answersABareArrayOfExactlyTheSeedsEightFields() async throws {
        let app = TestApp { $0.validateBuckets = false }
        try await app.run { api in
            let world = try await World.build(api, withBucket: true)
            let response = try await api.request(.get, "/bucket/available", token: world.tokens[.owner]!)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json; charset=utf-8")
            let items = try #require(response.json as? [[String: Any]])
            #expect(items.count == 1)
            let item = items[0]
            #expect(Set(item.keys) == ["id", "name", "storageType", "bucket", "key", "status", "workspaceId", "createdAt"])
            #expect(item["id"] as? String == world.bucketId)
            #expect(item["storageType"] as? String == "S3")
            #expect((item["bucket"] as? String)?.hasPrefix("nowhere-") == true)
            #expect(item["key"] as? String == "AKIDNOWHERE")
            #expect(item["status"] is NSNull)
            #expect(item["workspaceId"] as? String == world.projectId)
            #expect(item["createdAt"] as? String == ISO8601DateFormatter().string(from: app.clock.now))
            #expect(!response.text.contains("not-checked"))
        }
    }

    @Test func nothingAvailableIsAnEmptyArray() async throws {
        try await TestApp().run { api in
            let owner = try await api.register()
            let response = try await api.request(.get, "/bucket/available", token: owner.accessToken)
            #expect(response.status == .ok)
            #expect(response.text == "[]")
        }
    }

    @Test func itemsAreOrderedByCreationTimeThenId() async throws {
        let app = TestApp { $0.validateBuckets = false }
        try await app.run { api in
            let world = try await World.build(api)
            let owner = world.tokens[.owner]!
            var created: [(at: Date, id: String)] = []
            for round in 0..<3 {
                // Two buckets share each instant; the instants go backwards through the default and project workspaces.
                for workspace in [world.projectId, world.defaultWorkspaceId] {
                    created.append((app.clock.now, try await api.createUnvalidatedBucket(in: workspace, as: owner, name: "b\(round)-\(workspace)")))
                }
                app.clock.advance(by: 1)
            }
            let expected = created.sorted { $0.at == $1.at ? $0.id < $1.id : $0.at < $1.at }.map(\.id)
            let response = try await api.request(.get, "/bucket/available", token: owner)
            let ids = try #require(response.json as? [[String: Any]]).compactMap { $0["id"] as? String }
            #expect(ids == expected)
        }
    }

    @Test func visibilityFollowsTheAccessPolicy() async throws {
        try await TestApp { $0.validateBuckets = false }.run { api in
            let world = try await World.build(api, withBucket: true)
            let owner = world.tokens[.owner]!
            let inDefault = try await api.createUnvalidatedBucket(in: world.defaultWorkspaceId, as: owner)
            _ = try await api.createUnvalidatedBucket(in: try await Self.foreignWorkspace(api, world), as: world.tokens[.foreignOwner]!)
            func ids(_ actor: Actor, _ query: String = "") async throws -> Set<String> {
                let response = try await api.request(.get, "/bucket/available\(query)", token: world.tokens[actor]!)
                #expect(response.status == .ok, "\(actor): \(response.text)")
                return Set(try #require(response.json as? [[String: Any]]).compactMap { $0["id"] as? String })
            }
            #expect(try await ids(.owner) == [world.bucketId!, inDefault])
            #expect(try await ids(.workspaces) == [world.bucketId!, inDefault])
            #expect(try await ids(.readMember) == [world.bucketId!])
            #expect(try await ids(.billing) == [])
            #expect(try await ids(.plainUser) == [])
            #expect(try await ids(.foreignOwner).isDisjoint(with: [world.bucketId!, inDefault]))
            #expect(try await ids(.owner, "?workspaceId=\(world.defaultWorkspaceId)") == [inDefault])
            #expect(try await ids(.owner, "?workspaceId=undefined") == [world.bucketId!, inDefault])
            #expect(try await ids(.owner, "?workspaceId=") == [world.bucketId!, inDefault])
            #expect(try await ids(.adminMember, "?workspaceId=\(world.projectId)") == [world.bucketId!])
        }
    }

    @Test func aWorkspaceTheCallerCannotAccessAnswers404() async throws {
        try await TestApp { $0.validateBuckets = false }.run { api in
            let world = try await World.build(api, withBucket: true)
            let expected = #"{"message":"Workspace not found or access denied","success":false}"#
            for (actor, workspace) in [
                (Actor.readMember, world.defaultWorkspaceId), (.foreignOwner, world.projectId),
                (.owner, UUID().canonical),
            ] {
                let response = try await api.request(.get, "/bucket/available?workspaceId=\(workspace)", token: world.tokens[actor]!)
                #expect(response.status == .notFound)
                #expect(response.text == expected)
            }
            let malformed = try await api.request(.get, "/bucket/available?workspaceId=nope", token: world.tokens[.owner]!)
            #expect(malformed.status == .badRequest)
            #expect(malformed.string("message") == "workspaceId: must be a UUID")
        }
    }

    @Test func badTokensAre401AndAGoneUserIs404() async throws {
        try await TestApp().run { api in
            let noToken = try await api.request(.get, "/bucket/available")
            #expect(noToken.status == .unauthorized)
            #expect(noToken["error_code"] as? String == "NO_AUTH_USER")
            #expect(try await api.request(.get, "/bucket/available", token: "garbage").status == .unauthorized)
            let owner = try await api.register()
            let user = try await api.createUser(as: owner.accessToken, role: 0)
            _ = try await api.request(.delete, "/organization/users/\(user.id)", token: owner.accessToken)
            let gone = try await api.request(.get, "/bucket/available", token: user.token)
            #expect(gone.status == .notFound)
            #expect(gone.text == #"{"message":"User not found","success":false}"#)
        }
    }

    @Test func aBucketClaimedByAMirrorRepositoryIsNotAvailableButStillListed() async throws {
        let app = TestApp { $0.validateBuckets = false }
        try await app.run { api in
            let world = try await World.build(api, withBucket: true)
            let owner = world.tokens[.owner]!
            try await app.withDatabase { database in
                try await database.withConnection { sql in
                    try await sql.raw("UPDATE buckets SET mirror_repository_id = 'some-repository' WHERE id = \(bind: world.bucketId!)").run()
                }
            }
            #expect(try await api.request(.get, "/bucket/available", token: owner).text == "[]")
            #expect((try await api.request(.get, "/bucket", token: owner)["buckets"] as? [Any])?.count == 1)
            let delete = try await api.request(.delete, "/bucket/\(world.bucketId!)", token: owner)
            #expect(delete.status == .forbidden)
            #expect(delete.text == #"{"message":"Bucket in use by a repository","success":false}"#)
        }
    }

    @Test func anUnchangedListAnswers304UntilSomethingTheCallerSeesChanges() async throws {
        try await TestApp { $0.validateBuckets = false }.run { api in
            let world = try await World.build(api, withBucket: true)
            let owner = world.tokens[.owner]!
            let reader = world.tokens[.readMember]!
            func fetch(_ token: String, ifNoneMatch tag: String? = nil) async throws -> APIResponse {
                var headers: HTTPFields = [:]
                if let tag { headers[.ifNoneMatch] = tag }
                return try await api.request(.get, "/bucket/available", token: token, headers: headers)
            }
            func tagChanges(from tag: String, for token: String) async throws -> String {
                let response = try await fetch(token, ifNoneMatch: tag)
                #expect(response.status == .ok)
                #expect(!response.text.isEmpty)
                let next = try #require(response.headers[.eTag])
                #expect(next != tag)
                return next
            }

            let first = try await fetch(reader)
            let tag = try #require(first.headers[.eTag])
            #expect(first.headers[.cacheControl] == "private, no-cache")
            let unchanged = try await fetch(reader, ifNoneMatch: tag)
            #expect(unchanged.status == .notModified)
            #expect(unchanged.text.isEmpty)
            #expect(unchanged.headers[.eTag] == tag)
            #expect(try await fetch(reader, ifNoneMatch: "W/\(tag)").status == .notModified)
            #expect(try await fetch(reader, ifNoneMatch: "\"stale\", \(tag)").status == .notModified)
            #expect(try await fetch(reader, ifNoneMatch: "\"stale\"").status == .ok)
            // Changes the reader cannot see leave their tag alone: a bucket in a workspace they are
            // not a member of, and another organization's bucket.
            _ = try await api.createUnvalidatedBucket(in: world.defaultWorkspaceId, as: owner)
            _ = try await api.createUnvalidatedBucket(in: try await Self.foreignWorkspace(api, world), as: world.tokens[.foreignOwner]!)
            #expect(try await fetch(reader, ifNoneMatch: tag).status == .notModified)
            // The owner now sees more than the reader, so their lists have different tags.
            #expect(try await fetch(owner).headers[.eTag] != tag)

            // A bucket in their workspace, a MIRROR claim, its release, a rename and losing the
            // membership each change it.
            let added = try await api.createUnvalidatedBucket(in: world.projectId, as: owner)
            let withAdded = try await tagChanges(from: tag, for: reader)
            let mirror = try await api.createRepository(
                in: world.projectId, mode: "MIRROR",
                members: [["bucketId": world.bucketId!, "master": true], ["bucketId": added, "master": false]], as: owner
            )
            let claimed = try await tagChanges(from: withAdded, for: reader)
            #expect(try await fetch(reader).text == "[]")
            #expect(try await api.request(.delete, "/repo/\(mirror)", token: owner).status == .ok)
            let released = try await tagChanges(from: claimed, for: reader)
            #expect(released == withAdded, "the same list has the same tag")
            let renamed = try await api.request(.put, "/bucket/\(added)", json: ["name": "renamed"], token: owner)
            #expect(renamed.status == .ok, "\(renamed.text)")
            let afterRename = try await tagChanges(from: released, for: reader)
            let removed = try await api.request(.delete, "/workspace/\(world.projectId)/users/\(world.userIds[.readMember]!)", token: owner)
            #expect(removed.status == .ok, "\(removed.text)")
            _ = try await tagChanges(from: afterRename, for: reader)
        }
    }

    static func foreignWorkspace(_ api: APIClient, _ world: World) async throws -> String {
        let list = try await api.request(.get, "/workspace", token: world.tokens[.foreignOwner]!)
        return try #require((list["workspaces"] as? [[String: Any]])?.first?["id"] as? String)
    }
}
