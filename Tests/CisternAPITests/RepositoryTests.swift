import CisternAPI
import CisternBootstrap
import CisternCore
import CisternStore
import CisternTestSupport
import Foundation
import Logging
import SQLKit
import Testing

/// Repositories and their keys through HTTP (docs/contract.md §5 and §6).
@Suite("Repositories")
struct RepositoryTests {
    static func body(_ mode: String, _ members: [[String: any Sendable]], workspace: String, name: String = "Repo") -> [String: any Sendable] {
        ["name": name, "storageType": "S3", "mode": mode, "workspaceId": workspace, "repoBuckets": members]
    }

    @Test func aRepositoryIsListedWithItsMembersBucketsAndKeys() async throws {
        try await TestApp { $0.validateBuckets = false }.run { api in
            let (world, buckets) = try await World.build(api, buckets: 2)
            let owner = world.tokens[.owner]!
            let id = try await api.createRepository(
                in: world.projectId, mode: "MIRROR",
                members: [["bucketId": buckets[0], "master": true], ["bucketId": buckets[1], "folder": ""]], as: owner, name: "Backups"
            )
            let key = try await api.request(.post, "/repo/\(id)/apikey", json: ["name": "ci", "accessType": "WRITE"], token: owner)
            let list = try await api.request(.get, "/repo?repoId=\(id)", token: owner)
            #expect(list.keys == ["success", "repos"])
            let repo = try #require((list["repos"] as? [[String: Any]])?.first)
            #expect(Set(repo.keys) == ["id", "name", "storageType", "mode", "workspaceId", "buckets", "apiKeys", "createdAt", "disabled"])
            #expect(repo["mode"] as? String == "MIRROR")
            #expect(repo["disabled"] as? Bool == false)
            let members = try #require(repo["buckets"] as? [[String: Any]])
            #expect(members.map { $0["bucketId"] as? String } == buckets)
            #expect(members.map { $0["master"] as? Bool } == [true, false])
            #expect(Set(members[0].keys) == ["bucketId", "folder", "master", "bucket"])
            let memberBucket = try #require(members[0]["bucket"] as? [String: Any])
            #expect((memberBucket["repos"] as? [[String: Any]])?.first?["id"] as? String == id)
            let keys = try #require(repo["apiKeys"] as? [[String: Any]])
            #expect(keys.count == 1)
            #expect(Set(keys[0].keys) == ["id", "name", "accessType", "key", "createdAt"])
            #expect(!list.text.contains(try #require(key.string("secret"))))
            // The bucket listing names the repositories that use each bucket.
            let bucketList = try await api.request(.get, "/bucket", token: owner)
            let used = (bucketList["buckets"] as? [[String: Any]])?.first { $0["id"] as? String == buckets[0] }
            #expect((used?["repos"] as? [[String: Any]])?.map { $0["name"] as? String } == ["Backups"])
        }
    }

    @Test func mirrorMembersLeaveTheAvailableListAndComeBackWhenReleased() async throws {
        try await TestApp { $0.validateBuckets = false }.run { api in
            let (world, buckets) = try await World.build(api, buckets: 3)
            let owner = world.tokens[.owner]!
            #expect(Set(try await api.availableIds(owner)) == Set(buckets))
            // NORMAL use keeps buckets available.
            let normal = try await api.createRepository(
                in: world.projectId, mode: "NORMAL", members: [["bucketId": buckets[0], "folder": "a"]], as: owner, name: "Normal"
            )
            #expect(Set(try await api.availableIds(owner)) == Set(buckets))
            // A MIRROR claim removes its members at once.
            let mirror = try await api.createRepository(
                in: world.projectId, mode: "MIRROR", members: [["bucketId": buckets[1], "master": true], ["bucketId": buckets[2]]], as: owner,
                name: "Mirror"
            )
            #expect(try await api.availableIds(owner) == [buckets[0]])
            // Dropping a member from the MIRROR gives it back.
            let shrink = try await api.request(
                .put, "/repo/\(mirror)", json: ["repoBuckets": [["bucketId": buckets[1], "master": true] as [String: any Sendable]]], token: owner
            )
            #expect(shrink.status == .ok, "\(shrink.text)")
            #expect(Set(try await api.availableIds(owner)) == [buckets[0], buckets[2]])
            // Turning the NORMAL repository into a MIRROR claims its bucket.
            let turn = try await api.request(
                .put, "/repo/\(normal)",
                json: ["mode": "MIRROR", "repoBuckets": [["bucketId": buckets[0], "master": true] as [String: any Sendable]]], token: owner
            )
            #expect(turn.status == .ok, "\(turn.text)")
            #expect(try await api.availableIds(owner) == [buckets[2]])
            // Deleting repositories releases everything.
            #expect(try await api.request(.delete, "/repo/\(mirror)", token: owner).status == .ok)
            #expect(try await api.request(.delete, "/repo/\(normal)", token: owner).status == .ok)
            #expect(Set(try await api.availableIds(owner)) == Set(buckets))
            // And the buckets, no longer in use, can be deleted.
            #expect(try await api.request(.delete, "/bucket/\(buckets[1])", token: owner).status == .ok)
        }
    }

