import AsyncHTTPClient
import CisternCore
import CisternTestSupport
import Foundation
import Testing

@testable import CisternProviders

/// The S3 client against a real S3 server that verifies signatures.
@Suite("S3 provider")
struct S3ProviderTests {
    @Test func aReachableBucketWithValidCredentialsIsOnline() async throws {
        try await withS3Provider { provider in
            let name = S3TestServer.uniqueBucketName()
            try await S3TestServer.createBucket(name, with: provider)
            let result = await provider.probe(try S3TestServer.connection(bucket: name))
            #expect(result.status == .online, "\(result.reason)")
            #expect(result.latencyMs >= 0)
        }
    }

    @Test func aWrongSecretIsDisconnectedAndTheReasonNeverHoldsTheSecret() async throws {
        try await withS3Provider { provider in
            let name = S3TestServer.uniqueBucketName()
            try await S3TestServer.createBucket(name, with: provider)
            var connection = try S3TestServer.connection(bucket: name)
            connection.secret = SecretValue("definitely-not-the-secret-0123456789")
            let result = await provider.probe(connection)
            #expect(result.status == .disconnected)
            #expect(!result.reason.contains("definitely-not-the-secret"))
            #expect(!result.reason.isEmpty)
        }
    }

    @Test func anUnknownAccessKeyIsDisconnected() async throws {
        try await withS3Provider { provider in
            var connection = try S3TestServer.connection(bucket: "cistern-readiness")
            connection.key = "AKIDNOBODYKNOWSTHIS1"
            #expect(await provider.probe(connection).status == .disconnected)
        }
    }

    @Test func aMissingBucketIsDisconnected() async throws {
        try await withS3Provider { provider in
            let result = await provider.probe(try S3TestServer.connection(bucket: S3TestServer.uniqueBucketName()))
            #expect(result.status == .disconnected)
            #expect(result.reason.contains("NoSuchBucket"), "\(result.reason)")
        }
    }

    /// A refused connection fails at once rather than being retried until the request's deadline.
    /// (The margin is wide on purpose: this tells "at once" from "at the deadline", it is no
    /// measurement of speed.)
    @Test(.timeLimit(.minutes(5))) func aClosedPortIsOfflineWithoutWaitingForTheDeadline() async throws {
        // Long budgets to connect and to answer: on a starved machine a refusal can take seconds to
        // be noticed, and it must still read as a refusal.
        try await withS3Provider(timeout: 60, connectTimeout: .seconds(60)) { provider in
            var connection = try S3TestServer.connection(bucket: "any")
            connection.endpoint = "http://127.0.0.1:\(try closedPort())"
            let result = await provider.probe(connection)
            #expect(result.status == .offline)
            // The caller learns only that nothing answered; the log learns why.
            #expect(result.reason == ProviderError.noAnswerReason, "\(result.reason)")
            #expect(result.detail == "connection refused", "\(String(describing: result.detail))")
            #expect(result.latencyMs < 30_000)
        }
    }

    /// The request timeout ends a request the endpoint never answers (the time limit catches a hang).
    @Test(.timeLimit(.minutes(5))) func anEndpointThatNeverAnswersIsOfflineByTimeout() async throws {
        let silent = try SilentListener()
        defer { silent.close() }
        try await withS3Provider(timeout: 1) { provider in
            var connection = try S3TestServer.connection(bucket: "any")
            connection.endpoint = "http://127.0.0.1:\(silent.port)"
            let result = await provider.probe(connection)
            #expect(result.status == .offline)
            #expect(result.reason == ProviderError.noAnswerReason, "\(result.reason)")
            #expect(result.detail?.contains("timed out") == true, "\(String(describing: result.detail))")
        }
    }

    @Test func hasObjectsLooksUnderThePrefixOnly() async throws {
        try await withS3Provider { provider in
            let name = S3TestServer.uniqueBucketName()
            try await S3TestServer.createBucket(name, with: provider)
            try await S3TestServer.putObject("team a/report 1.txt", in: name, with: provider)
            let connection = try S3TestServer.connection(bucket: name)
            #expect(try await provider.hasObjects(connection, prefix: "team a/"))
            #expect(try await provider.hasObjects(connection, prefix: "team b/") == false)
            #expect(try await provider.hasObjects(connection, prefix: ""))
        }
    }

    @Test func hasObjectsOnAMissingBucketThrowsTheProvidersAnswer() async throws {
        try await withS3Provider { provider in
            await #expect(throws: ProviderError.self) {
                try await provider.hasObjects(try S3TestServer.connection(bucket: S3TestServer.uniqueBucketName()), prefix: "x/")
            }
        }
    }

    @Test func serverErrorsAreOfflineAndRefusalsDisconnected() {
        let unavailable = ProviderResponse(status: 503, headers: [], body: "<Error><Code>SlowDown</Code><Message>Reduce</Message></Error>")
        #expect(unavailable.failure?.status == .offline)
        // Callers see the provider's code; its free text goes to the log only.
        #expect(unavailable.failure?.reason == "SlowDown")
        #expect(unavailable.failure?.detail == "SlowDown: Reduce")
        let chatty = ProviderResponse(status: 400, headers: [], body: "<Error><Code>Bad code with spaces</Code></Error>")
        #expect(chatty.failure?.reason == "HTTP 400")
        let denied = ProviderResponse(status: 403, headers: [], body: "")
        #expect(denied.failure?.status == .disconnected)
        #expect(denied.failure?.reason == "HTTP 403")
        let azure = ProviderResponse(status: 404, headers: [("x-ms-error-code", "ContainerNotFound")], body: "")
        #expect(azure.failure?.reason == "ContainerNotFound")
        let moved = ProviderResponse(status: 301, headers: [], body: "<Error><Code>PermanentRedirect</Code></Error>")
        #expect(moved.failure?.status == .disconnected)
        #expect(ProviderResponse(status: 200, headers: [], body: "").failure == nil)
    }

    @Test func addressingFollowsTheEndpointAndTheBucketName() throws {
        func url(_ bucket: String, endpoint: String?, region: String? = "eu-west-1", key: String? = nil) throws -> String {
            let connection = BucketConnection(
                storageType: .s3, bucket: bucket, key: "k", secret: SecretValue("s"), endpoint: endpoint, region: region)
            return try S3Provider.request("GET", connection, key: key, query: []).url
        }
        #expect(try url("my-bucket", endpoint: nil) == "https://my-bucket.s3.eu-west-1.amazonaws.com/")
        #expect(try url("my-bucket", endpoint: nil, key: "a b.txt") == "https://my-bucket.s3.eu-west-1.amazonaws.com/a%20b.txt")
        #expect(try url("my.dotted.bucket", endpoint: nil) == "https://s3.eu-west-1.amazonaws.com/my.dotted.bucket")
        #expect(try url("b", endpoint: nil, region: nil) == "https://s3.us-east-1.amazonaws.com/b")
        #expect(try url("b1", endpoint: "http://127.0.0.1:8333") == "http://127.0.0.1:8333/b1")
        #expect(try url("b1", endpoint: "https://gateway.storjshare.io/") == "https://gateway.storjshare.io/b1")
        #expect(try url("b1", endpoint: "https://example.com/s3", key: "k") == "https://example.com/s3/b1/k")
        #expect(throws: ProviderError.self) { try url("b1", endpoint: "ftp://example.com") }
    }
}
