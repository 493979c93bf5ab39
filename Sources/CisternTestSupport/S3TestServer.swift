import AsyncHTTPClient
import CisternCore
import CisternProviders
import Foundation
import NIOCore

/// The real S3 server that `scripts/with-test-services` starts (SeaweedFS, which checks SigV4
/// signatures). Tests fail, rather than skip, when it is not there.
public enum S3TestServer {
    public struct Settings: Sendable {
        public var endpoint: String
        public var accessKey: String
        public var secretKey: String
    }

    /// Why a test cannot reach the server.
    public struct Missing: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    public static func settings() throws -> Settings {
        let environment = ProcessInfo.processInfo.environment
        guard let endpoint = environment["CISTERN_TEST_S3_ENDPOINT"], let accessKey = environment["CISTERN_TEST_S3_ACCESS_KEY"],
            let secretKey = environment["CISTERN_TEST_S3_SECRET_KEY"]
        else {
            throw Missing(description: "no S3 test server: run the tests through scripts/test or scripts/with-test-services")
        }
        return Settings(endpoint: endpoint, accessKey: accessKey, secretKey: secretKey)
    }

    /// A connection to `bucket` with the server's valid credentials.
    public static func connection(bucket: String) throws -> BucketConnection {
        let settings = try settings()
        return BucketConnection(
            storageType: .s3, bucket: bucket, key: settings.accessKey, secret: SecretValue(settings.secretKey),
            endpoint: settings.endpoint, region: "us-east-1"
        )
    }

    /// A fresh bucket name.
    public static func uniqueBucketName() -> String {
        "cistern-\(UUID().canonical.prefix(13))"
    }

    /// Creates a bucket through our own signed client.
    public static func createBucket(_ name: String, with provider: S3Provider) async throws {
        let response = try await provider.send("PUT", try connection(bucket: name))
        guard response.status == 200 else { throw Missing(description: "create bucket \(name): \(response.status) \(response.body)") }
    }

    /// Creates a fresh bucket and returns its name.
    public static func createBucket() async throws -> String {
        let name = uniqueBucketName()
        try await withS3Provider { try await createBucket(name, with: $0) }
        return name
    }

    /// Stores an object through our own signed client.
    public static func putObject(_ key: String, in bucket: String, body: String = "data", with provider: S3Provider) async throws {
        let response = try await provider.send("PUT", try connection(bucket: bucket), key: key, body: Data(body.utf8))
        guard response.status == 200 else { throw Missing(description: "put \(key): \(response.status) \(response.body)") }
    }
}

/// Runs `body` with a provider on a fresh HTTP client, shut down afterwards.
@discardableResult
public func withS3Provider<T: Sendable>(
    timeout: Int64 = 5, connectTimeout: TimeAmount = .seconds(2), _ body: (S3Provider) async throws -> T
) async throws -> T {
    let http = ProviderHTTPClient.make(connectTimeout: connectTimeout)
    do {
        let result = try await body(S3Provider(http: http, timeout: .seconds(timeout)))
        try await http.shutdown()
        return result
    } catch {
        try? await http.shutdown()
        throw error
    }
}
