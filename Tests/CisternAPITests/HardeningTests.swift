import AsyncHTTPClient
import CisternBootstrap
import CisternCore
import CisternProviders
import CisternStore
import CisternTestSupport
import Foundation
import HummingbirdTesting
import Logging
import NIOCore
import SQLKit
import Testing

@testable import CisternAPI

/// Regression tests for the defects found by attacking Cistern from outside (issue 12): each
/// failed before its fix.
@Suite("Hardening", .timeLimit(.minutes(5)))
struct HardeningTests {
    // MARK: Stored credentials never go to a host the caller chooses

    @Test func storedSecretsAreNeverSentToANewEndpoint() async throws {
        try await TestApp().run { api in
            let world = try await World.build(api)
            let owner = world.tokens[.owner]!
            let id = try await BucketTests.registerFreshBucket(api, in: world.projectId, as: owner).id
            let catcher = try SilentListener()
            defer { catcher.close() }
            let elsewhere = "http://127.0.0.1:\(catcher.port)"

            // A READ member may check the stored settings, not try others.
            let reader = try await api.request(.post, "/bucket/\(id)/validate", json: ["endpoint": elsewhere], token: world.tokens[.readMember]!)
            #expect(reader.status == .forbidden, "\(reader.text)")
            // A WRITE member's new endpoint, bucket or region needs the secret in the same body.
            let writer = world.tokens[.writeMember]!
            for change: [String: any Sendable] in [["endpoint": elsewhere], ["bucket": "other"], ["region": "eu-west-1"], ["key": "AKIDOTHER"]] {
                let validate = try await api.request(.post, "/bucket/\(id)/validate", json: change, token: writer)
                #expect(validate.status == .badRequest, "\(change): \(validate.text)")
                #expect(validate.string("message")?.hasPrefix("secret: is required") == true)
                let update = try await api.request(.put, "/bucket/\(id)", json: change, token: writer)
                #expect(update.status == .badRequest, "\(change): \(update.text)")
            }
            #expect(catcher.takeConnections() == 0, "a request reached the caller's endpoint")
            let stored = try #require((try await api.request(.get, "/bucket", token: owner)["buckets"] as? [[String: Any]])?.first)
            #expect(stored["endpoint"] as? String == (try S3TestServer.settings().endpoint))
            // The stored settings still check, and the monitor keeps using them.
            #expect(try await api.request(.post, "/bucket/\(id)/validate", token: world.tokens[.readMember]!).string("status") == "ONLINE")
        }
    }

    /// The provider's code without its text is checked in `BucketTests`; here, that a refused and
    /// a silent port read the same.
    @Test func aProviderCheckDoesNotTellWhichPortsAreOpen() async throws {
        try await TestApp { $0.providerTimeout = 1 }.run { api in
            let world = try await World.build(api)
            let owner = world.tokens[.owner]!
            var body = try BucketTests.createBody(try await S3TestServer.createBucket(), in: world.projectId)
            let silent = try SilentListener()
            defer { silent.close() }
            var messages: [String] = []
            for port in [try closedPort(), silent.port] {
                body["endpoint"] = "http://127.0.0.1:\(port)"
                messages.append(try await api.request(.post, "/bucket", json: body, token: owner).string("message") ?? "")
            }
            #expect(messages == Array(repeating: "Bucket validation failed: OFFLINE: \(ProviderError.noAnswerReason)", count: 2))
        }
    }

    // MARK: Concurrent updates keep every acknowledged write

    @Test func aSecretRotationRacingARenameKeepsBoth() async throws {
        let app = TestApp { $0.validateBuckets = false }
        try await app.run { api in
            let world = try await World.build(api)
            let owner = world.tokens[.owner]!
            let id = try await api.createUnvalidatedBucket(in: world.projectId, as: owner)
            for trial in 0..<20 {
                async let renamed = api.request(.put, "/bucket/\(id)", json: ["name": "name-\(trial)"], token: owner)
                async let rotated = api.request(.put, "/bucket/\(id)", json: ["secret": "secret-\(trial)", "region": "region\(trial)"], token: owner)
                let statuses = [try await renamed.status, try await rotated.status]
                #expect(statuses == [.ok, .ok])
                let stored = try #require(try await app.withDatabase { try await SQLBucketStore(database: $0).bucket(id: UUID(uuidString: id)!) })
                #expect(stored.name == "name-\(trial)")
                #expect(stored.region == "region\(trial)")
                #expect(try app.sealer().open(stored.secret, context: Bucket.sealingContext(stored.id)).revealed == "secret-\(trial)")
            }
        }
    }

