import AsyncHTTPClient
import CisternCore
import CisternProviders
import Foundation
import Testing

/// The real S3 server that `scripts/with-test-services` starts (SeaweedFS, which checks SigV4
/// signatures). Tests fail, rather than skip, when it is not there.
enum S3TestServer {
    struct Settings {
        var endpoint: String
        var accessKey: String
        var secretKey: String
    }

    static func settings() throws -> Settings {
        let environment = ProcessInfo.processInfo.environment
        let endpoint = try #require(
            environment["CISTERN_TEST_S3_ENDPOINT"], "no S3 test server: run the tests through scripts/test or scripts/with-test-services"
        )
        return Settings(
            endpoint: endpoint, accessKey: try #require(environment["CISTERN_TEST_S3_ACCESS_KEY"]),
            secretKey: try #require(environment["CISTERN_TEST_S3_SECRET_KEY"])
        )
    }

    /// A connection to `bucket` with the server's valid credentials.
    static func connection(bucket: String) throws -> BucketConnection {
        let settings = try settings()
        return BucketConnection(
            storageType: .s3, bucket: bucket, key: settings.accessKey, secret: SecretValue(settings.secretKey),
            endpoint: settings.endpoint, region: "us-east-1"
        )
    }

    /// A fresh bucket name.
    static func uniqueBucketName() -> String {
        "cistern-\(UUID().uuidString.lowercased().prefix(13))"
    }

    /// Creates a bucket through our own signed client.
    static func createBucket(_ name: String, with provider: S3Provider) async throws {
        let response = try await provider.send("PUT", try connection(bucket: name))
        #expect(response.status == 200, "create bucket \(name): \(response.status) \(response.body)")
    }

    /// Stores an object through our own signed client.
    static func putObject(_ key: String, in bucket: String, body: String = "data", with provider: S3Provider) async throws {
        let response = try await provider.send("PUT", try connection(bucket: bucket), key: key, body: Data(body.utf8))
        #expect(response.status == 200, "put \(key): \(response.status) \(response.body)")
    }
}

/// Runs `body` with a provider on a fresh HTTP client, shut down afterwards.
func withS3Provider<T: Sendable>(timeout: Int64 = 5, _ body: (S3Provider) async throws -> T) async throws -> T {
    let http = ProviderHTTPClient.make()
    do {
        let result = try await body(S3Provider(http: http, timeout: .seconds(timeout)))
        try await http.shutdown()
        return result
    } catch {
        try? await http.shutdown()
        throw error
    }
}
