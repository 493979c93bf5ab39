import AsyncHTTPClient
import CisternCore
import CisternProviders
import CisternTestSupport
import Crypto
import Foundation
import NIOCore
import Testing

/// Two `cistern serve` processes on one database (one SQLite file, or one PostgreSQL database on
/// the PostgreSQL pass), with requests spread over both.
@Suite("Replicas", .timeLimit(.minutes(5)))
struct ReplicaTests {
    /// What replicas of one deployment share: the keys and a fresh database (in `directory` for
    /// SQLite), with quick password hashing and quiet logs.
    static func sharedEnvironment(in directory: String) async throws -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["CISTERN_JWT_SECRET"] = KeyMaterial.generate().base64
        environment["CISTERN_MASTER_KEY"] = KeyMaterial.generate().base64
        environment["CISTERN_DATABASE_URL"] = try await TestDatabase.freshURL(in: directory)
        environment["CISTERN_VALIDATE_BUCKETS"] = "false"
        environment["CISTERN_BCRYPT_COST"] = "4"
        environment["CISTERN_LOG_LEVEL"] = "warning"
        // Hundreds of tests share one PostgreSQL server: each process needs few connections.
        environment["CISTERN_DATABASE_POOL_SIZE"] = "2"
        return environment
    }

    @Test func twoProcessesShareOneTruthAndOneWinnerPerMirrorClaim() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cistern-replicas-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var environment = try await Self.sharedEnvironment(in: directory)
        environment["CISTERN_GATEWAY_PORT"] = "0"

        // Both start at once: their migrations must take turns.
        let replicas = try [0, 1].map { try Replica(environment: environment, dataDirectory: "\(directory)/data\($0)") }
        defer { for replica in replicas { replica.stop() } }
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            for replica in replicas { try await replica.waitUntilHealthy(http) }
            let (a, b) = (replicas[0], replicas[1])

            let registered = try await a.call(
                http, "POST", "/user/register",
                [
                    "email": "ada@example.com", "password": "Passw0rd!", "firstName": "Ada", "lastName": "L", "companyName": "Two",
                ])
            #expect(registered.status == 201, "\(registered.json)")
            // A token from one replica works on the other.
            let login = try await b.call(http, "POST", "/user/login", ["email": "ada@example.com", "password": "Passw0rd!"])
            let token = try #require(login.json["accessToken"] as? String)
            let workspace = try await a.call(http, "POST", "/workspace", ["name": "Shared"], token: token)
            let workspaceId = try #require((workspace.json["workspace"] as? [String: Any])?["id"] as? String)
            let bucket = try await b.call(
                http, "POST", "/bucket",
                [
                    "name": "contended", "bucket": "b", "storageType": "S3", "key": "k", "secret": "s", "workspaceId": workspaceId,
                ], token: token)
            let bucketId = try #require(bucket.json["bucketId"] as? String)
            // Both hold the list in memory now: the claim must still reach them before its answer.
            for replica in replicas {
                #expect(try await replica.call(http, "GET", "/bucket/available", token: token).text.contains(bucketId))
            }

            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for attempt in 0..<16 {
                    let replica = replicas[attempt % 2]
                    group.addTask {
                        try await replica.call(
                            http, "POST", "/repo",
                            [
                                "name": "mirror-\(attempt)", "storageType": "S3", "mode": "MIRROR", "workspaceId": workspaceId,
                                "repoBuckets": [["bucketId": bucketId, "master": true] as [String: any Sendable]],
                            ], token: token
                        ).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 200 }.count == 1, "\(statuses)")
            #expect(statuses.filter { $0 == 409 }.count == 15, "\(statuses)")
            for replica in replicas {
                let available = try await replica.call(http, "GET", "/bucket/available", token: token)
                #expect(available.text == "[]", "replica \(replica.port)")
                let repos = try await replica.call(http, "GET", "/repo", token: token)
                #expect((repos.json["repos"] as? [Any])?.count == 1)
            }
            // Released through one replica, available again through the other.
            let winner = try #require(
                ((try await a.call(http, "GET", "/repo", token: token)).json["repos"] as? [[String: Any]])?.first?["id"] as? String)
            #expect(try await b.call(http, "DELETE", "/repo/\(winner)", token: token).status == 200)
            let again = try await a.call(http, "GET", "/bucket/available", token: token)
            #expect(again.text.contains(bucketId))
            try await http.shutdown()
        } catch {
            try? await http.shutdown()
            throw error
        }
    }

    /// Each process counts the gateway traffic it served and writes it under its own node name;
    /// the statistics add both up.
    @Test func eachProcessRecordsItsOwnTrafficUnderItsNodeName() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cistern-traffic-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var environment = try await Self.sharedEnvironment(in: directory)
        environment["CISTERN_MONITOR_INTERVAL"] = "0"
        environment["CISTERN_STATS_INTERVAL"] = "1"
        var replicas: [Replica] = []
        defer { for replica in replicas { replica.stop() } }
        for name in ["node-a", "node-b"] {
            environment["CISTERN_NODE_NAME"] = name
            replicas.append(try Replica(environment: environment, dataDirectory: "\(directory)/\(name)"))
        }
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            for replica in replicas { try await replica.waitUntilHealthy(http) }
            let (a, b) = (replicas[0], replicas[1])
            let registered = try await a.call(
                http, "POST", "/user/register",
                ["email": "t@example.com", "password": "Passw0rd!", "firstName": "T", "lastName": "R", "companyName": "Traffic"])
            let token = try #require(registered.json["accessToken"] as? String)
            let workspaces = try await a.call(http, "GET", "/workspace", token: token)
            let workspaceId = try #require(((workspaces.json["workspaces"] as? [[String: Any]])?.first)?["id"] as? String)
            let settings = try S3TestServer.settings()
            let bucketName = try await S3TestServer.createBucket()
            let bucket = try await a.call(
                http, "POST", "/bucket",
                [
                    "name": "traffic", "bucket": bucketName, "storageType": "S3", "key": settings.accessKey, "secret": settings.secretKey,
                    "endpoint": settings.endpoint, "workspaceId": workspaceId,
                ], token: token)
            let bucketId = try #require(bucket.json["bucketId"] as? String)
            let repository = try await a.call(
                http, "POST", "/repo",
                [
                    "name": "counted", "storageType": "S3", "mode": "NORMAL", "workspaceId": workspaceId,
                    "repoBuckets": [["bucketId": bucketId, "folder": "t"] as [String: any Sendable]],
                ], token: token)
            let repoId = try #require(repository.json["repoId"] as? String)
            let key = try await a.call(http, "POST", "/repo/\(repoId)/apikey", ["name": "k", "accessType": "WRITE"], token: token)
            let access = try #require(key.json["key"] as? String)
            let secret = try #require(key.json["secret"] as? String)

            // 1,000 bytes up through A; read back twice through B.
            let body = [UInt8](repeating: 7, count: 1000)
            #expect(try await a.s3(http, "PUT", "/\(bucketName)/object", body: body, key: (access, secret)) == 200)
            for _ in 0..<2 { #expect(try await b.s3(http, "GET", "/\(bucketName)/object", key: (access, secret)) == 200) }

            // Each process writes its own rows within a second or two (a minute boundary may split
            // them); summed per host, they are exactly what each served.
            var byHost: [String: [String: Int]] = [:]
            for _ in 0..<100 {
                let rows = (try await a.call(http, "GET", "/stats/minute?repoId=\(repoId)", token: token).json["data"] as? [[String: Any]]) ?? []
                byHost = [:]
                for row in rows {
                    guard let host = row["host"] as? String else { continue }
                    for field in ["requests", "upl_bytes", "dwl_bytes", "size_change"] {
                        byHost[host, default: [:]][field, default: 0] += row[field] as? Int ?? 0
                    }
                }
                if byHost["node-a"]?["requests"] == 1 && byHost["node-b"]?["requests"] == 2 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(byHost["node-a"] == ["requests": 1, "upl_bytes": 1000, "dwl_bytes": 0, "size_change": 1000])
            #expect(byHost["node-b"]?["requests"] == 2 && byHost["node-b"]?["upl_bytes"] == 0 && byHost["node-b"]?["size_change"] == 0)
            #expect(byHost["node-b"]?["dwl_bytes"] == 2000)
            let totals = try await b.call(http, "GET", "/repo/stats?repoId=\(repoId)", token: token).json["stats"] as? [[String: Any]]
            #expect(totals?.first?["totalCount"] as? Int == 3)
            #expect(totals?.first?["totalUploadBytes"] as? Int == 1000 && totals?.first?["totalDownloadBytes"] as? Int == 2000)
            let onlyB = try await a.call(http, "GET", "/stats/daily?hosts=node-b", token: token).json["data"] as? [[String: Any]]
            #expect(onlyB?.allSatisfy { $0["host"] as? String == "node-b" } == true)
            #expect(onlyB?.reduce(0) { $0 + ($1["dwl_bytes"] as? Int ?? 0) } == 2000)
            let buckets = try await a.call(http, "GET", "/bucket/stats", token: token).json["stats"] as? [[String: Any]]
            #expect(buckets?.first?["bucketId"] as? String == bucketId && buckets?.first?["totalCount"] as? Int == 3)
            try await http.shutdown()
        } catch {
            try? await http.shutdown()
            throw error
        }
    }

}