    @Test func aMirrorsRenameRacingAMemberChangeKeepsBoth() async throws {
        try await TestApp { $0.validateBuckets = false }.run { api in
            let world = try await World.build(api)
            let owner = world.tokens[.owner]!
            let master = try await api.createUnvalidatedBucket(in: world.projectId, as: owner)
            let mirrors = [
                try await api.createUnvalidatedBucket(in: world.projectId, as: owner),
                try await api.createUnvalidatedBucket(in: world.projectId, as: owner),
            ]
            let repo = try await api.createRepository(
                in: world.projectId, mode: "MIRROR", members: [["bucketId": master, "master": true], ["bucketId": mirrors[0]]], as: owner
            )
            for trial in 0..<20 {
                let mirror = mirrors[(trial + 1) % 2]
                async let renamed = api.request(.put, "/repo/\(repo)", json: ["name": "mirror-\(trial)"], token: owner)
                async let moved = api.request(
                    .put, "/repo/\(repo)",
                    json: ["repoBuckets": [["bucketId": master, "master": true], ["bucketId": mirror]] as [[String: any Sendable]]],
                    token: owner
                )
                #expect([try await renamed.status, try await moved.status] == [.ok, .ok])
                let listed = try #require((try await api.request(.get, "/repo?repoId=\(repo)", token: owner)["repos"] as? [[String: Any]])?.first)
                #expect(listed["name"] as? String == "mirror-\(trial)")
                let members = Set(((listed["buckets"] as? [[String: Any]]) ?? []).compactMap { $0["bucketId"] as? String })
                #expect(members == [master, mirror])
            }
        }
    }

    // MARK: A transaction that keeps losing conflicts is a 503, never a 500

    @Test func aTransactionThatKeepsLosingAnswersBusyWithRetryAfter() async throws {
        let app = TestApp()
        try await app.run { api in
            _ = try await api.register()
            let database = try await Database.open(url: try #require(app.databaseURL.value), connections: 2, logger: Logger(label: "test"))
            do {
                if database.engine == .postgres {  // SQLite's writers queue; they never lose.
                    let other = try await Database.open(url: try #require(app.databaseURL.value), connections: 1, logger: Logger(label: "test"))
                    do {
                        try await Self.lose(database, to: other)
                        try await other.close()
                    } catch {
                        try? await other.close()
                        throw error
                    }
                }
                try await database.close()
            } catch {
                try? await database.close()
                throw error
            }
        }
        #expect(CisternError.databaseBusy.status == .serviceUnavailable)
        #expect(CisternError.databaseBusy.retryAfter == 1)
    }

    /// A transaction on `database` that a writer on `other` beats to its row on every attempt.
    static func lose(_ database: Database, to other: Database) async throws {
        try await database.withConnection { try await $0.raw("CREATE TABLE contended (id INTEGER PRIMARY KEY, n INTEGER)").run() }
        try await database.withConnection { try await $0.raw("INSERT INTO contended VALUES (1, 0)").run() }
        let attempts = Counter()
        await #expect(throws: CisternError.databaseBusy) {
            try await database.transaction { sql in
                attempts.increment()
                _ = try await sql.raw("SELECT n FROM contended WHERE id = 1").all()
                try await other.withConnection { try await $0.raw("UPDATE contended SET n = n + 1 WHERE id = 1").run() }
                try await sql.raw("UPDATE contended SET n = n + 1 WHERE id = 1").run()
            }
        }
        #expect(attempts.value == Database.transactionAttempts)
    }

    // MARK: A missing or replaced master key stops the start

    @Test func aMissingOrReplacedMasterKeyStopsTheStartNamingTheKeyVersionNeeded() async throws {
        let app = TestApp { $0.validateBuckets = false }
        try await app.run { api in
            let world = try await World.build(api)
            _ = try await api.createUnvalidatedBucket(in: world.projectId, as: world.tokens[.owner]!)
            let version = try app.sealer().current.version
            var configuration = app.configuration
            configuration.databaseURL = app.databaseURL.value
            let keyFile = app.dataDirectory + "/master.key"
            let original = try Data(contentsOf: URL(fileURLWithPath: keyFile))

            try FileManager.default.removeItem(atPath: keyFile)
            await #expect { _ = try await buildApplication(configuration) } throws: { "\($0)".contains("master key \(version)") }
            #expect(!FileManager.default.fileExists(atPath: keyFile), "a stranger key was left in place of the real one")

            configuration.masterKey = KeyMaterial.generate().base64
            await #expect { _ = try await buildApplication(configuration) } throws: { "\($0)".contains("master key \(version), which is not loaded") }

            configuration.masterKey = nil
            try #require(FileManager.default.createFile(atPath: keyFile, contents: original, attributes: [.posixPermissions: 0o600]))
            // With the real key back, it starts and serves.
            try await buildApplication(configuration).test(.router) { client in
                try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }
            }
        }
    }

