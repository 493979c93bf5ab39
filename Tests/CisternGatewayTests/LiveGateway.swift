import AsyncHTTPClient
import CisternBootstrap
import CisternCore
import CisternGateway
import CisternProviders
import CisternStore
import CisternTestSupport
import Foundation
import Logging
import NIOCore
import ServiceLifecycle

/// A running gateway on a fresh database, in front of a fresh SeaweedFS bucket: one NORMAL
/// repository whose member is the folder `team` of that bucket, with a WRITE and a READ key.
struct LiveGateway: Sendable {
    let runtime: Runtime
    let port: Int
    /// The provider bucket, which is also the bucket name clients use.
    let bucket: String
    let repository: Repository
    let writeKey: (id: UUID, access: String, secret: String)
    let readKey: (id: UUID, access: String, secret: String)
    let http: HTTPClient

    static let folder = "team"

    /// Runs `body` against a gateway set up as above, and takes it all down after.
    static func run<T: Sendable>(
        configure: (inout CisternConfiguration) -> Void = { _ in }, afterShutdown: (Runtime) async throws -> Void = { _ in },
        _ body: @Sendable (LiveGateway) async throws -> T
    ) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cistern-gateway-\(UUID().canonical)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = CisternConfiguration()
        configuration.dataDirectory = directory
        configuration.databaseURL = try await TestDatabase.freshURL(in: directory)
        configuration.gatewayPort = 0
        configuration.logLevel = .warning
        configure(&configuration)
        var logger = Logger(label: "gateway-test")
        logger.logLevel = .warning
        let runtime = try await Runtime.open(configuration, timeSource: SystemTimeSource(), logger: logger)
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            let world = try await Self.seed(runtime)
            let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
            let services = try await GatewayServer.services(runtime) { port in portSink.yield(port) }
            let group = ServiceGroup(configuration: .init(services: services, logger: logger))
            let running = Task { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw S3TestServer.Missing(description: "the gateway did not start") }
            let gateway = LiveGateway(
                runtime: runtime, port: port, bucket: world.bucket, repository: world.repository, writeKey: world.writeKey,
                readKey: world.readKey, http: http
            )
            let result: Result<T, any Error>
            do { result = .success(try await body(gateway)) } catch { result = .failure(error) }
            await group.triggerGracefulShutdown()
            try? await running.value
            try await http.shutdown()
            // The services are down; the database is still open for a look at what they left.
            do { try await afterShutdown(runtime) } catch {
                await runtime.close()
                throw error
            }
            await runtime.close()
            return try result.get()
        } catch {
            try? await http.shutdown()
            await runtime.close()
            throw error
        }
    }

    private static func seed(
        _ runtime: Runtime
    ) async throws -> (
        bucket: String, repository: Repository, writeKey: (UUID, String, String), readKey: (UUID, String, String)
    ) {
        let now = Date()
        let org = Organization(id: UUID(), name: "Gateway", createdAt: now)
        let owner = User(id: UUID(), orgId: org.id, email: "\(UUID())@example.com", firstName: "A", lastName: "B", orgRole: .owner, createdAt: now)
        let workspace = Workspace(id: UUID(), orgId: org.id, name: "Default", isDefault: true, createdAt: now)
        try await SQLAccountStore(database: runtime.database).register(
            Registration(organization: org, owner: owner, passwordHash: "x", defaultWorkspace: workspace)
        )
        let name = try await S3TestServer.createBucket()
        let settings = try S3TestServer.settings()
        let bucketId = UUID()
        let bucket = Bucket(
            id: bucketId, orgId: org.id, workspaceId: workspace.id, name: "seaweed", bucket: name, storageType: .s3, key: settings.accessKey,
            secret: try runtime.sealer.seal(SecretValue(settings.secretKey), context: Bucket.sealingContext(bucketId)),
            endpoint: settings.endpoint, region: "us-east-1", createdAt: now
        )
        try await SQLBucketStore(database: runtime.database).create(bucket, limit: nil)
        let repository = Repository(
            id: UUID(), orgId: org.id, workspaceId: workspace.id, name: "repo", storageType: .s3, mode: .normal,
            members: [RepositoryMember(bucketId: bucketId, folder: Self.folder)], createdAt: now
        )
        try await SQLRepositoryStore(database: runtime.database).create(repository, limit: nil)
        let write = try await Self.createKey(for: repository.id, name: "WRITE", access: .write, runtime)
        let read = try await Self.createKey(for: repository.id, name: "READ", access: .read, runtime)
        return (name, repository, write, read)
    }

    /// A new key of `repositoryId`, its secret sealed as the API seals it: its id, access key and secret.
    static func createKey(
        for repositoryId: UUID, name: String, access: RepositoryAccess, _ runtime: Runtime
    ) async throws -> (id: UUID, access: String, secret: String) {
        let id = UUID()
        let accessKey = "AK" + String(UUID().canonical.replacingOccurrences(of: "-", with: "").uppercased().prefix(18))
        let secret = "secret-" + UUID().canonical
        try await SQLRepositoryStore(database: runtime.database).createKey(
            RepositoryKey(
                id: id, repositoryId: repositoryId, name: name, access: access, key: accessKey,
                secret: try runtime.sealer.seal(SecretValue(secret), context: RepositoryKey.sealingContext(id)), createdAt: Date()
            )
        )
        return (id, accessKey, secret)
    }

    /// Another NORMAL repository over `folder` of the same bucket, with a WRITE key for it.
    func addRepository(folder: String) async throws -> (access: String, secret: String) {
        let repository = Repository(
            id: UUID(), orgId: self.repository.orgId, workspaceId: self.repository.workspaceId, name: "repo-\(folder)", storageType: .s3,
            mode: .normal, members: [RepositoryMember(bucketId: self.repository.members[0].bucketId, folder: folder)], createdAt: Date()
        )
        try await SQLRepositoryStore(database: self.runtime.database).create(repository, limit: nil)
        let key = try await Self.createKey(for: repository.id, name: "neighbour", access: .write, self.runtime)
        return (key.access, key.secret)
    }

    /// A MIRROR repository over two fresh buckets of the test server, registered at `masterEndpoint`
    /// and `mirrorEndpoint` (the test server's unless given: an endpoint nothing listens on makes
    /// a member that cannot be reached), with a WRITE key; with a reachable master, once its
    /// backfill is done.
    func addMirror(masterEndpoint: String? = nil, mirrorEndpoint: String? = nil) async throws -> MirrorRepository {
        let settings = try S3TestServer.settings()
        let buckets = SQLBucketStore(database: self.runtime.database)
        func register(_ endpoint: String?) async throws -> Bucket {
            let id = UUID()
            let bucket = Bucket(
                id: id, orgId: self.repository.orgId, workspaceId: self.repository.workspaceId, name: "m-\(id.canonical.prefix(8))",
                bucket: try await S3TestServer.createBucket(), storageType: .s3, key: settings.accessKey,
                secret: try self.runtime.sealer.seal(SecretValue(settings.secretKey), context: Bucket.sealingContext(id)),
                endpoint: endpoint ?? settings.endpoint, region: "us-east-1", createdAt: Date()
            )
            try await buckets.create(bucket, limit: nil)
            return bucket
        }
        let master = try await register(masterEndpoint)
        let mirror = try await register(mirrorEndpoint)
        let repository = Repository(
            id: UUID(), orgId: self.repository.orgId, workspaceId: self.repository.workspaceId, name: "mirror-\(UUID().canonical.prefix(8))",
            storageType: .s3, mode: .mirror,
            members: [RepositoryMember(bucketId: master.id, isMaster: true), RepositoryMember(bucketId: mirror.id)], createdAt: Date()
        )
        try await SQLRepositoryStore(database: self.runtime.database).create(repository, limit: nil)
        let key = try await Self.createKey(for: repository.id, name: "mirror", access: .write, self.runtime)
        if masterEndpoint == nil {
            // The new repository's backfill lists the (empty) master; let it finish first, so that
            // it cannot queue what a test writes next.
            let store = SQLReplicationStore(database: self.runtime.database)
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline {
                let summary = try await store.summary(repositoryId: repository.id, now: Date(), limit: 1)
                if summary.pending == 0 && summary.backfills.allSatisfy(\.done) { break }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        return MirrorRepository(repository: repository, master: master, mirror: mirror, key: (key.access, key.secret))
    }

    /// Points a registered bucket at the test server, as an operator fixing its endpoint would.
    func reconnect(_ bucket: Bucket) async throws {
        var connection = BucketChanges.Connection(bucket)
        connection.endpoint = try S3TestServer.settings().endpoint
        try await SQLBucketStore(database: self.runtime.database).update(id: bucket.id, orgId: bucket.orgId, BucketChanges(connection: connection))
    }

    /// Sends a request to the gateway signed as an S3 client would sign it, with `key`.
    func send(
        _ method: String, _ path: String, query: [(String, String)] = [], headers: [(String, String)] = [], body: [UInt8] = [],
        key: (access: String, secret: String)? = nil, signedBody: Bool = true, payloadHash: String? = nil, signedAt: Date = Date(),
        replacing: (name: String, value: String)? = nil
    ) async throws -> (status: Int, headers: [(String, String)], body: [UInt8]) {
        let key = key ?? (self.writeKey.access, self.writeKey.secret)
        var request = SigV4Request(
            method: method, scheme: "http", host: "127.0.0.1", port: self.port, path: path, query: query.map { (name: $0.0, value: $0.1) },
            headers: headers.map { (name: $0.0, value: $0.1) }
        )
        var digest = Checksummer(.sha256)
        digest.update(body)
        request.payloadSHA256 = payloadHash ?? (signedBody ? SigV4.hex(digest.digest()) : "UNSIGNED-PAYLOAD")
        var signed = SigV4Signer.sign(request, accessKey: key.access, secret: SecretValue(key.secret), region: "us-east-1", date: signedAt)
        // A header changed after signing, as a broken or hostile client might send it.
        if let replacing { signed = signed.map { $0.name == replacing.name ? (replacing.name, replacing.value) : $0 } }
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = .init(rawValue: method)
        for (name, value) in headers + signed.map({ ($0.name, $0.value) }) { outgoing.headers.add(name: name, value: value) }
        if !body.isEmpty || method == "PUT" { outgoing.body = .bytes(ByteBuffer(bytes: body)) }
        // Generous: a 20 MiB body through a debug build, beside the whole PostgreSQL pass on two
        // cores, once took more than 30 s. A hang still ends the test.
        let response = try await self.http.execute(outgoing, timeout: .seconds(body.count > 1 << 20 ? 180 : 30))
        let bytes = method == "HEAD" ? ByteBuffer() : try await response.body.collect(upTo: 64 * 1024 * 1024)
        return (Int(response.status.code), response.headers.map { ($0.name.lowercased(), $0.value) }, Array(buffer: bytes))
    }

    /// The object as the provider holds it (nil when it does not), read with the bucket's own credentials.
    func providerObject(_ key: String, bucket: String? = nil) async throws -> String? {
        try await withS3Provider { provider in
            let response = try await provider.send("GET", try S3TestServer.connection(bucket: bucket ?? self.bucket), key: key)
            return response.status == 200 ? response.body : nil
        }
    }
}

/// A MIRROR repository `LiveGateway.addMirror` made.
struct MirrorRepository: Sendable {
    var repository: Repository
    var master: Bucket
    var mirror: Bucket
    var key: (access: String, secret: String)
}

extension Array where Element == UInt8 {
    var text: String { String(decoding: self, as: UTF8.self) }
}

/// The `<Code>` of an S3 error document.
func errorCode(_ body: [UInt8]) -> String? {
    let text = String(decoding: body, as: UTF8.self)
    guard let open = text.range(of: "<Code>"), let close = text.range(of: "</Code>") else { return nil }
    return String(text[open.upperBound..<close.lowerBound])
}

/// The run's fake-gcs-server (`CISTERN_TEST_GCS_ENDPOINT`), through its JSON API.
enum GCSTestServer {
    static func endpoint() throws -> String {
        guard let endpoint = ProcessInfo.processInfo.environment["CISTERN_TEST_GCS_ENDPOINT"] else {
            throw S3TestServer.Missing(description: "no GCS test server: run the tests through scripts/test or scripts/with-test-services")
        }
        return endpoint
    }

    /// A fresh bucket's name.
    static func createBucket(with http: HTTPClient) async throws -> String {
        let name = "gw-\(UUID().canonical.prefix(13))"
        var create = HTTPClientRequest(url: "\(try Self.endpoint())/storage/v1/b?project=cistern")
        create.method = .POST
        create.body = .bytes(ByteBuffer(string: #"{"name":"\#(name)"}"#))
        let response = try await http.execute(create, timeout: .seconds(30))
        guard response.status == .ok else { throw S3TestServer.Missing(description: "fake-gcs-server did not create a bucket") }
        return name
    }

    /// The names the bucket holds.
    static func names(in bucket: String, with http: HTTPClient) async throws -> [String] {
        let response = try await http.execute(HTTPClientRequest(url: "\(try Self.endpoint())/storage/v1/b/\(bucket)/o"), timeout: .seconds(30))
        let json = try JSONSerialization.jsonObject(with: Data(buffer: try await response.body.collect(upTo: 1 << 24))) as? [String: Any]
        return ((json?["items"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String }
    }
}

extension LiveGateway {
    /// Runs `body` against a gateway that reaches GCS members without tokens (fake-gcs-server).
    static func runWithGCS<T: Sendable>(_ body: @Sendable (LiveGateway) async throws -> T) async throws -> T {
        try await Self.run(configure: { $0.gcsTokenURL = nil }, body)
    }

    /// A bucket of the run's fake-gcs-server, registered (the emulator takes no credentials).
    func registerGCSBucket() async throws -> Bucket {
        let id = UUID()
        let bucket = Bucket(
            id: id, orgId: self.repository.orgId, workspaceId: self.repository.workspaceId, name: "gcs-\(id.canonical.prefix(8))",
            bucket: try await GCSTestServer.createBucket(with: self.http), storageType: .gcs, key: "cistern@project.iam.gserviceaccount.com",
            secret: try self.runtime.sealer.seal(SecretValue("unused"), context: Bucket.sealingContext(id)), endpoint: try GCSTestServer.endpoint(),
            region: nil, createdAt: Date()
        )
        try await SQLBucketStore(database: self.runtime.database).create(bucket, limit: nil)
        return bucket
    }

    /// A NORMAL repository over `members` (bucket and folder), with a WRITE key.
    func addRepository(_ members: [(Bucket, String)]) async throws -> (access: String, secret: String) {
        let repository = Repository(
            id: UUID(), orgId: self.repository.orgId, workspaceId: self.repository.workspaceId, name: "repo-\(UUID().canonical.prefix(8))",
            storageType: members[0].0.storageType, mode: .normal,
            members: members.map { RepositoryMember(bucketId: $0.0.id, folder: $0.1) }, createdAt: Date()
        )
        try await SQLRepositoryStore(database: self.runtime.database).create(repository, limit: nil)
        let key = try await Self.createKey(for: repository.id, name: "writer", access: .write, self.runtime)
        return (key.access, key.secret)
    }
}