    @Test func everyErrorCodeAndItsDryRunAgree() async throws {
        try await TestApp {
            $0.validateBuckets = false
            $0.repositoriesPerOrganization = 4
        }.run { api in
            let (world, buckets) = try await World.build(api, buckets: 4)
            let owner = world.tokens[.owner]!
            let ws = world.projectId
            _ = try await api.createRepository(in: ws, mode: "MIRROR", members: [["bucketId": buckets[0], "master": true]], as: owner, name: "Owned")
            _ = try await api.createRepository(in: ws, mode: "NORMAL", members: [["bucketId": buckets[1], "folder": "x"]], as: owner, name: "Shared")
            // Two registrations of one provider bucket (under different labels).
            var twins: [String] = []
            for label in ["Twin A", "Twin B"] {
                let body: [String: any Sendable] = [
                    "name": label, "bucket": "twin-bucket", "storageType": "S3", "key": "AKIDNOWHERE", "secret": "not-checked",
                    "endpoint": "http://127.0.0.1:9", "workspaceId": ws,
                ]
                twins.append(try #require(try await api.request(.post, "/bucket", json: body, token: owner).string("bucketId")))
            }
            let cases: [(String, [String: any Sendable], Int, String)] = [
                ("unknown bucket", Self.body("NORMAL", [["bucketId": UUID().uuidString]], workspace: ws), 404, "NOT_FOUND"),
                ("no master", Self.body("MIRROR", [["bucketId": buckets[2]]], workspace: ws), 400, "MIRROR_MASTER_UNIT_MISSING"),
                ("no members", Self.body("MIRROR", [], workspace: ws), 400, "MIRROR_MASTER_UNIT_MISSING"),
                (
                    "two masters",
                    Self.body(
                        "MIRROR", [["bucketId": buckets[2], "master": true], ["bucketId": buckets[3], "master": true]],
                        workspace: ws), 400, "MIRROR_MASTER_UNIT_COUNT_INVALID"
                ),
                (
                    "mirror over a mirrored bucket", Self.body("MIRROR", [["bucketId": buckets[0], "master": true]], workspace: ws), 409,
                    "MIRROR_UNIT_ALREADY_IN_OTHER_REPO"
                ),
                (
                    "mirror over a shared bucket", Self.body("MIRROR", [["bucketId": buckets[1], "master": true]], workspace: ws), 409,
                    "MIRROR_UNIT_ALREADY_IN_OTHER_REPO"
                ),
                (
                    "normal inside a mirrored bucket", Self.body("NORMAL", [["bucketId": buckets[0], "folder": "y"]], workspace: ws), 409,
                    "MIRROR_UNIT_ALREADY_IN_OTHER_REPO"
                ),
                (
                    "same folder twice",
                    Self.body(
                        "NORMAL", [["bucketId": buckets[2], "folder": "f"], ["bucketId": buckets[2], "folder": "f/"]],
                        workspace: ws), 409, "NORMAL_UNIT_FOLDER_ALREADY_USED"
                ),
                (
                    "folder used elsewhere", Self.body("NORMAL", [["bucketId": buckets[1], "folder": "x"]], workspace: ws), 409,
                    "NORMAL_UNIT_FOLDER_ALREADY_USED"
                ),
                (
                    "folder inside one used elsewhere", Self.body("NORMAL", [["bucketId": buckets[1], "folder": "x/inner"]], workspace: ws), 409,
                    "NORMAL_UNIT_FOLDER_ALREADY_USED"
                ),
                (
                    "whole bucket beside a used folder", Self.body("NORMAL", [["bucketId": buckets[1], "folder": ""]], workspace: ws), 409,
                    "NORMAL_UNIT_FOLDER_ALREADY_USED"
                ),
                (
                    "two members with one provider bucket name",
                    Self.body("NORMAL", [["bucketId": twins[0], "folder": "t"], ["bucketId": twins[1], "folder": "t"]], workspace: ws), 409,
                    "NORMAL_UNIT_FOLDER_ALREADY_USED"
                ),
                (
                    "name in use", Self.body("NORMAL", [["bucketId": buckets[2], "folder": "n"]], workspace: ws, name: "SHARED"), 409,
                    "NAME_ALREADY_USED"
                ),
            ]
            for (label, body, status, code) in cases {
                let real = try await api.request(.post, "/repo", json: body, token: owner)
                #expect(Int(real.status.code) == status, "\(label): \(real.text)")
                #expect(real["error_code"] as? String == code, "\(label)")
                #expect(real.keys == ["success", "error_code", "error_message", "repoId"], "\(label): \(real.text)")
                let dry = try await api.request(.post, "/repo/validate", json: body, token: owner)
                #expect(dry.status == real.status, "\(label) dry run")
                #expect(dry["error_code"] as? String == code, "\(label) dry run: \(dry.text)")
            }
            // Two more repositories reach the quota of four.
            _ = try await api.createRepository(in: ws, mode: "NORMAL", members: [["bucketId": buckets[2], "folder": "q1"]], as: owner)
            _ = try await api.createRepository(in: ws, mode: "NORMAL", members: [["bucketId": buckets[2], "folder": "q2"]], as: owner)
            let over = Self.body("NORMAL", [["bucketId": buckets[2], "folder": "q3"]], workspace: ws, name: "Fifth")
            let quota = try await api.request(.post, "/repo", json: over, token: owner)
            #expect(quota.status == .tooManyRequests)
            #expect(quota["error_code"] as? String == "QUOTA_EXCEEDED")
            #expect(try await api.request(.post, "/repo/validate", json: over, token: owner)["error_code"] as? String == "QUOTA_EXCEEDED")
            let fine = try await api.request(
                .post, "/repo/validate", json: ["mode": "NORMAL", "repoBuckets": [["bucketId": buckets[3]]]],
                token: owner)
            #expect(fine["error_code"] as? String == "QUOTA_EXCEEDED", "a dry run of a create counts the quota too")
        }
    }

    @Test func updatesCannotEditTheFolderOfAStayingBucket() async throws {
        try await TestApp { $0.validateBuckets = false }.run { api in
            let (world, buckets) = try await World.build(api, buckets: 1)
            let owner = world.tokens[.owner]!
            let id = try await api.createRepository(
                in: world.projectId, mode: "NORMAL", members: [["bucketId": buckets[0], "folder": "a"]], as: owner)
            let body: [String: any Sendable] = ["repoBuckets": [["bucketId": buckets[0], "folder": "b"]]]
            let real = try await api.request(.put, "/repo/\(id)", json: body, token: owner)
            #expect(real.status == .badRequest)
            #expect(real["error_code"] as? String == "NORMAL_UNIT_CANNOT_EDIT_FOLDER")
            #expect(real.string("repoId") == id)
            let dry = try await api.request(.post, "/repo/\(id)/validate", json: body, token: owner)
            #expect(dry["error_code"] as? String == "NORMAL_UNIT_CANNOT_EDIT_FOLDER")
            #expect(try await api.request(.post, "/repo/\(id)/validate", json: ["name": "Still fine"], token: owner).text == #"{"success":true}"#)
        }
    }

    @Test func aFolderThatHoldsObjectsCannotBeDroppedButAnEmptyOneCan() async throws {
        try await TestApp().run { api in
            let world = try await World.build(api)
            let owner = world.tokens[.owner]!
            let name = try await S3TestServer.createBucket()
            try await withS3Provider { try await S3TestServer.putObject("full/report.txt", in: name, with: $0) }
            let bucket = try #require(
                try await api.request(.post, "/bucket", json: try BucketTests.createBody(name, in: world.projectId), token: owner).string("bucketId")
            )
            let other = try await S3TestServer.createBucket()
            let spare = try #require(
                try await api.request(.post, "/bucket", json: try BucketTests.createBody(other, in: world.projectId), token: owner)
                    .string("bucketId")
            )
            let full = try await api.createRepository(
                in: world.projectId, mode: "NORMAL", members: [["bucketId": bucket, "folder": "full"]], as: owner)
            let empty = try await api.createRepository(
                in: world.projectId, mode: "NORMAL", members: [["bucketId": bucket, "folder": "empty"]], as: owner
            )
            let move: [String: any Sendable] = ["repoBuckets": [["bucketId": spare, "folder": "elsewhere"]]]
            let refused = try await api.request(.put, "/repo/\(full)", json: move, token: owner)
            #expect(refused.status == .badRequest)
            #expect(refused["error_code"] as? String == "NORMAL_UNIT_FOLDER_CANNOT_DELETE", "\(refused.text)")
            #expect(
                try await api.request(.post, "/repo/\(full)/validate", json: move, token: owner)["error_code"] as? String
                    == "NORMAL_UNIT_FOLDER_CANNOT_DELETE")
            let moved = try await api.request(.put, "/repo/\(empty)", json: ["repoBuckets": [["bucketId": spare, "folder": "empty"]]], token: owner)
            #expect(moved.status == .ok, "\(moved.text)")
        }
    }

    /// Sends every body to `POST /repo` at once; each answer's status and error code.
    static func createAtOnce(_ api: APIClient, token: String, bodies: [[String: any Sendable]]) async throws -> [(Int, String?)] {
        try await withThrowingTaskGroup(of: (Int, String?).self) { group in
            for body in bodies {
                group.addTask {
                    let response = try await api.request(.post, "/repo", json: body, token: token)
                    return (Int(response.status.code), response["error_code"] as? String)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    @Test func concurrentMirrorClaimsOnOneBucketHaveExactlyOneWinner() async throws {
        try await TestApp { $0.validateBuckets = false }.run { api in
            let (world, buckets) = try await World.build(api, buckets: 1)
            let owner = world.tokens[.owner]!
            let statuses = try await Self.createAtOnce(
                api, token: owner,
                bodies: (0..<24).map { attempt in
                    Self.body("MIRROR", [["bucketId": buckets[0], "master": true]], workspace: world.projectId, name: "race-\(attempt)")
                })
            #expect(statuses.filter { $0.0 == 200 }.count == 1)
            #expect(statuses.filter { $0.0 == 409 && $0.1 == "MIRROR_UNIT_ALREADY_IN_OTHER_REPO" }.count == 23, "\(statuses)")
            #expect(try await api.availableIds(owner).isEmpty)
            let repos = try await api.request(.get, "/repo", token: owner)
            #expect((repos["repos"] as? [Any])?.count == 1)
        }
    }

    @Test func concurrentNormalClaimsOfNestedFoldersHaveExactlyOneWinner() async throws {
        try await TestApp { $0.validateBuckets = false }.run { api in
            let (world, buckets) = try await World.build(api, buckets: 1)
            let owner = world.tokens[.owner]!
            // "a", "a/a", "a/a/a", ...: each holds or lies inside every other, so one may stand.
            let outcomes = try await Self.createAtOnce(
                api, token: owner,
                bodies: (1...16).map { depth in
                    let folder = Array(repeating: "a", count: depth).joined(separator: "/")
                    return Self.body("NORMAL", [["bucketId": buckets[0], "folder": folder]], workspace: world.projectId, name: "nest-\(depth)")
                })
            #expect(outcomes.filter { $0.0 == 200 }.count == 1, "\(outcomes)")
            #expect(outcomes.filter { $0 == (409, "NORMAL_UNIT_FOLDER_ALREADY_USED") }.count == 15, "\(outcomes)")
        }
    }

    @Test func anUpdateCannotAddAFolderOverlappingAnothers() async throws {
        try await TestApp { $0.validateBuckets = false }.run { api in
            let (world, buckets) = try await World.build(api, buckets: 2)
            let owner = world.tokens[.owner]!
            let ws = world.projectId
            _ = try await api.createRepository(in: ws, mode: "NORMAL", members: [["bucketId": buckets[0], "folder": "reports"]], as: owner)
            let mover = try await api.createRepository(in: ws, mode: "NORMAL", members: [["bucketId": buckets[1], "folder": "m"]], as: owner)
            for folder in ["reports/2024", "", "reports"] {
                let body: [String: any Sendable] = [
                    "repoBuckets": [["bucketId": buckets[1], "folder": "m"], ["bucketId": buckets[0], "folder": folder]]
                ]
                for path in ["/repo/\(mover)", "/repo/\(mover)/validate"] {
                    let response = try await api.request(path.hasSuffix("validate") ? .post : .put, path, json: body, token: owner)
                    #expect(response.status == .conflict, "\(path) \(folder): \(response.text)")
                    #expect(response["error_code"] as? String == "NORMAL_UNIT_FOLDER_ALREADY_USED")
                }
            }
            // A sibling folder is fine.
            let sibling = try await api.request(
                .put, "/repo/\(mover)",
                json: ["repoBuckets": [["bucketId": buckets[1], "folder": "m"], ["bucketId": buckets[0], "folder": "reports-old"]]], token: owner
            )
            #expect(sibling.status == .ok, "\(sibling.text)")
        }
    }

    @Test func concurrentNormalAndMirrorClaimsNeverShareABucket() async throws {
        try await TestApp { $0.validateBuckets = false }.run { api in
            let (world, buckets) = try await World.build(api, buckets: 1)
            let owner = world.tokens[.owner]!
            let outcomes = try await withThrowingTaskGroup(of: (String, Int).self) { group in
                for attempt in 0..<24 {
                    let mirror = attempt % 2 == 0
                    group.addTask {
                        let members: [[String: any Sendable]] =
                            mirror
                            ? [["bucketId": buckets[0], "master": true]] : [["bucketId": buckets[0], "folder": "f\(attempt)"]]
                        let response = try await api.request(
                            .post, "/repo",
                            json: Self.body(mirror ? "MIRROR" : "NORMAL", members, workspace: world.projectId, name: "mix-\(attempt)"),
                            token: owner
                        )
                        return (mirror ? "MIRROR" : "NORMAL", Int(response.status.code))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let mirrorWins = outcomes.filter { $0 == ("MIRROR", 200) }.count
            let normalWins = outcomes.filter { $0 == ("NORMAL", 200) }.count
            let unexpected = outcomes.filter { outcome in outcome.1 != 200 && outcome.1 != 409 }
            #expect(unexpected.isEmpty, "\(unexpected)")
            // Either one MIRROR owns the bucket alone, or only NORMAL repositories share it.
            #expect((mirrorWins == 1 && normalWins == 0) || (mirrorWins == 0 && normalWins >= 1), "\(outcomes)")
            #expect(try await api.availableIds(owner) == (mirrorWins == 1 ? [] : [buckets[0]]))
        }
    }

    @Test func keysShowTheirSecretOnceAndDieWithTheirRepository() async throws {
        let app = TestApp { $0.validateBuckets = false }
        try await app.run { api in
            let (world, buckets) = try await World.build(api, buckets: 1)
            let owner = world.tokens[.owner]!
            let repo = try await api.createRepository(in: world.projectId, mode: "NORMAL", members: [["bucketId": buckets[0]]], as: owner)
            let created = try await api.request(.post, "/repo/\(repo)/apikey", json: ["name": "deploy", "accessType": "write"], token: owner)
            #expect(created.keys == ["success", "id", "key", "secret"])
            let key = try #require(created.string("key"))
            let secret = try #require(created.string("secret"))
            let keyId = try #require(created.string("id"))
            #expect(key.count == 20 && key.allSatisfy { ($0.isUppercase || $0.isNumber) && $0.isASCII })
            #expect(secret.count == 40 && secret.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })

            let list = try await api.request(.get, "/repo/\(repo)/apikey", token: owner)
            let keys = try #require(list["keys"] as? [[String: Any]])
            #expect(keys.map { $0["key"] as? String } == [key])
            #expect(keys.first?["accessType"] as? String == "WRITE")
            #expect(!list.text.contains(secret))
            #expect(try await api.request(.put, "/repo/\(repo)/apikey/\(keyId)", json: ["accessType": "ADMIN"], token: owner).status == .ok)
            let bad = try await api.request(.put, "/repo/\(repo)/apikey/\(keyId)", json: ["accessType": "ROOT"], token: owner)
            #expect(bad.status == .badRequest)
            #expect(bad["error_message"] as? String == "accessType: must be one of READ, WRITE, ADMIN")

            // The gateway's view: the key resolves to its repository and secret, until the repository goes.
            let sealer = SecretSealer(current: try DataDirectory.prepare(app.configuration, logger: Logger(label: "test")).masterKey)
            let opened = try await app.withDatabase { database in
                try await SQLRepositoryStore(database: database).credential(accessKey: key)
            }
            let credential = try #require(opened)
            #expect(credential.repository.id.canonical == repo)
            #expect(try sealer.open(credential.key.secret, context: "repokey:\(keyId)").revealed == secret)
            if !TestDatabase.onPostgres {
                let databaseBytes = try Data(contentsOf: URL(fileURLWithPath: "\(app.dataDirectory)/cistern.sqlite-wal"))
                #expect(databaseBytes.range(of: Data(secret.utf8)) == nil)
            }
            let stored = try await app.withDatabase { database in
                try await database.withConnection { sql in try await sql.raw("SELECT secret_message FROM repository_keys").all() }
            }
            #expect(try stored.allSatisfy { try $0.decode(column: "secret_message", as: String.self) != secret })

            #expect(try await api.request(.delete, "/repo/\(repo)", token: owner).status == .ok)
            let afterDelete = try await app.withDatabase { database in
                try await SQLRepositoryStore(database: database).credential(accessKey: key)
            }
            #expect(afterDelete == nil)
            let gone = try await api.request(.get, "/repo/\(repo)/apikey", token: owner)
            #expect(gone.status == .notFound)
            #expect(gone["error_code"] as? String == "NOT_FOUND")
            #expect(gone.string("repoId") == repo)
        }
    }

    @Test func badRepositoryBodiesNameTheField() async throws {
        try await TestApp { $0.validateBuckets = false }.run { api in
            let (world, buckets) = try await World.build(api, buckets: 1)
            let owner = world.tokens[.owner]!
            let cases: [([String: any Sendable], String)] = [
                (Self.body("SIDEWAYS", [], workspace: world.projectId), "mode: must be NORMAL or MIRROR"),
                (Self.body("NORMAL", [["bucketId": "x"]], workspace: world.projectId), "repoBuckets[0].bucketId: must be a UUID"),
                (
                    Self.body("NORMAL", [["bucketId": buckets[0], "folder": "/abs"]], workspace: world.projectId),
                    "repoBuckets[0].folder: must not start with '/'"
                ),
                (
                    Self.body("NORMAL", [["bucketId": buckets[0], "folder": "a/../b"]], workspace: world.projectId),
                    "repoBuckets[0].folder: must not contain empty, '.' or '..' segments"
                ),
                (
                    Self.body("MIRROR", [["bucketId": buckets[0], "folder": "x", "master": true]], workspace: world.projectId),
                    "repoBuckets[0].folder: must be empty: MIRROR members are whole buckets"
                ),
            ]
            for (body, message) in cases {
                let response = try await api.request(.post, "/repo", json: body, token: owner)
                #expect(response.status == .badRequest)
                #expect(response["error_message"] as? String == message, "\(response.text)")
                #expect(response["error_code"] as? String == "INVALID_REQUEST")
            }
        }
    }
}