/// One `cistern serve` process on a free port.
final class Replica: @unchecked Sendable {
    let process = Process()
    let port: Int
    /// Where its S3 gateway listens.
    let gatewayPort: Int
    let log: String

    /// Starts `cistern serve` on a free port (or `port`), under an open-file limit when one is given.
    init(environment: [String: String], dataDirectory: String, port: Int? = nil, openFileLimit: Int? = nil) throws {
        let binary = try Self.binary()
        if let port {
            self.port = port
        } else {
            let listener = try SilentListener()
            self.port = listener.port
            listener.close()
        }
        let gatewayListener = try SilentListener()
        self.gatewayPort = gatewayListener.port
        gatewayListener.close()
        let arguments = ["serve", "--port", "\(self.port)", "--gateway-port", "\(self.gatewayPort)", "--data-dir", dataDirectory]
        if let openFileLimit {
            self.process.executableURL = URL(fileURLWithPath: "/bin/sh")
            self.process.arguments = ["-c", "ulimit -n \(openFileLimit) && exec \"$0\" \"$@\"", binary.path] + arguments
        } else {
            self.process.executableURL = binary
            self.process.arguments = arguments
        }
        self.process.environment = environment
        self.log = dataDirectory + ".log"
        guard FileManager.default.createFile(atPath: self.log, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
        self.process.standardError = FileHandle(forWritingAtPath: self.log)
        self.process.standardOutput = FileHandle(forWritingAtPath: self.log)
        try ProcessLaunch.run(self.process)
    }

    static func binary() throws -> URL {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("cistern")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw ReplicaError(description: "no cistern binary at \(binary.path): build it first (swift build)")
        }
        return binary
    }

