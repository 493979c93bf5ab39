import CisternStore
import Foundation
import HTTPTypes
import SQLKit
import Testing

@testable import CisternAPI

/// The audit log: one event per change, written with it, named after the router's own routes.
@Suite("Audit log")
struct AuditTests {
    /// How to make each audited route succeed (or, for a refresh, be refused: a refresh that works
    /// changes nothing worth an event), and who the event must name as the actor.
    struct Exercise: Sendable {
        var outcome = "success"
        let run: @Sendable (World, APIClient) async throws -> (request: Request, actor: String)
    }

    struct Request: Sendable {
        let method: HTTPRequest.Method
        let uri: String
        var body: [String: any Sendable]? = nil
        var token: String? = nil
    }

    static let exercises: [String: Exercise] = [
        "POST /user/register": Exercise { _, _ in
            (Request(method: .post, uri: "/user/register", body: Self.registration("new-\(UUID().uuidString.prefix(8))@c.example")), "")
        },
        "POST /user/login": Exercise { world, api in
            let user = try await api.createUser(as: world.tokens[.owner]!, role: 0)
            return (Request(method: .post, uri: "/user/login", body: ["email": user.email, "password": "Passw0rd!"]), user.id)
        },
        "POST /user/refresh": Exercise(outcome: "failure") { _, _ in
            (Request(method: .post, uri: "/user/refresh", body: ["refreshToken": "not-a-token"]), "")
        },
        "POST /user/logout": Exercise { world, _ in
            (Request(method: .post, uri: "/user/logout", token: world.tokens[.plainUser]), world.userIds[.plainUser]!)
        },
        "DELETE /token/{tokenId}": Exercise { world, api in
            let tokens = try await api.request(.get, "/token", token: world.tokens[.plainUser]!)
            let id = try #require((tokens["tokens"] as? [[String: Any]])?.first?["id"] as? String)
            return (Request(method: .delete, uri: "/token/\(id)", token: world.tokens[.plainUser]), world.userIds[.plainUser]!)
        },
        "POST /organization/users": Self.asOwner { _ in
            Request(
                method: .post, uri: "/organization/users",
                body: ["email": "made-\(UUID().uuidString.prefix(8))@a.example", "password": "Passw0rd!", "firstName": "N", "lastName": "U"]
            )
        },
        "PUT /organization/users/{userId}": Self.asOwner {
            Request(method: .put, uri: "/organization/users/\($0.targetId)", body: ["lastName": "Changed", "password": "An0ther-Secret!"])
        },
        "DELETE /organization/users/{userId}": Self.asOwner { Request(method: .delete, uri: "/organization/users/\($0.targetId)") },
        "PUT /user/{userId}/role": Self.asOwner { Request(method: .put, uri: "/user/\($0.targetId)/role", body: ["orgRole": 1]) },
        "POST /workspace": Self.asOwner { _ in Request(method: .post, uri: "/workspace", body: ["name": "Another"]) },
        "PUT /workspace/{workspaceId}": Self.asOwner { Request(method: .put, uri: "/workspace/\($0.projectId)", body: ["name": "Renamed"]) },
        "DELETE /workspace/{workspaceId}": Exercise { world, api in
            let created = try await api.request(.post, "/workspace", json: ["name": "Empty"], token: world.tokens[.owner]!)
            let id = try #require((created["workspace"] as? [String: Any])?["id"] as? String)
            return (Request(method: .delete, uri: "/workspace/\(id)", token: world.tokens[.owner]), world.userIds[.owner]!)
        },
        "POST /workspace/{workspaceId}/users": Self.asOwner {
            Request(method: .post, uri: "/workspace/\($0.projectId)/users", body: ["userId": $0.outsiderId, "role": "READ"])
        },
        "PUT /workspace/{workspaceId}/users/{userId}": Self.asOwner {
            Request(method: .put, uri: "/workspace/\($0.projectId)/users/\($0.targetId)", body: ["role": "WRITE"])
        },
        "DELETE /workspace/{workspaceId}/users/{userId}": Self.asOwner {
            Request(method: .delete, uri: "/workspace/\($0.projectId)/users/\($0.targetId)")
        },
        "POST /bucket": Self.asOwner {
            Request(
                method: .post, uri: "/bucket",
                body: [
                    "name": "New bucket", "bucket": "b", "storageType": "S3", "key": "AKIDEXAMPLE", "secret": Self.bucketSecret,
                    "workspaceId": $0.projectId,
                ]
            )
        },
        "PUT /bucket/{bucketId}": Self.asOwner {
            Request(method: .put, uri: "/bucket/\($0.bucketId!)", body: ["name": "Renamed bucket", "secret": Self.bucketSecret])
        },
        "DELETE /bucket/{bucketId}": Self.asOwner { Request(method: .delete, uri: "/bucket/\($0.bucketId!)") },
        "POST /bucket/{bucketId}/validate": Self.asOwner { Request(method: .post, uri: "/bucket/\($0.bucketId!)/validate") },
        "POST /repo": Self.asOwner {
            Request(
                method: .post, uri: "/repo",
                body: [
                    "name": "New repo", "storageType": "S3", "mode": "NORMAL", "workspaceId": $0.projectId,
                    "repoBuckets": [["bucketId": $0.bucketId!, "folder": "new"]],
                ]
            )
        },
        "PUT /repo/{repoId}": Self.asOwner { Request(method: .put, uri: "/repo/\($0.repositoryId!)", body: ["name": "Renamed repo"]) },
        "DELETE /repo/{repoId}": Self.asOwner { Request(method: .delete, uri: "/repo/\($0.repositoryId!)") },
        "POST /repo/{repoId}/apikey": Self.asOwner {
            Request(method: .post, uri: "/repo/\($0.repositoryId!)/apikey", body: ["name": "k", "accessType": "WRITE"])
        },
        "PUT /repo/{repoId}/apikey/{keyId}": Self.asOwner {
            Request(method: .put, uri: "/repo/\($0.repositoryId!)/apikey/\($0.repositoryKeyId!)", body: ["name": "renamed"])
        },
        "DELETE /repo/{repoId}/apikey/{keyId}": Self.asOwner {
            Request(method: .delete, uri: "/repo/\($0.repositoryId!)/apikey/\($0.repositoryKeyId!)")
        },
        "POST /repo/{repoId}/replication/retry": Self.asOwner { Request(method: .post, uri: "/repo/\($0.repositoryId!)/replication/retry") },
    ]

