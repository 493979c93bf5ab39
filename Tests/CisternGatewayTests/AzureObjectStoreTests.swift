import AsyncHTTPClient
import CisternCore
import CisternProviders
import CisternTestSupport
import Foundation
import NIOCore
import Testing

@testable import CisternGateway

/// The Azure Blob member. No Azure emulator installs here (Azurite ships only through npm), so
/// each operation is checked against `Fixtures/azure-blob.json` (scripts/azure-fixtures.py):
/// the requests Microsoft's `azure-storage-blob` sends for the same operation, and what the SDK
/// makes of Azure's documented answers, which a scripted server on 127.0.0.1 replays to the
/// store here. Every request the store sends must also carry a Shared Key signature of exactly
/// what it sent (the signer itself is pinned to the SDK by `SharedKeySignerTests`).
@Suite("Azure Blob members")
struct AzureObjectStoreTests {
    /// The fixture file, read afresh (a few kilobytes).
    static var fixtures: [String: Any] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/azure-blob.json")
        return (try? JSONSerialization.jsonObject(with: Data(contentsOf: url))) as? [String: Any] ?? [:]
    }

    static let key = "team a/notes ü.txt"
    static let uploadId = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    static let attributes = [
        ("content-type", "text/plain"), ("cache-control", "no-cache"), ("x-amz-meta-origin", "s3"), ("x-amz-meta-my-key", "kept"),
    ]

    struct Scenario {
        var answers: [ScriptedHTTPServer.Answer]
        var requests: [[String: Any]]
        var sdkSees: [String: Any]
    }

    static func scenario(_ name: String) throws -> Scenario {
        let all = (Self.fixtures["scenarios"] as? [[String: Any]]) ?? []
        let found = try #require(all.first { $0["name"] as? String == name }, "no fixture \(name)")
        let answers = ((found["answers"] as? [[String: Any]]) ?? []).map(Self.answer)
        return Scenario(
            answers: answers, requests: (found["requests"] as? [[String: Any]]) ?? [], sdkSees: (found["sdkSees"] as? [String: Any]) ?? [:])
    }

    static func answer(_ json: [String: Any]) -> ScriptedHTTPServer.Answer {
        ScriptedHTTPServer.Answer(
            status: json["status"] as? Int ?? 500, headers: ((json["headers"] as? [String: String]) ?? [:]).map { ($0.key, $0.value) },
            body: Array(((json["body"] as? String) ?? "").utf8)
        )
    }

    /// The marker of `uploadId` for `key`, as Get Blob Properties answers it.
    static func marker(for key: String) -> ScriptedHTTPServer.Answer {
        let record = UploadLedger.record(key: key, attributes: Self.attributes)
        return ScriptedHTTPServer.Answer(status: 200, headers: [("x-ms-meta-cisternupload", record), ("Content-Length", "0"), ("ETag", "\"0x1\"")])
    }

    static func withStore(_ body: (AzureObjectStore, ScriptedHTTPServer) async throws -> Void) async throws {
        try await ScriptedHTTPServer.with { server, http in
            let connection = BucketConnection(
                storageType: .blob, bucket: Self.fixtures["container"] as? String ?? "", key: Self.fixtures["account"] as? String ?? "",
                secret: SecretValue(Self.fixtures["key"] as? String ?? ""), endpoint: "http://127.0.0.1:\(server.port)/cisternacct", region: nil
            )
            try await body(AzureObjectStore(http: http, connection: connection, timeout: .seconds(30)), server)
        }
    }

    // MARK: Comparing requests

    /// A request as the fixture records it: method, decoded path under the account, sorted
    /// query, and the headers that carry meaning (`x-ms-range` and `range` are one).
    static func shape(_ request: ScriptedHTTPServer.Request) -> (method: String, path: String, query: [[String]], headers: [String: String]) {
        let parts = request.target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = String((PercentDecoding.decode(String(parts[0])) ?? "").dropFirst("/cisternacct".count))
        let query = parts.count > 1 ? Self.query(String(parts[1])) : []
        var headers: [String: String] = [:]
        let meaningful = [
            "x-ms-blob-type", "x-ms-blob-content-", "x-ms-blob-cache-control", "x-ms-meta-", "x-ms-copy-source", "x-ms-range", "range", "if-match",
            "if-none-match", "x-ms-source-if-",
        ]
        for (name, value) in request.headers where meaningful.contains(where: { name.lowercased().hasPrefix($0) }) {
            headers[name.lowercased() == "range" ? "x-ms-range" : name.lowercased()] = value
        }
        return (request.method, path, query.sorted { $0.lexicographicallyPrecedes($1) }, headers)
    }

    static func query(_ text: String) -> [[String]] {
        text.split(separator: "&").map { pair in
            let halves = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map { PercentDecoding.decode(String($0)) ?? "" }
            return [halves[0], halves.count > 1 ? halves[1] : ""]
        }
    }

    /// Checks that the store's request matches the SDK's: method, path and every header the SDK
    /// sent with its value (ours may carry more: `extra` names them); query names, and values
    /// except those `varying` names (ids of the gateway's own making, page sizes).
    static func expectSame(
        _ ours: ScriptedHTTPServer.Request, as sdk: [String: Any], extra: Set<String> = [], varying: Set<String> = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let mine = Self.shape(ours)
        #expect(mine.method == sdk["method"] as? String, sourceLocation: sourceLocation)
        #expect(mine.path == sdk["path"] as? String, sourceLocation: sourceLocation)
        let theirs = (sdk["query"] as? [[String]]) ?? []
        #expect(Set(mine.query.map { $0[0] }).subtracting(varying) == Set(theirs.map { $0[0] }).subtracting(varying), sourceLocation: sourceLocation)
        for pair in theirs where !varying.contains(pair[0]) {
            #expect(mine.query.contains(pair), "query \(pair)", sourceLocation: sourceLocation)
        }
        let headers = (sdk["headers"] as? [String: String]) ?? [:]
        for (name, value) in headers where name != "x-ms-copy-source" {
            #expect(mine.headers[name] == value, "header \(name)", sourceLocation: sourceLocation)
        }
        #expect(
            Set(mine.headers.keys).subtracting(headers.keys).subtracting(extra).isEmpty, "more headers: \(mine.headers)",
            sourceLocation: sourceLocation)
        Self.expectSigned(ours, sourceLocation: sourceLocation)
    }

    /// The Shared Key signature of exactly what arrived.
    static func expectSigned(_ request: ScriptedHTTPServer.Request, sourceLocation: SourceLocation = #_sourceLocation) {
        let parts = request.target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let query = parts.count > 1 ? Self.query(String(parts[1])).map { (name: $0[0], value: $0[1]) } : []
        var headers = request.headers.map { (name: $0.name.lowercased(), value: $0.value) }
        if request.body.isEmpty { headers.removeAll { $0.name == "content-length" } }
        let expected = try? SharedKeySigner.authorization(
            method: request.method, encodedPath: String(parts[0]), query: query, headers: headers, account: "cisternacct",
            key: SecretValue(Self.fixtures["key"] as? String ?? "")
        )
        #expect(request.header("authorization") != nil && request.header("authorization") == expected, "signature", sourceLocation: sourceLocation)
    }

    // MARK: Objects

    @Test func putBlobSendsTheSDKsRequestAndTheETagIsTheMD5() async throws {
        let scenario = try Self.scenario("put blob")
        try await Self.withStore { store, server in
            server.script(scenario.answers)
            let stored = try await store.put(Self.key, .whole(ByteBuffer(string: "hello")), attributes: Self.attributes, conditions: [])
            #expect(stored.etag == "\"5d41402abc4b2a76b9719d911017c592\"", "the blob's MD5 is S3's ETag of a single upload")
            let sent = try #require(server.requests.first)
            Self.expectSame(sent, as: scenario.requests[0], extra: ["x-ms-blob-content-md5"])
            #expect(Array(sent.body) == Array("hello".utf8))
            #expect(sent.header("content-md5") == "XUFAKrxLKna5cZ2REBfFkg==", "Azure checks the transfer")
        }
    }

    @Test func propertiesComeBackInS3sTermsAsTheSDKReadsThem() async throws {
        let scenario = try Self.scenario("blob properties")
        try await Self.withStore { store, server in
            server.script(scenario.answers)
            let read = try await store.read(Self.key, ReadRequest(head: true))
            Self.expectSame(try #require(server.requests.first), as: scenario.requests[0])
            #expect(read.length == scenario.sdkSees["size"] as? Int)
            #expect(read.header("content-type") == scenario.sdkSees["contentType"] as? String)
            #expect(read.header("x-amz-meta-origin") == "s3" && read.header("x-amz-meta-my-key") == "kept", "\(read.headers)")
            let md5 = try #require(Data(base64Encoded: scenario.sdkSees["md5"] as? String ?? ""))
            #expect(read.etag == "\"\(HexDigit.lowercase(md5))\"")
        }
    }

    @Test func aRangedReadIsPinnedToTheVersionItsHeadersDescribe() async throws {
        let properties = try Self.scenario("blob properties")
        let scenario = try Self.scenario("ranged read")
        try await Self.withStore { store, server in
            server.script(properties.answers + scenario.answers)
            let read = try await store.read(
                Self.key, ReadRequest(range: "bytes=1-3", conditions: [("if-match", "\"5d41402abc4b2a76b9719d911017c592\"")]))
            #expect(read.status == 206 && read.header("content-range") == "bytes 1-3/5")
            let body = try #require(read.body)
            #expect(String(buffer: try await body.collect(upTo: 1024)) == scenario.sdkSees["body"] as? String)
            let get = server.requests[1]
            Self.expectSame(get, as: scenario.requests[0], extra: ["if-match"])
            #expect(get.header("if-match") == "\"0x8DD11E3C3B4A6F1\"", "read pinned to Azure's ETag of what HEAD saw")

            server.script(properties.answers)
            let unchanged = try await store.read(Self.key, ReadRequest(conditions: [("if-none-match", "\"5d41402abc4b2a76b9719d911017c592\"")]))
            #expect(unchanged.status == 304 && unchanged.body == nil && unchanged.etag == "\"5d41402abc4b2a76b9719d911017c592\"")
            #expect(server.requests.count == 1, "a 304 reads no content")
        }
    }

    @Test func deletesAndRefusalsAreS3s() async throws {
        try await Self.withStore { store, server in
            let delete = try Self.scenario("delete")
            server.script(delete.answers)
            try await store.delete(Self.key)
            Self.expectSame(try #require(server.requests.first), as: delete.requests[0])

            let missing = try Self.scenario("missing blob")
            #expect(missing.sdkSees["errorCode"] as? String == "BlobNotFound")
            server.script(missing.answers)
            await #expect(throws: S3Error.forStatus(404)) { try await store.read(Self.key, ReadRequest(head: true)) }
            server.script(missing.answers)
            try await store.delete(Self.key)  // deleting what is not there succeeds, as in S3

            let exists = try Self.scenario("condition not met")
            server.script(exists.answers)
            await #expect(throws: Preconditions.failed) {
                try await store.put(Self.key, .whole(ByteBuffer(string: "hello")), attributes: [], conditions: [("if-none-match", "*")])
            }
            Self.expectSame(try #require(server.requests.first), as: exists.requests[0], extra: ["x-ms-blob-content-md5"])
        }
    }

    @Test func listingsPageWithAzuresMarkersAndRollUpAtTheDelimiter() async throws {
        let scenario = try Self.scenario("listing with a delimiter, two pages")
        try await Self.withStore { store, server in
            server.script(scenario.answers)
            let first = try await store.list(ListRequest(prefix: "team/", delimiter: "/", maxKeys: 2))
            let second = try await store.list(ListRequest(prefix: "team/", delimiter: "/", maxKeys: 2, token: first.nextToken))
            for (ours, theirs) in zip(server.requests, scenario.requests) { Self.expectSame(ours, as: theirs, varying: ["maxresults"]) }
            let pages = (scenario.sdkSees["pages"] as? [[[String: Any]]]) ?? []
            for (page, sdk) in zip([first, second], pages) {
                #expect(page.objects.map(\.key) == sdk.filter { $0["prefix"] as? Bool == false }.compactMap { $0["name"] as? String })
                #expect(page.prefixes == sdk.filter { $0["prefix"] as? Bool == true }.compactMap { $0["name"] as? String })
            }
            #expect(first.nextToken != nil && second.nextToken == nil)
            #expect(first.objects.first?.etag == "\"5d41402abc4b2a76b9719d911017c592\"" && first.objects.first?.size == 5)
            #expect(
                first.objects.first?.lastModified == Date(timeIntervalSince1970: Double(CivilDate.parseHTTPDate("Mon, 30 Nov 2026 11:59:00 GMT")!)))
        }
    }

    @Test func copiesSendTheSDKsCopyAndKeepTheMD5WhenReplacingProperties() async throws {
        let copy = try Self.scenario("copy blob")
        let properties = try Self.scenario("blob properties")
        let set = try Self.scenario("set properties")
        try await Self.withStore { store, server in
            server.script(copy.answers + properties.answers + set.answers + properties.answers)
            let copied = try await store.copy(from: Self.key, to: "copies/notes.txt", attributes: Self.attributes, conditions: [])
            #expect(copied.etag == "\"5d41402abc4b2a76b9719d911017c592\"")
            let requests = server.requests
            #expect(requests.count == 4)
            Self.expectSame(requests[0], as: copy.requests[0])
            let source = try #require(Self.shape(requests[0]).headers["x-ms-copy-source"])
            let sdkSource = try #require((copy.requests[0]["headers"] as? [String: String])?["x-ms-copy-source"])
            #expect(source == "http://127.0.0.1:\(server.port)/cisternacct" + sdkSource.dropFirst("https://cisternacct.blob.core.windows.net".count))
            var setRequest = set.requests[0]
            setRequest["path"] = "/backups/copies/notes.txt"
            Self.expectSame(requests[2], as: setRequest, extra: ["x-ms-blob-content-md5"])
            #expect(Self.shape(requests[2]).headers["x-ms-blob-content-md5"] == "XUFAKrxLKna5cZ2REBfFkg==", "setting properties keeps the MD5")
        }
    }

    // MARK: Multipart uploads

    @Test func partsAreBlocksWithRecordsAndCompletionCommitsThemInOrder() async throws {
        let block = try Self.scenario("put block")
        let blockList = try Self.scenario("put block list")
        let created = try Self.scenario("put blob").answers[0]
        let parts = try Self.scenario("listing with metadata")
        try await Self.withStore { store, server in
            server.script([Self.marker(for: Self.key)] + block.answers + [created])
            let part = try await store.uploadPart(Self.key, uploadId: Self.uploadId, number: 1, .whole(ByteBuffer(string: "hello")))
            #expect(part.etag == "\"5d41402abc4b2a76b9719d911017c592\"")
            var requests = server.requests
            #expect(requests.count == 3)
            Self.expectSame(requests[1], as: block.requests[0], varying: ["blockid"])
            let blockId = try #require(Self.shape(requests[1]).query.first { $0[0] == "blockid" }?[1])
            #expect(Data(base64Encoded: blockId).map { String(decoding: $0, as: UTF8.self) } == "0a1b2c3d4e5f4a6b8c7d9e0f1a2b3c4d00001")
            #expect(Self.shape(requests[2]).path == "/backups/.cistern-uploads/\(Self.uploadId)/00001")
            #expect(Self.shape(requests[2]).headers["x-ms-meta-cisternetag"] == part.etag)

            // The part list the record makes, as the SDK reads such a listing.
            let listed = String(decoding: parts.answers[0].body, as: UTF8.self)
                .replacingOccurrences(of: ".cistern-uploads/u/", with: ".cistern-uploads/\(Self.uploadId)/")
                .replacingOccurrences(of: "&quot;abc&quot;", with: part.etag).replacingOccurrences(of: "\"abc\"", with: part.etag)
            let listing = ScriptedHTTPServer.Answer(status: 200, headers: parts.answers[0].headers, body: Array(listed.utf8))
            let deleted = ScriptedHTTPServer.Answer(status: 202)
            server.script([Self.marker(for: Self.key), listing] + blockList.answers + [listing, deleted, deleted])
            _ = try await store.completeUpload(Self.key, uploadId: Self.uploadId, parts: [(1, part.etag)])
            requests = server.requests
            Self.expectSame(requests[1], as: parts.requests[0], varying: ["prefix", "maxresults"])
            Self.expectSame(requests[2], as: blockList.requests[0])
            let document = String(decoding: requests[2].body, as: UTF8.self)
            #expect(document.contains("<BlockList><Latest>\(blockId)</Latest></BlockList>"), "\(document)")
            #expect(requests.suffix(2).map { Self.shape($0).method } == ["DELETE", "DELETE"], "the record and the marker are removed")

            let invalid = try Self.scenario("invalid block list")
            server.script([Self.marker(for: Self.key), listing] + invalid.answers)
            await #expect(throws: Preconditions.invalidPart) {
                try await store.completeUpload(Self.key, uploadId: Self.uploadId, parts: [(1, part.etag)])
            }
            server.script([Self.marker(for: "another key")])
            await #expect(throws: S3Error.forStatus(404, missing: "NoSuchUpload")) {
                try await store.completeUpload(Self.key, uploadId: Self.uploadId, parts: [(1, part.etag)])
            }
        }
    }

    /// Starting an upload sweeps the container of uploads left for over a week (once an hour
    /// per container and process), and only of those.
    @Test func startingAnUploadSweepsAbandonedOnes() async throws {
        let old = "1a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
        let recent = "2a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
        let now = Int64(Date().timeIntervalSince1970)
        func marker(_ id: String, at seconds: Int64) -> String {
            "<Blob><Name>.cistern-uploads/\(id)/upload</Name><Properties><Last-Modified>\(CivilDate.httpDate(secondsSince1970: seconds))"
                + "</Last-Modified><Etag>0x1</Etag><Content-Length>0</Content-Length><BlobType>BlockBlob</BlobType></Properties>"
                + "<Metadata><cisternupload>\(UploadLedger.record(key: "k/\(id)", attributes: []))</cisternupload></Metadata></Blob>"
        }
        let listing =
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults ContainerName=\"backups\"><Prefix>.cistern-uploads/</Prefix>"
            + "<Blobs>\(marker(old, at: now - 8 * 86_400))\(marker(recent, at: now - 3_600))</Blobs><NextMarker /></EnumerationResults>"
        let empty = "<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults><Blobs /><NextMarker /></EnumerationResults>"
        try await Self.withStore { store, server in
            server.script([
                ScriptedHTTPServer.Answer(status: 201), ScriptedHTTPServer.Answer(status: 200, body: Array(listing.utf8)),
                ScriptedHTTPServer.Answer(status: 200, body: Array(empty.utf8)), ScriptedHTTPServer.Answer(status: 202),
            ])
            _ = try await store.createUpload("new.bin", attributes: [])
            let deadline = ContinuousClock.now + .seconds(30)
            while server.requests.count < 4 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            let requests = server.requests.map(Self.shape)
            #expect(requests.count == 4, "\(requests.map(\.path))")
            #expect(requests.last?.method == "DELETE" && requests.last?.path == "/backups/.cistern-uploads/\(old)/upload")
            #expect(!requests.contains { $0.path.contains(recent) }, "a recent upload is left alone")
        }
    }

    @Test func metadataNamesGoThereAndBackUnchanged() {
        for name in ["origin", "my-key", "9lives", "under_score", "ünï", "a.b c"] {
            let encoded = AzureObjectStore.metadataName(encoding: name)
            #expect(
                encoded.first.map { $0.isLetter || $0 == "_" } == true
                    && encoded.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
            #expect(AzureObjectStore.metadataName(decoding: encoded) == name)
        }
        #expect(AzureObjectStore.metadataName(encoding: "my-key") == "my_2d_key")
    }
}
