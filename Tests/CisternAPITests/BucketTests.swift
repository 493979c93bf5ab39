import CisternAPI
import CisternTestSupport
import Foundation
import SQLKit
import Testing

/// Buckets through HTTP against a real S3 server (docs/contract.md §4).
@Suite("Buckets")
struct BucketTests {
    /// The body of a create for `bucket` at the test S3 server, with its valid credentials.
    static func createBody(_ bucket: String, in workspaceId: String, name: String? = nil) throws -> [String: any Sendable] {
        let s3 = try S3TestServer.settings()
        return [
            "name": name ?? "Bucket \(bucket)", "bucket": bucket, "storageType": "S3", "key": s3.accessKey, "secret": s3.secretKey,
            "endpoint": s3.endpoint, "region": "us-east-1", "workspaceId": workspaceId,
        ]
    }

    @Test func registeringAReachableBucketStoresItOnline() async throws {
        let app = TestApp()
        try await app.run { api in
            let world = try await World.build(api)
            let owner = world.tokens[.owner]!
            let name = try await S3TestServer.createBucket()
            let created = try await api.request(.post, "/bucket", json: try Self.createBody(name, in: world.projectId), token: owner)
            #expect(created.status == .ok, "\(created.text)")
            #expect(created.keys == ["success", "bucketId"])
            let id = try #require(created.string("bucketId"))

            let list = try await api.request(.get, "/bucket", token: owner)
            #expect(list.keys == ["success", "buckets"])
            let bucket = try #require((list["buckets"] as? [[String: Any]])?.first)
            #expect(
                Set(bucket.keys) == [
                    "id", "name", "bucket", "storageType", "key", "endpoint", "region", "status", "lastStatusAt",
                    "latency_ms", "createdAt", "workspaceId", "repos",
                ])
            #expect(bucket["id"] as? String == id)
            #expect(bucket["status"] as? String == "ONLINE")
            #expect(bucket["lastStatusAt"] as? String == ISO8601DateFormatter().string(from: app.clock.now))
            #expect(bucket["key"] as? String == (try S3TestServer.settings().accessKey))
            #expect(bucket["workspaceId"] as? String == world.projectId)
            #expect((bucket["repos"] as? [Any])?.isEmpty == true)
            #expect(!list.text.contains(try S3TestServer.settings().secretKey))
        }
    }

    @Test func aBucketTheProviderRefusesIsNotStoredAndTheAnswerSaysWhy() async throws {
        try await TestApp().run { api in
            let world = try await World.build(api)
            let owner = world.tokens[.owner]!
            let name = try await S3TestServer.createBucket()
            var wrongSecret = try Self.createBody(name, in: world.projectId)
            wrongSecret["secret"] = "Wr0ng-secret-that-must-not-echo"
            let refused = try await api.request(.post, "/bucket", json: wrongSecret, token: owner)
            #expect(refused.status == .badRequest)
            // The provider's code, never its text.
            #expect(refused.string("message") == "Bucket validation failed: DISCONNECTED: SignatureDoesNotMatch", "\(refused.text)")
            #expect(!refused.text.contains("Wr0ng-secret-that-must-not-echo"))

            let missing = try await api.request(.post, "/bucket", json: try Self.createBody("no-such-bucket-here", in: world.projectId), token: owner)
            #expect(missing.status == .badRequest)
            #expect(missing.string("message")?.contains("NoSuchBucket") == true, "\(missing.text)")

            var unreachable = try Self.createBody(name, in: world.projectId)
            unreachable["endpoint"] = "http://127.0.0.1:\(try closedPort())"
            let offline = try await api.request(.post, "/bucket", json: unreachable, token: owner)
            #expect(offline.status == .badRequest)
            #expect(offline.string("message")?.hasPrefix("Bucket validation failed: OFFLINE") == true, "\(offline.text)")

            let list = try await api.request(.get, "/bucket", token: owner)
            #expect((list["buckets"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func withValidationOffBucketsAreAcceptedUncheckedAndAzureIsStoredAsBlob() async throws {
        try await TestApp { $0.validateBuckets = false }.run { api in
            let world = try await World.build(api)
            let owner = world.tokens[.owner]!
            let created = try await api.request(
                .post, "/bucket",
                json: [
                    "name": "Blob", "bucket": "container", "storageType": "AZURE", "key": "account", "secret": "a2V5",
                    "workspaceId": world.projectId,
                ],
                token: owner
            )
            #expect(created.status == .ok, "\(created.text)")
            let bucket = try #require((try await api.request(.get, "/bucket", token: owner)["buckets"] as? [[String: Any]])?.first)
            #expect(bucket["storageType"] as? String == "BLOB")
            #expect(bucket["status"] is NSNull)
            #expect(bucket["lastStatusAt"] is NSNull)
            #expect(bucket["endpoint"] is NSNull)
        }
    }

    @Test func namesAreUniqueInTheOrganizationWhateverTheirCase() async throws {
        try await TestApp { $0.validateBuckets = false }.run { api in
            let world = try await World.build(api)
            let owner = world.tokens[.owner]!
            _ = try await api.createUnvalidatedBucket(in: world.projectId, as: owner, name: "Backups")
            let again = try await api.request(
                .post, "/bucket",
                json: ["name": "BACKUPS", "bucket": "b", "storageType": "S3", "key": "k", "secret": "s", "workspaceId": world.defaultWorkspaceId],
                token: owner
            )
            #expect(again.status == .badRequest)
            #expect(again.string("message")?.hasPrefix("name:") == true)
        }
    }

    @Test func theBucketQuotaAnswers429() async throws {
        try await TestApp {
            $0.validateBuckets = false
            $0.bucketsPerOrganization = 2
        }.run { api in
            let world = try await World.build(api)
            let owner = world.tokens[.owner]!
            _ = try await api.createUnvalidatedBucket(in: world.projectId, as: owner)
            _ = try await api.createUnvalidatedBucket(in: world.projectId, as: owner)
            let third = try await api.request(
                .post, "/bucket",
                json: ["name": "third", "bucket": "b", "storageType": "S3", "key": "k", "secret": "s", "workspaceId": world.projectId],
                token: owner
            )
            #expect(third.status == .tooManyRequests)
            #expect(third.keys == ["success", "message"])
        }
    }

    @Test func badFieldsAreNamed() async throws {
        try await TestApp { $0.validateBuckets = false }.run { api in
            let world = try await World.build(api)
            let owner = world.tokens[.owner]!
            let valid: [String: any Sendable] = [
                "name": "n", "bucket": "b", "storageType": "S3", "key": "k", "secret": "s",
                "workspaceId": world.projectId,
            ]
            let cases: [(String, any Sendable, String)] = [
                ("storageType", "FTP", "storageType: must be one of S3, GCS, BLOB (or AZURE)"),
                ("endpoint", "ftp://example.com", "endpoint: must be an http(s) URL such as https://s3.example.com"),
                ("bucket", "has space", "bucket: must be a bucket name without spaces, slashes, '?' or '#'"),
                ("workspaceId", "w1", "workspaceId: must be a UUID"),
                ("secret", "   ", "secret: must not be empty"),
                ("region", "us east", "region: must hold only letters, digits, '-' and '_'"),
                ("key", 12, "key: must be a string"),
            ]
            for (field, value, message) in cases {
                var body = valid
                body[field] = value
                let response = try await api.request(.post, "/bucket", json: body, token: owner)
                #expect(response.status == .badRequest, "\(field)")
                #expect(response.string("message") == message)
            }
            var missing = valid
            missing["secret"] = nil
            #expect(try await api.request(.post, "/bucket", json: missing, token: owner).string("message") == "secret: is required")
        }
    }

    @Test func renamingDoesNotRecheckButNewCredentialsAre() async throws {
        let app = TestApp()
        try await app.run { api in
            let world = try await World.build(api)
            let owner = world.tokens[.owner]!
            let id = try await Self.registerFreshBucket(api, in: world.projectId, as: owner).id
            let renamed = try await api.request(.put, "/bucket/\(id)", json: ["name": "Renamed"], token: owner)
            #expect(renamed.status == .ok)
            #expect(renamed.keys == ["success", "bucketId", "status", "latency_ms"])
            #expect(renamed.string("status") == "ONLINE")
            #expect(try await Self.history(api, id, owner).count == 1)

            let wrong = try await api.request(.put, "/bucket/\(id)", json: ["secret": "Wr0ng-new-secret"], token: owner)
            #expect(wrong.status == .badRequest)
            #expect(!wrong.text.contains("Wr0ng-new-secret"))
            // The refused change left the stored bucket as it was: it still validates.
            let stored = try await api.request(.post, "/bucket/\(id)/validate", token: owner)
            #expect(stored.string("status") == "ONLINE", "\(stored.text)")

            let other = try await S3TestServer.createBucket()
            // A new bucket name with the stored secret is refused: the secret only goes where it went before.
            let withoutSecret = try await api.request(.put, "/bucket/\(id)", json: ["bucket": other], token: owner)
            #expect(withoutSecret.status == .badRequest)
            #expect(withoutSecret.string("message")?.hasPrefix("secret: is required when") == true, "\(withoutSecret.text)")
            let moved = try await api.request(
                .put, "/bucket/\(id)", json: ["bucket": other, "secret": try S3TestServer.settings().secretKey], token: owner
            )
            #expect(moved.status == .ok, "\(moved.text)")
            #expect(try await Self.history(api, id, owner).count == 3)
            let bucket = try #require((try await api.request(.get, "/bucket", token: owner)["buckets"] as? [[String: Any]])?.first)
            #expect(bucket["bucket"] as? String == other)
            #expect(bucket["name"] as? String == "Renamed")
        }
    }

    @Test func movingABucketNeedsWriteOnBothWorkspaces() async throws {
        try await TestApp { $0.validateBuckets = false }.run { api in
            let world = try await World.build(api, withBucket: true)
            let writer = world.tokens[.writeMember]!
            let refused = try await api.request(.put, "/bucket/\(world.bucketId!)", json: ["workspaceId": world.defaultWorkspaceId], token: writer)
            #expect(refused.status == .notFound)
            #expect(refused.string("message") == "Workspace not found or access denied")
            let owner = world.tokens[.owner]!
            let moved = try await api.request(.put, "/bucket/\(world.bucketId!)", json: ["workspaceId": world.defaultWorkspaceId], token: owner)
            #expect(moved.status == .ok)
            // Now outside the writer's workspaces: as good as missing to them.
            #expect(try await api.request(.delete, "/bucket/\(world.bucketId!)", token: writer).status == .notFound)
        }
    }

    @Test func validatingWithCandidatesChecksThemWithoutTouchingTheStoredStatus() async throws {
        try await TestApp().run { api in
            let world = try await World.build(api)
            let owner = world.tokens[.owner]!
            let id = try await Self.registerFreshBucket(api, in: world.projectId, as: owner).id
            let candidate = try await api.request(.post, "/bucket/\(id)/validate", json: ["secret": "not-it"], token: owner)
            #expect(candidate.status == .ok)
            #expect(candidate.keys == ["success", "message", "status", "latency_ms"])
            #expect(candidate["success"] as? Bool == false)
            #expect(candidate.string("status") == "DISCONNECTED")
            let status = try await api.request(.get, "/bucket/\(id)/status", token: owner)
            #expect(status.keys == ["bucketId", "status", "lastStatusAt", "latency_ms", "history"])
            #expect(status.string("status") == "ONLINE")
            #expect((status["history"] as? [Any])?.count == 1)

            let stored = try await api.request(.post, "/bucket/\(id)/validate", token: owner)
            #expect(stored["success"] as? Bool == true)
            let history = try await Self.history(api, id, owner)
            #expect(history.count == 2)
            #expect(Set(history[0].keys) == ["status", "latency_ms", "checkedAt"])
        }
    }

    @Test func aDeletedBucketDisappearsFromEveryRead() async throws {
        try await TestApp { $0.validateBuckets = false }.run { api in
            let world = try await World.build(api, withBucket: true)
            let owner = world.tokens[.owner]!
            let id = world.bucketId!
            #expect(try await api.request(.delete, "/bucket/\(id)", token: owner).text == #"{"success":true}"#)
            #expect((try await api.request(.get, "/bucket", token: owner)["buckets"] as? [Any])?.isEmpty == true)
            #expect(try await api.request(.get, "/bucket/available", token: owner).text == "[]")
            let again = try await api.request(.delete, "/bucket/\(id)", token: owner)
            #expect(again.status == .notFound)
            #expect(again.text == #"{"message":"Bucket not found","success":false}"#)
            #expect(try await api.request(.get, "/bucket/\(id)/status", token: owner).status == .notFound)
        }
    }

    @Test func noSecretReachesAResponseOrTheDatabaseFile() async throws {
        let app = TestApp()
        let secret = try S3TestServer.settings().secretKey
        try await app.run { api in
            let world = try await World.build(api)
            let owner = world.tokens[.owner]!
            let id = try await Self.registerFreshBucket(api, in: world.projectId, as: owner).id
            var seen = ""
            for (method, uri) in [
                ("GET", "/bucket"), ("GET", "/bucket/available"), ("GET", "/bucket/\(id)/status"), ("POST", "/bucket/\(id)/validate"),
                ("PUT", "/bucket/\(id)"),
            ] {
                let response = try await api.request(.init(method)!, uri, json: method == "PUT" ? ["region": "us-east-1"] : nil, token: owner)
                #expect(response.status == .ok, "\(uri)")
                seen += response.text
            }
            #expect(!seen.contains(secret))
            // The database file and its write-ahead log hold only the sealed form.
            for suffix in TestDatabase.onPostgres ? [] : ["", "-wal"] {
                let path = "\(app.dataDirectory)/cistern.sqlite\(suffix)"
                let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(path)")
            }
            let sealed = try await app.withDatabase { database in
                try await database.withConnection { sql in
                    try await sql.raw("SELECT secret_message, secret_key_version FROM buckets").first()
                }
            }
            #expect(try sealed?.decode(column: "secret_key_version", as: String.self).hasPrefix("mk-") == true)
        }
    }

    /// Creates a bucket at the S3 server and registers it (validated); returns its id and provider name.
    static func registerFreshBucket(_ api: APIClient, in workspaceId: String, as token: String) async throws -> (id: String, name: String) {
        let name = try await S3TestServer.createBucket()
        let response = try await api.request(.post, "/bucket", json: try createBody(name, in: workspaceId), token: token)
        #expect(response.status == .ok, "\(response.text)")
        return (try #require(response.string("bucketId")), name)
    }

    static func history(_ api: APIClient, _ id: String, _ token: String) async throws -> [[String: Any]] {
        try #require(try await api.request(.get, "/bucket/\(id)/status", token: token)["history"] as? [[String: Any]])
    }
}