    static let bucketSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

    static func asOwner(_ request: @escaping @Sendable (World) -> Request) -> Exercise {
        Exercise { world, _ in
            var request = request(world)
            request.token = world.tokens[.owner]
            return (request, world.userIds[.owner]!)
        }
    }

    static func registration(_ email: String) -> [String: any Sendable] {
        ["email": email, "password": "Passw0rd!", "firstName": "Ada", "lastName": "L", "companyName": "C"]
    }

    @Test func everyRouteThatIsNotAReadIsAuditedOrSaysWhyNot() async throws {
        let routes = try await OpenAPITests.routes(TestApp().configuration)
        let changing = routes.filter { !$0.hasPrefix("GET ") && !$0.hasPrefix("HEAD ") }
        let audited = Set(AuditedRoutes.actions.keys)
        let unaudited = Set(AuditedRoutes.unaudited.keys)
        #expect(changing.subtracting(audited).subtracting(unaudited).sorted() == [], "routes that change something without an audit action")
        #expect(audited.union(unaudited).subtracting(changing).sorted() == [], "audit entries for routes that do not exist")
        #expect(audited.intersection(unaudited).isEmpty)
        #expect(audited.subtracting(Self.exercises.keys).sorted() == [], "audited routes the tests do not exercise")
    }