    /// Waits (at most `seconds`) for the process to end by itself; its exit status and output.
    func waitForExit(seconds: Int) async throws -> (status: Int32, output: String) {
        for _ in 0..<(seconds * 10) where self.process.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        guard !self.process.isRunning else { throw ReplicaError(description: "replica on \(self.port) did not exit") }
        return (self.process.terminationStatus, (try? String(contentsOfFile: self.log, encoding: .utf8)) ?? "")
    }

    /// A process started and answering; started again on other ports when another test took its
    /// port between the probe and the start.
    static func healthy(_ http: HTTPClient, environment: [String: String], dataDirectory: String) async throws -> Replica {
        for attempt in 1... {
            let replica = try Replica(environment: environment, dataDirectory: dataDirectory)
            do {
                try await replica.waitUntilHealthy(http)
                return replica
            } catch let error as ReplicaError where attempt < 3 && error.description.contains("address already in use") {
                continue
            }
        }
        fatalError("unreachable")
    }

    func waitUntilHealthy(_ http: HTTPClient) async throws {
        for _ in 0..<300 {
            if let response = try? await self.call(http, "GET", "/health"), response.status == 200 { return }
            guard self.process.isRunning else {
                let output = (try? String(contentsOfFile: self.log, encoding: .utf8)) ?? ""
                throw ReplicaError(description: "replica on \(self.port) exited: \(output.suffix(600))")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ReplicaError(description: "replica on \(self.port) never became healthy")
    }

    struct Answer: @unchecked Sendable {
        var status: Int
        var text: String
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(self.text.utf8))) as? [String: Any] ?? [:] }
    }

    func call(
        _ http: HTTPClient, _ method: String, _ path: String, _ body: [String: any Sendable]? = nil, token: String? = nil
    )
        async throws -> Answer
    {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(self.port)\(path)")
        request.method = .init(rawValue: method)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        }
        let response = try await http.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return Answer(status: Int(response.status.code), text: String(buffer: bytes))
    }

    func stop() {
        guard self.process.isRunning else { return }
        self.process.terminate()
        self.process.waitUntilExit()
    }
}

struct ReplicaError: Error, CustomStringConvertible {
    var description: String
}

extension Replica {
    /// Sends an S3 request to this process's gateway, signed with `key`; its status.
    func s3(_ http: HTTPClient, _ method: String, _ path: String, body: [UInt8] = [], key: (access: String, secret: String)) async throws -> Int {
        var request = SigV4Request(method: method, scheme: "http", host: "127.0.0.1", port: self.gatewayPort, path: path, query: [], headers: [])
        request.payloadSHA256 = SigV4.hex(Array(SHA256.hash(data: body)))
        let signed = SigV4Signer.sign(request, accessKey: key.access, secret: SecretValue(key.secret), region: "us-east-1", date: Date())
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = .init(rawValue: method)
        for (name, value) in signed { outgoing.headers.add(name: name, value: value) }
        if method == "PUT" { outgoing.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await http.execute(outgoing, timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 1 << 20)
        return Int(response.status.code)
    }
}
