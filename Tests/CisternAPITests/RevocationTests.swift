import AsyncHTTPClient
import CisternTestSupport
import Foundation
import Testing

/// Every change that ends or narrows someone's access, made through one `cistern serve` process,
/// holds in the other process sharing the database by the time the change's response has come
/// back (both processes serve sessions, lists and keys from memory; `ChangeFeed`).
@Suite("Revocation across processes", .timeLimit(.minutes(5)))
struct RevocationTests {
    @Test func everyRevocationHoldsInBothProcessesOnceAnswered() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cistern-revocation-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let environment = try await ReplicaTests.sharedEnvironment(in: directory)
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        var replicas: [Replica] = []
        defer { for replica in replicas { replica.stop() } }
        do {
            for index in 0..<2 {
                replicas.append(try await Replica.healthy(http, environment: environment, dataDirectory: "\(directory)/data\(index)"))
            }
            try await Self.exercise(http, a: replicas[0], b: replicas[1])
            try await http.shutdown()
        } catch {
            try? await http.shutdown()
            throw error
        }
    }

    /// Changes through `a`; each is checked in `b` (and `a`) right after its answer, with `b`'s
    /// cache warmed by the same request just before.
    static func exercise(_ http: HTTPClient, a: Replica, b: Replica) async throws {
        let password = "Passw0rd!"
        _ = try await a.call(
            http, "POST", "/user/register",
            ["email": "ada@example.com", "password": password, "firstName": "Ada", "lastName": "L", "companyName": "Revoke"])
        let ada = try #require(
            try await a.call(http, "POST", "/user/login", ["email": "ada@example.com", "password": password]).json["accessToken"] as? String)
        let workspace = try await a.call(http, "POST", "/workspace", ["name": "Shared"], token: ada)
        let workspaceId = try #require((workspace.json["workspace"] as? [String: Any])?["id"] as? String)
        let bucket = try await a.call(
            http, "POST", "/bucket",
            ["name": "listed", "bucket": "listed", "storageType": "S3", "key": "k", "secret": "s", "workspaceId": workspaceId], token: ada)
        let bucketId = try #require(bucket.json["bucketId"] as? String)
        let created = try await a.call(
            http, "POST", "/organization/users",
            ["email": "bob@example.com", "password": password, "firstName": "Bob", "lastName": "B", "orgRole": 0], token: ada)
        let bobId = try #require((created.json["data"] as? [String: Any])?["id"] as? String)
        #expect(try await a.call(http, "POST", "/workspace/\(workspaceId)/users", ["userId": bobId, "role": "READ"], token: ada).status == 200)

        func login() async throws -> (access: String, refresh: String) {
            let session = try await b.call(http, "POST", "/user/login", ["email": "bob@example.com", "password": password]).json
            return (try #require(session["accessToken"] as? String), try #require(session["refreshToken"] as? String))
        }
        /// Calls `path` with `token` on `b` (answer `before`), makes the change on `a`, then
        /// expects `after` from both.
        func check(
            _ what: String, _ path: String, token: String, before: Int = 200, after: Int, change: () async throws -> Void
        ) async throws {
            #expect(try await b.call(http, "GET", path, token: token).status == before, "\(what): before")
            try await change()
            #expect(try await b.call(http, "GET", path, token: token).status == after, "\(what): the other process")
            #expect(try await a.call(http, "GET", path, token: token).status == after, "\(what): the same process")
        }

        let loggedOut = try await login()
        try await check("logout", "/user/profile", token: loggedOut.access, after: 401) {
            let answered = try await a.call(http, "POST", "/user/logout", token: loggedOut.access).status
            #expect(answered == 200)
        }

        let (acting, victim) = (try await login(), try await login())
        let victimId = try #require(try jwtSection(victim.access, 1)["sid"] as? String)
        try await check("token revoked", "/user/profile", token: victim.access, after: 401) {
            let answered = try await a.call(http, "DELETE", "/token/\(victimId)", token: acting.access).status
            #expect(answered == 200)
        }

        let reused = try await login()
        try await check("refresh token reused", "/user/profile", token: reused.access, after: 401) {
            let rotated = try await a.call(http, "POST", "/user/refresh", ["refreshToken": reused.refresh]).status
            let replayed = try await a.call(http, "POST", "/user/refresh", ["refreshToken": reused.refresh]).status
            #expect((rotated, replayed) == (200, 401))
        }

        // Role and membership: what `GET /bucket/available` shows Bob follows at once.
        let member = try await login()
        func available() async throws -> (a: String, b: String) {
            (
                try await a.call(http, "GET", "/bucket/available", token: member.access).text,
                try await b.call(http, "GET", "/bucket/available", token: member.access).text
            )
        }
        #expect(try await available().b.contains(bucketId))
        #expect(try await a.call(http, "DELETE", "/workspace/\(workspaceId)/users/\(bobId)", token: ada).status == 200)
        #expect(try await available() == ("[]", "[]"), "membership removed")
        #expect(try await a.call(http, "PUT", "/user/\(bobId)/role", ["orgRole": 254], token: ada).status == 200)
        #expect(try await available().b.contains(bucketId), "role raised to ADMINISTRATORS")
        #expect(try await a.call(http, "PUT", "/user/\(bobId)/role", ["orgRole": 0], token: ada).status == 200)
        #expect(try await available() == ("[]", "[]"), "role lowered to USER")

        let beforePassword = try await login()
        try await check("password changed", "/user/profile", token: beforePassword.access, after: 401) {
            let answered = try await a.call(http, "PUT", "/organization/users/\(bobId)", ["password": "N3wPassw0rd!"], token: ada).status
            #expect(answered == 200)
        }

        // Repository keys in the gateways: a deleted key, then a deleted repository.
        let repository = try await a.call(
            http, "POST", "/repo",
            [
                "name": "keys", "storageType": "S3", "mode": "NORMAL", "workspaceId": workspaceId,
                "repoBuckets": [["bucketId": bucketId, "folder": "f"] as [String: any Sendable]],
            ], token: ada)
        let repoId = try #require(repository.json["repoId"] as? String)
        for target in ["key", "repository"] {
            let key = try await a.call(http, "POST", "/repo/\(repoId)/apikey", ["name": target, "accessType": "WRITE"], token: ada).json
            let credentials = (try #require(key["key"] as? String), try #require(key["secret"] as? String))
            // The bucket points nowhere: a key that is let in gets the provider's failure, never 403.
            #expect(try await b.s3(http, "GET", "/listed/x", key: credentials) != 403, "\(target): before")
            let path = target == "key" ? "/repo/\(repoId)/apikey/\(try #require(key["id"] as? String))" : "/repo/\(repoId)"
            #expect(try await a.call(http, "DELETE", path, token: ada).status == 200)
            #expect(try await b.s3(http, "GET", "/listed/x", key: credentials) == 403, "\(target) deleted: the other process")
            #expect(try await a.s3(http, "GET", "/listed/x", key: credentials) == 403, "\(target) deleted: the same process")
        }

        let deleted = try await b.call(http, "POST", "/user/login", ["email": "bob@example.com", "password": "N3wPassw0rd!"])
        let last = try #require(deleted.json["accessToken"] as? String)
        try await check("user deleted", "/user/profile", token: last, after: 404) {
            let answered = try await a.call(http, "DELETE", "/organization/users/\(bobId)", token: ada).status
            #expect(answered == 200)
        }
    }
}

/// A section of a JWT decoded as a JSON object: 0 the header, 1 the claims.
func jwtSection(_ token: String, _ index: Int) throws -> [String: Any] {
    let sections = token.split(separator: ".")
    try #require(sections.count == 3, "not a JWT")
    var text = String(sections[index]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    while text.count % 4 != 0 { text += "=" }
    let bytes = try #require(Data(base64Encoded: text))
    return try #require(try JSONSerialization.jsonObject(with: bytes) as? [String: Any])
}