    // MARK: Operator gaps

    @Test func keyFilesOthersCanReadAreRefusedAndDatabaseFilesAreTheOwnersAlone() async throws {
        let app = TestApp()
        try await app.run { api in
            _ = try await api.register()
            if let path = app.databaseURL.value.flatMap(Database.sqlitePath) {
                for file in [path, path + "-wal"] {
                    let mode = try #require(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int)
                    #expect(mode & 0o077 == 0, "\(file) has mode \(String(mode, radix: 8))")
                }
            }
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cistern-perm-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try #require(
            FileManager.default.createFile(
                atPath: directory + "/jwt-signing.key", contents: Data(KeyMaterial.generate().base64.utf8), attributes: [.posixPermissions: 0o644]
            )
        )
        var configuration = CisternConfiguration()
        configuration.dataDirectory = directory
        #expect { try DataDirectory.prepare(configuration, logger: Logger(label: "test")) } throws: {
            "\($0)".contains("jwt-signing.key may be read by other users (mode 644): chmod 600 it")
        }
    }

    @Test func aDatabaseMigratedByANewerCisternIsRefused() async throws {
        let app = TestApp()
        try await app.run { api in
            _ = try await api.register()
            try await app.withDatabase { database in
                try await database.withConnection {
                    try await $0.raw("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'from the future', 0)").run()
                }
                await #expect { try await Migrator(database: database).migrate(logger: Logger(label: "test")) } throws: {
                    "\($0)"
                        == "the database schema is at version 999, newer than this build of Cistern knows (\(Migration.all.last!.version)): run a newer cistern"
                }
            }
        }
    }

    @Test func healthAnswers503WhenTheDatabaseCannotTakeAWriteAndHeadIsServed() async throws {
        let app = TestApp()
        try await app.run { api in
            let head = try await api.request(.head, "/health")
            #expect(head.status == .ok)
            #expect(head.text.isEmpty)
            #expect(try await api.request(.get, "/health").status == .ok)
            // The database still answers `SELECT 1`, but no longer takes the heartbeat's write.
            try await app.withDatabase { database in
                try await database.withConnection { try await $0.raw("DROP TABLE health_heartbeats").run() }
            }
            let broken = try await api.request(.get, "/health")
            #expect(broken.status == .serviceUnavailable)
            #expect(broken.text == #"{"database":"unavailable","status":"unavailable"}"#)
            #expect(try await api.request(.head, "/health").status == .serviceUnavailable)
        }
    }

    @Test func aRepositoryKeyNeverExceedsItsCreatorsRole() async throws {
        try await TestApp { $0.validateBuckets = false }.run { api in
            let world = try await World.build(api, withRepository: true)
            let repo = try #require(world.repositoryId)
            let writer = world.tokens[.writeMember]!
            for access in ["ADMIN"] {
                let minted = try await api.request(.post, "/repo/\(repo)/apikey", json: ["name": "k", "accessType": access], token: writer)
                #expect(minted.status == .forbidden, "\(minted.text)")
                #expect(minted["error_code"] as? String == "FORBIDDEN")
                #expect(minted["error_message"] as? String == "accessType: a ADMIN key needs the ADMIN role in the workspace")
            }
            let write = try await api.request(.post, "/repo/\(repo)/apikey", json: ["name": "k", "accessType": "WRITE"], token: writer)
            #expect(write.status == .ok)
            let keyId = try #require(write.string("id"))
            let raised = try await api.request(.put, "/repo/\(repo)/apikey/\(keyId)", json: ["accessType": "ADMIN"], token: writer)
            #expect(raised.status == .forbidden)
            let admin = try await api.request(
                .post, "/repo/\(repo)/apikey", json: ["name": "k", "accessType": "ADMIN"], token: world.tokens[.adminMember]!
            )
            #expect(admin.status == .ok, "\(admin.text)")
        }
    }

    // MARK: The process under pressure

    /// 50 connections that never send a byte, with 64 open files allowed: the server closes them
    /// after the idle timeout, never takes more than it can serve, and keeps answering.
    @Test func silentConnectionsBeyondTheOpenFileLimitNeitherHangNorCrashTheServer() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cistern-fd-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var environment = ProcessInfo.processInfo.environment
        environment["CISTERN_DATABASE_URL"] = try await TestDatabase.freshURL(in: directory)
        environment["CISTERN_IDLE_TIMEOUT"] = "2"
        environment["CISTERN_MONITOR_INTERVAL"] = "0"
        environment["CISTERN_LOG_LEVEL"] = "warning"
        environment["CISTERN_GATEWAY"] = "off"
        let server = try Replica(environment: environment, dataDirectory: directory + "/data", openFileLimit: 64)
        defer { server.stop() }
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            try await server.waitUntilHealthy(http)
            var silent: [Int32] = []
            defer { for socket in silent { _ = close(socket) } }
            for _ in 0..<50 { silent.append(try Self.connect(port: server.port)) }
            // Each silent connection is closed by the server (a read sees the end) once idle too long.
            let start = ContinuousClock.now
            let answer = try await server.call(http, "GET", "/health")
            #expect(answer.status == 200)
            #expect(ContinuousClock.now - start < .seconds(30))
            for descriptor in silent { #expect(Self.readsEnd(descriptor, within: 20), "a silent connection was kept open") }
            #expect(server.process.isRunning)
            #expect(try await server.call(http, "GET", "/health").status == 200)
            try await http.shutdown()
        } catch {
            try? await http.shutdown()
            throw error
        }
    }

    @Test func aPortInUseEndsTheStartWithOneLineAndStatus1() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cistern-port-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let occupied = try SilentListener()
        defer { occupied.close() }
        var environment = ProcessInfo.processInfo.environment
        environment["CISTERN_DATABASE_URL"] = try await TestDatabase.freshURL(in: directory)
        environment["CISTERN_LOG_LEVEL"] = "warning"
        environment["CISTERN_GATEWAY"] = "off"
        let server = try Replica(environment: environment, dataDirectory: directory + "/data", port: occupied.port)
        defer { server.stop() }
        let (status, output) = try await server.waitForExit(seconds: 60)
        #expect(status == 1)
        #expect(output == "cistern: cannot listen on 127.0.0.1:\(occupied.port): address already in use\n", "\(output)")
    }

    // MARK: Helpers

    static func connect(port: Int) throws -> Int32 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        return descriptor
    }

    /// Whether the peer closes `descriptor` within `seconds` (a read returns 0 or an error).
    static func readsEnd(_ descriptor: Int32, within seconds: Int) -> Bool {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(seconds * 1000)) > 0 else { return false }
        var byte: UInt8 = 0
        return recv(descriptor, &byte, 1, 0) <= 0
    }
}

/// A count shared with a closure that may run several times.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { self.lock.withLock { self.count } }
    func increment() { self.lock.withLock { self.count += 1 } }
}

extension TestApp {
    /// A sealer with the app's generated master key.
    func sealer() throws -> SecretSealer {
        let text = try String(contentsOfFile: self.dataDirectory + "/master.key", encoding: .utf8)
        return SecretSealer(current: try KeyMaterial(base64: text, name: "master.key"))
    }
}