    @Test(arguments: AuditedRoutes.actions.keys.sorted())
    func eachAuditedRouteAppendsOneEventAndNoSecret(route: String) async throws {
        let exercise = try #require(Self.exercises[route])
        try await TestApp { $0.validateBuckets = false }.run { api in
            let world = try await World.build(api, withBucket: true, withRepository: true)
            let owner = world.tokens[.owner]!
            let (request, actor) = try await exercise.run(world, api)
            let before = try await Self.events(api, token: owner)
            let response = try await api.request(request.method, request.uri, json: request.body, token: request.token)
            #expect((response.status.code < 400) == (exercise.outcome == "success"), "\(route): \(response.text)")

            let after = try await Self.events(api, token: owner)
            let new = after.filter { event in !before.contains { $0["id"] as? String == event["id"] as? String } }
            // A registration opens another organization: its event is that organization's.
            let event: [String: Any]
            if route == "POST /user/register" {
                #expect(new.isEmpty)
                let account = try Account(response, email: "", password: "")
                let own = try await Self.events(api, token: account.accessToken)
                try #require(own.count == 1, "\(own)")
                event = own[0]
                #expect(event["actorId"] as? String == account.userId)
            } else {
                try #require(new.count == 1, "\(route) appended \(new.count) events: \(new)")
                event = new[0]
                if !actor.isEmpty { #expect(event["actorId"] as? String == actor, "\(route)") }
            }
            #expect(event["action"] as? String == AuditedRoutes.actions[route], "\(route)")
            #expect(event["outcome"] as? String == exercise.outcome, "\(route)")
            if exercise.outcome == "success" {
                #expect((event["target"] as? String)?.isEmpty == false, "\(route) names no target")
                #expect(event["status"] == nil)
            } else {
                #expect(event["status"] as? Int == response.status.code)
            }
            let text = try String(decoding: JSONSerialization.data(withJSONObject: after + [event]), as: UTF8.self)
            for secret in ["Passw0rd!", "An0ther-Secret!", Self.bucketSecret, owner, "not-a-token"] {
                #expect(!text.contains(secret), "\(route): the log holds a secret")
            }
            if let keySecret = response.string("secretKey") ?? ((response["data"] as? [String: Any])?["secretKey"] as? String) {
                #expect(!text.contains(keySecret))
            }
        }
    }

    @Test func refusedRequestsAreOnTheLogWithTheirStatus() async throws {
        try await TestApp { $0.validateBuckets = false }.run { api in
            let world = try await World.build(api, withBucket: true)
            let owner = world.tokens[.owner]!
            let stranger = "nobody-\(UUID().uuidString.prefix(6))@a.example"
            let login = try await api.request(.post, "/user/login", json: ["email": stranger, "password": "Wr0ng-Password!"])
            #expect(login.status == .unauthorized)
            let member = try await api.createUser(as: owner, role: 0)
            let guessed = try await api.request(.post, "/user/login", json: ["email": member.email, "password": "Wr0ng-Password!"])
            #expect(guessed.status == .unauthorized)
            let denied = try await api.request(.delete, "/bucket/\(world.bucketId!)", token: world.tokens[.readMember]!)
            #expect(denied.status == .forbidden)

            // A failed login names no organization: it is the installation's event, on every log.
            let events = try await Self.events(api, token: owner)
            let failedLogin = try #require(events.first { $0["action"] as? String == "session.login" && $0["actorEmail"] as? String == stranger })
            #expect(failedLogin["outcome"] as? String == "failure")
            #expect(failedLogin["status"] as? Int == 401)
            #expect((failedLogin["details"] as? [String: String])?["error"] == "USER_NOT_FOUND")
            // A wrong password for a real account is on its organization's log, under that account.
            let guess = try #require(events.first { $0["action"] as? String == "session.login" && $0["actorId"] as? String == member.id })
            #expect(guess["outcome"] as? String == "failure")
            #expect((guess["details"] as? [String: String])?["error"] == "INVALID_PASSWORD")
            let foreign = try await Self.events(api, token: world.tokens[.foreignOwner]!)
            #expect(!foreign.contains { $0["actorId"] as? String == member.id }, "another organization sees the attempt")
            #expect(foreign.contains { $0["actorEmail"] as? String == stranger }, "an installation event is on every log")
            let refusal = try #require(events.first { $0["action"] as? String == "bucket.delete" })
            #expect(refusal["outcome"] as? String == "failure")
            #expect(refusal["status"] as? Int == 403)
            #expect(refusal["actorId"] as? String == world.userIds[.readMember])
            #expect(refusal["target"] as? String == "bucket/\(world.bucketId!)")
            let text = try String(decoding: JSONSerialization.data(withJSONObject: events), as: UTF8.self)
            #expect(!text.contains("Wr0ng-Password!"))
        }
    }

    @Test func aChangeWhoseEventCannotBeWrittenIsNotMade() async throws {
        let app = TestApp { $0.validateBuckets = false }
        try await app.run { api in
            let world = try await World.build(api)
            try await app.withDatabase { database in
                try await database.withConnection { sql in try await sql.raw("ALTER TABLE audit_events RENAME TO audit_events_away").run() }
            }
            let created = try await api.request(.post, "/workspace", json: ["name": "Unrecorded"], token: world.tokens[.owner]!)
            #expect(created.status.code >= 500, "\(created.text)")
            try await app.withDatabase { database in
                try await database.withConnection { sql in try await sql.raw("ALTER TABLE audit_events_away RENAME TO audit_events").run() }
            }
            let list = try await api.request(.get, "/workspace", token: world.tokens[.owner]!)
            #expect(!list.text.contains("Unrecorded"))
        }
    }

    @Test func filtersAndPagesWalkTheWholeLogOnce() async throws {
        try await TestApp { $0.validateBuckets = false }.run { api in
            let world = try await World.build(api)
            let owner = world.tokens[.owner]!
            for index in 0..<7 {
                let response = try await api.request(.post, "/workspace", json: ["name": "W\(index)"], token: owner)
                #expect(response.status == .created)
            }
            let all = try await Self.events(api, token: owner)
            var seen: [String] = []
            var cursor: String?
            repeat {
                let page = try await api.request(
                    .get, "/audit?limit=3&action=workspace.*" + (cursor.map { "&cursor=\($0)" } ?? ""), token: owner
                )
                #expect(page.status == .ok, "\(page.text)")
                let events = try #require(page["events"] as? [[String: Any]])
                #expect(events.count <= 3)
                seen += events.compactMap { $0["id"] as? String }
                cursor = page.string("nextCursor")
            } while cursor != nil
            let expected = all.filter { ($0["action"] as? String)?.hasPrefix("workspace.") == true }.compactMap { $0["id"] as? String }
            #expect(seen == expected)
            #expect(expected.count >= 8)  // "Project", its members, and the seven

            let mine = try await api.request(.get, "/audit?actor=\(world.userIds[.owner]!)&action=workspace.create", token: owner)
            #expect((mine["events"] as? [[String: Any]])?.count == 8)
            let future = try await api.request(.get, "/audit?from=2999-01-01", token: owner)
            #expect((future["events"] as? [[String: Any]])?.isEmpty == true)
            for (query, field) in [
                ("limit=0", "limit"), ("limit=x", "limit"), ("cursor=nope", "cursor"), ("actor=me", "actor"), ("from=yesterday", "from"),
            ] {
                let bad = try await api.request(.get, "/audit?\(query)", token: owner)
                #expect(bad.status == .badRequest, "\(query)")
                #expect(bad.text.contains(field), "\(query): \(bad.text)")
            }
        }
    }

    static func events(_ api: APIClient, token: String) async throws -> [[String: Any]] {
        let response = try await api.request(.get, "/audit?limit=1000", token: token)
        #expect(response.status == .ok, "\(response.text)")
        return try #require(response["events"] as? [[String: Any]])
    }
}
