import CisternCore
import CisternTestSupport
import Foundation
import Testing

@testable import CisternProviders

/// The Azure Blob client. No Azure emulator can be installed here (Azurite ships only through
/// npm), so the wire format is pinned by the SDK fixtures of `SharedKeySignerTests`, and these
/// tests cover addressing and the answers that need no Azure server.
@Suite("Azure Blob provider")
struct AzureBlobProviderTests {
    static func connection(endpoint: String?, account: String = "cisternacct") -> BucketConnection {
        BucketConnection(storageType: .blob, bucket: "backups", key: account, secret: SecretValue("c2VjcmV0"), endpoint: endpoint, region: nil)
    }

    @Test func addressingFollowsTheAccountOrTheEndpoint() throws {
        let cloud = try AzureBlobProvider.target(Self.connection(endpoint: nil))
        #expect(cloud.origin == "https://cisternacct.blob.core.windows.net")
        #expect(cloud.encodedPath == "/backups")
        let emulator = try AzureBlobProvider.target(Self.connection(endpoint: "http://127.0.0.1:10000/devstoreaccount1"))
        #expect(emulator.origin == "http://127.0.0.1:10000")
        #expect(emulator.encodedPath == "/devstoreaccount1/backups")
        let sovereign = try AzureBlobProvider.target(Self.connection(endpoint: "https://cisternacct.blob.core.chinacloudapi.cn/"))
        #expect(sovereign.encodedPath == "/backups")
        #expect(throws: ProviderError.self) { try AzureBlobProvider.target(Self.connection(endpoint: nil, account: "Bad Account")) }
    }

    @Test(.timeLimit(.minutes(5))) func anUnreachableEndpointIsOffline() async throws {
        // A long connect budget: on a starved machine a refusal can take seconds to be noticed.
        let http = ProviderHTTPClient.make(connectTimeout: .seconds(60))
        defer { _ = Task { try? await http.shutdown() } }
        // A long deadline for the refused port (so "refused" cannot turn into "timed out" on a busy
        // machine), a short one for the port that never answers.
        let refused = await AzureBlobProvider(http: http, timeout: .seconds(60))
            .probe(Self.connection(endpoint: "http://127.0.0.1:\(try closedPort())/acct"))
        #expect(refused.status == .offline)
        #expect(refused.reason == ProviderError.noAnswerReason)
        #expect(refused.detail == "connection refused")
        let silent = try SilentListener()
        defer { silent.close() }
        let hanging = await AzureBlobProvider(http: http, timeout: .seconds(1))
            .probe(Self.connection(endpoint: "http://127.0.0.1:\(silent.port)/acct"))
        #expect(hanging.status == .offline)
        // Refused and silent read the same to a caller: the check cannot tell open ports from closed.
        #expect(hanging.reason == refused.reason)
        #expect(hanging.detail?.contains("timed out") == true, "\(String(describing: hanging.detail))")
    }

    @Test func aKeyThatIsNotBase64IsDisconnectedBeforeAnyRequest() async throws {
        let http = ProviderHTTPClient.make()
        defer { _ = Task { try? await http.shutdown() } }
        var connection = Self.connection(endpoint: "http://127.0.0.1:\(try closedPort())/acct")
        connection.secret = SecretValue("%%%")
        let result = await AzureBlobProvider(http: http).probe(connection)
        #expect(result.status == .disconnected)
        #expect(result.reason == "the account key is not valid base64")
    }
}
