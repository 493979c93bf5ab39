import AsyncHTTPClient
import CisternCore
import CisternTestSupport
import CryptoExtras
import Foundation
import JWTKit
import NIOCore
import Testing

@testable import CisternProviders

/// The GCS client against fake-gcs-server (started by scripts/with-test-services), which speaks
/// the JSON API but accepts any caller: the token exchange is checked on its own.
@Suite("GCS provider")
struct GCSProviderTests {
    static func endpoint() throws -> String {
        guard let endpoint = ProcessInfo.processInfo.environment["CISTERN_TEST_GCS_ENDPOINT"] else {
            throw S3TestServer.Missing(description: "no GCS test server: run the tests through scripts/test or scripts/with-test-services")
        }
        return endpoint
    }

    static func connection(_ bucket: String, endpoint: String? = nil, secret: String = "unused") throws -> BucketConnection {
        BucketConnection(
            storageType: .gcs, bucket: bucket, key: "cistern@project.iam.gserviceaccount.com", secret: SecretValue(secret),
            endpoint: try endpoint ?? Self.endpoint(), region: nil
        )
    }

    /// Creates a bucket (and optionally an object) in the emulator through its JSON API.
    static func createBucket(withObject object: String? = nil) async throws -> String {
        let name = "cistern-\(UUID().canonical.prefix(13))"
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            var create = HTTPClientRequest(url: "\(try endpoint())/storage/v1/b?project=cistern")
            create.method = .POST
            create.body = .bytes(ByteBuffer(string: #"{"name":"\#(name)"}"#))
            #expect(try await http.execute(create, timeout: .seconds(10)).status == .ok)
            if let object {
                var upload = HTTPClientRequest(
                    url: "\(try endpoint())/upload/storage/v1/b/\(name)/o?uploadType=media&name=\(SigV4.encode(object))")
                upload.method = .POST
                upload.body = .bytes(ByteBuffer(string: "data"))
                #expect(try await http.execute(upload, timeout: .seconds(10)).status == .ok)
            }
            try await http.shutdown()
        } catch {
            try? await http.shutdown()
            throw error
        }
        return name
    }

    static func withProvider<T: Sendable>(
        // Connecting to fake-gcs-server on 127.0.0.1 is instant, but beside the whole PostgreSQL pass
        // the event loop once noticed it after more than 2 s ("no answer"): a starved machine's budget.
        tokenURL: String? = nil, connectTimeout: TimeAmount = .seconds(30), _ body: (GCSProvider) async throws -> T
    ) async throws -> T {
        let http = ProviderHTTPClient.make(connectTimeout: connectTimeout)
        defer { _ = Task { try? await http.shutdown() } }
        return try await body(GCSProvider(http: http, timeout: .seconds(30), tokenURL: tokenURL))
    }

    @Test func anExistingBucketIsOnlineAndAMissingOneDisconnected() async throws {
        let name = try await Self.createBucket()
        try await Self.withProvider { provider in
            let online = await provider.probe(try Self.connection(name))
            #expect(online.status == .online, "\(online.reason)")
            let missing = await provider.probe(try Self.connection("no-such-bucket-\(UUID().uuidString.prefix(6).lowercased())"))
            #expect(missing.status == .disconnected)
            // fake-gcs-server's error carries no reason code, only its text, which callers never see.
            #expect(missing.reason == "HTTP 404", "\(missing.reason)")
        }
    }

    @Test func hasObjectsLooksUnderThePrefix() async throws {
        let name = try await Self.createBucket(withObject: "team a/report.txt")
        try await Self.withProvider { provider in
            let connection = try Self.connection(name)
            let present = try await provider.hasObjects(connection, prefix: "team a/")
            let absent = try await provider.hasObjects(connection, prefix: "team b/")
            #expect(present)
            #expect(!absent)
        }
    }

    @Test(.timeLimit(.minutes(5))) func anUnreachableEndpointOrTokenServerIsOffline() async throws {
        let port = try closedPort()
        try await Self.withProvider { provider in
            let result = await provider.probe(try Self.connection("b", endpoint: "http://127.0.0.1:\(port)"))
            #expect(result.status == .offline)
        }
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048).pemRepresentation
        // A long connect budget: on a starved machine a refusal can take seconds to be noticed.
        try await Self.withProvider(tokenURL: "http://127.0.0.1:\(port)/token", connectTimeout: .seconds(60)) { provider in
            let result = await provider.probe(try Self.connection("b", secret: key))
            #expect(result.status == .offline)
            #expect(result.reason == ProviderError.noAnswerReason)
            #expect(result.detail == "connection refused")
        }
    }

    @Test func aSecretThatIsNoPrivateKeyIsDisconnectedWithoutEchoingIt() async throws {
        try await Self.withProvider(tokenURL: "http://127.0.0.1:9/token") { provider in
            let result = await provider.probe(try Self.connection("b", secret: "not-a-pem-key-at-all"))
            #expect(result.status == .disconnected)
            #expect(result.reason == "the secret is not a PEM private key")
        }
    }

    @Test func theAssertionIsAnRS256JWTTheServiceAccountsPublicKeyVerifies() async throws {
        let privateKey = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let connection = try Self.connection("b", secret: privateKey.pemRepresentation)
        let now = Date()
        let assertion = try await GCSProvider.assertion(for: connection, tokenURL: "https://oauth2.example/token", now: now)
        let keys = JWTKeyCollection()
        await keys.add(rsa: try Insecure.RSA.PublicKey(pem: privateKey.publicKey.pemRepresentation), digestAlgorithm: .sha256)
        let claims = try await keys.verify(assertion, as: ServiceAccountClaims.self)
        #expect(claims.iss.value == connection.key)
        #expect(claims.aud.value == ["https://oauth2.example/token"])
        #expect(claims.scope == "https://www.googleapis.com/auth/devstorage.read_write")
        #expect(Int(claims.exp.value.timeIntervalSince(claims.iat.value)) == 3600)
        let header = try #require(Data(base64Encoded: String(assertion.split(separator: ".")[0]) + "=="))
        #expect(String(decoding: header, as: UTF8.self).contains(#""alg":"RS256""#))
    }

    @Test func hmacKeysGoThroughTheXMLAPI() {
        var connection = BucketConnection(storageType: .gcs, bucket: "b", key: "GOOG1EXAMPLE", secret: SecretValue("s"), endpoint: nil, region: nil)
        #expect(GCSProvider.isHMAC(connection))
        let xml = GCSProvider.xmlAPI(connection)
        #expect(xml.endpoint == "https://storage.googleapis.com")
        #expect(xml.region == "auto")
        connection.key = "svc@project.iam.gserviceaccount.com"
        #expect(!GCSProvider.isHMAC(connection))
    }
}
