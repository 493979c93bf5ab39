import AsyncHTTPClient
import CisternCore
import CisternTestSupport
import Foundation
import Testing

/// `cistern admin rotate-master-key` seals every stored secret under the new master key in one
/// transaction while a replica that holds both keys keeps serving; afterwards the old key can go.
@Suite("Master key rotation", .timeLimit(.minutes(3)))
struct MasterKeyRotationTests {
    @Test func everySecretMovesToTheNewKeyWhileAReplicaServes() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cistern-mk-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var environment = try await ReplicaTests.sharedEnvironment(in: directory)
        let (old, new) = (KeyMaterial.generate(), KeyMaterial.generate())
        environment["CISTERN_MASTER_KEY"] = old.base64
        let http = HTTPClient.shared
        let data = directory + "/data"

        var server = try await Replica.healthy(http, environment: environment, dataDirectory: data)
        let token = try #require(
            try await server.call(
                http, "POST", "/user/register",
                ["email": "ada@example.com", "password": "Passw0rd!", "firstName": "A", "lastName": "L", "companyName": "Keys"]
            ).json["accessToken"] as? String)
        let workspace = try #require(
            (try await server.call(http, "POST", "/workspace", ["name": "W"], token: token).json["workspace"] as? [String: Any])?["id"]
                as? String)
        let bucket = try #require(
            try await server.call(
                http, "POST", "/bucket",
                [
                    "name": "sealed", "bucket": "sealed", "storageType": "S3", "key": "AKID", "secret": "the-bucket-secret",
                    "endpoint": "http://127.0.0.1:1", "workspaceId": workspace,
                ], token: token
            ).json["bucketId"] as? String)
        let repo = try #require(
            try await server.call(
                http, "POST", "/repo",
                [
                    "name": "r", "storageType": "S3", "mode": "NORMAL", "workspaceId": workspace,
                    "repoBuckets": [["bucketId": bucket, "folder": "f"] as [String: any Sendable]],
                ], token: token
            ).json["repoId"] as? String)
        let key = try await server.call(http, "POST", "/repo/\(repo)/apikey", ["name": "k", "accessType": "WRITE"], token: token).json
        let credentials = (try #require(key["key"] as? String), try #require(key["secret"] as? String))
        server.stop()

        // The new key alone cannot start: the database holds secrets sealed under the old one.
        environment["CISTERN_MASTER_KEY"] = new.base64
        let refused = try Replica(environment: environment, dataDirectory: data)
        let (status, output) = try await refused.waitForExit(seconds: 30)
        #expect(status != 0 && output.contains("master key"), "\(output)")

        // With both, a replica serves (its gateway opens the old-sealed key secret), and the
        // rotation runs beside it.
        environment["CISTERN_MASTER_KEY_PREVIOUS"] = old.base64
        server = try await Replica.healthy(http, environment: environment, dataDirectory: data)
        #expect(try await server.s3(http, "GET", "/sealed/x", key: credentials) != 403)
        var cli = CommandLineTests.CLI(configHome: directory)
        cli.environment = environment
        let rotated = try await cli("admin", "rotate-master-key", "--data-dir", data)
        #expect(rotated.status == 0 && rotated.out.contains("sealed 1 bucket secret(s) and 1 repository key secret(s) again"), "\(rotated)")
        #expect(!rotated.out.contains(old.base64) && !rotated.out.contains(new.base64) && !rotated.err.contains(new.base64))
        let again = try await cli("admin", "rotate-master-key", "--data-dir", data)
        #expect(again.out.contains("sealed 0 bucket secret(s) and 0 repository key secret(s) again"), "\(again)")
        #expect(try await server.s3(http, "GET", "/sealed/x", key: credentials) != 403, "the serving replica, mid-rotation")
        server.stop()

        // The old key can go.
        environment["CISTERN_MASTER_KEY_PREVIOUS"] = nil
        server = try await Replica.healthy(http, environment: environment, dataDirectory: data)
        defer { server.stop() }
        #expect(try await server.s3(http, "GET", "/sealed/x", key: credentials) != 403)
        // Both rotations are on the audit log, as the installation's events.
        let login = try await server.call(http, "POST", "/user/login", ["email": "ada@example.com", "password": "Passw0rd!"])
        let owner = try #require(login.json["accessToken"] as? String)
        let log = try await server.call(http, "GET", "/audit?action=master-key.rotate", token: owner).json
        let rotations = try #require(log["events"] as? [[String: Any]])
        #expect(rotations.map { $0["details"] as? [String: String] } == [["buckets": "0", "keys": "0"], ["buckets": "1", "keys": "1"]])
        #expect(rotations.allSatisfy { ($0["userAgent"] as? String)?.hasPrefix("cistern admin") == true && $0["actorId"] == nil })
        let signed = try await server.s3(http, "GET", "/sealed/x", key: (credentials.0, "not-the-secret"))
        #expect(signed == 403, "a wrong secret is still refused")
    }
}
