import CisternBootstrap
import CisternCore
import CisternGateway
import CisternStore
import CisternTestSupport
import Foundation
import Logging
import Testing

/// The gateway against a real S3 server (SeaweedFS), driven by a client that signs as the SDKs
/// do: objects go in and come back whole, inside the member's folder and nowhere else; every
/// refusal is S3's XML error with the code a client switches on.
@Suite("S3 gateway")
struct GatewayTests {
    static let trickyKeys = [
        "plain.txt", "dir/sub/file.csv", "with space.txt", "ünïcødé/ファイル.txt", "plus+sign", "percent%20literal", "a//double", "emoji 🪣.bin",
        "(parens) & [brackets] = {braces}",
    ]

    @Test func objectsGoInAndComeBackWholeInsideTheFolder() async throws {
        try await LiveGateway.run { gateway in
            for (index, key) in Self.trickyKeys.enumerated() {
                let body = Array("object \(index): \(key)\n".utf8)
                let put = try await gateway.send("PUT", "/\(gateway.bucket)/\(key)", headers: [("Content-Type", "text/plain")], body: body)
                #expect(put.status == 200, "\(key): \(put.body.text)")
                #expect(put.headers.contains { $0.0 == "etag" })
                let get = try await gateway.send("GET", "/\(gateway.bucket)/\(key)")
                #expect(get.status == 200, "\(key): \(get.body.text)")
                #expect(get.body == body, "\(key)")
                #expect(get.headers.first { $0.0 == "content-type" }?.1 == "text/plain")
                // Stored inside the member's folder, and only there.
                #expect(try await gateway.providerObject("\(LiveGateway.folder)/\(key)") == body.text, "\(key)")
                #expect(try await gateway.providerObject(key) == nil, "\(key)")
            }
            let head = try await gateway.send("HEAD", "/\(gateway.bucket)/\(Self.trickyKeys[0])")
            #expect(head.status == 200)
            #expect(head.headers.first { $0.0 == "content-length" }?.1 == "\(Array("object 0: plain.txt\n".utf8).count)")
            let delete = try await gateway.send("DELETE", "/\(gateway.bucket)/\(Self.trickyKeys[0])")
            #expect(delete.status == 204)
            let gone = try await gateway.send("GET", "/\(gateway.bucket)/\(Self.trickyKeys[0])")
            #expect(gone.status == 404)
            #expect(errorCode(gone.body) == "NoSuchKey")
            #expect(gone.headers.contains { $0.0 == "x-amz-request-id" })
        }
    }

    @Test func listingsShowTheFolderAsTheWholeBucket() async throws {
        try await LiveGateway.run { gateway in
            for key in ["a/1.txt", "a/2.txt", "b/3.txt", "top.txt"] {
                #expect(try await gateway.send("PUT", "/\(gateway.bucket)/\(key)", body: Array(key.utf8)).status == 200)
            }
            // Beside the folder, in the same provider bucket: never listed, never reachable.
            try await withS3Provider { provider in
                try await S3TestServer.putObject("outside.txt", in: gateway.bucket, with: provider)
                try await S3TestServer.putObject("teammate/secret.txt", in: gateway.bucket, with: provider)
            }
            let v2 = try await gateway.send("GET", "/\(gateway.bucket)", query: [("list-type", "2")])
            #expect(v2.status == 200, "\(v2.body.text)")
            #expect(Self.keys(v2.body) == ["a/1.txt", "a/2.txt", "b/3.txt", "top.txt"])
            let grouped = try await gateway.send("GET", "/\(gateway.bucket)", query: [("list-type", "2"), ("delimiter", "/")])
            #expect(Self.keys(grouped.body) == ["top.txt"])
            #expect(Self.values("Prefix", grouped.body).dropFirst() == ["a/", "b/"], "\(grouped.body.text)")
            let prefixed = try await gateway.send("GET", "/\(gateway.bucket)", query: [("prefix", "a/"), ("marker", "a/1.txt")])
            #expect(Self.keys(prefixed.body) == ["a/2.txt"], "\(prefixed.body.text)")
            let paged = try await gateway.send("GET", "/\(gateway.bucket)", query: [("list-type", "2"), ("max-keys", "2")])
            #expect(Self.keys(paged.body) == ["a/1.txt", "a/2.txt"])
            #expect(Self.values("IsTruncated", paged.body) == ["true"])
            let token = try #require(Self.values("NextContinuationToken", paged.body).first)
            let next = try await gateway.send("GET", "/\(gateway.bucket)", query: [("list-type", "2"), ("continuation-token", token)])
            #expect(Self.keys(next.body) == ["b/3.txt", "top.txt"], "\(next.body.text)")
            // The unversioned view of versions: each object once, version "null", inside the folder.
            let versions = try await gateway.send("GET", "/\(gateway.bucket)", query: [("versions", ""), ("max-keys", "3")])
            #expect(versions.status == 200, "\(versions.body.text)")
            #expect(Self.keys(versions.body) == ["a/1.txt", "a/2.txt", "b/3.txt"])
            #expect(Self.values("VersionId", versions.body) == ["null", "null", "null"])
            #expect(Self.values("NextKeyMarker", versions.body) == ["b/3.txt"])
            let rest = try await gateway.send("GET", "/\(gateway.bucket)", query: [("versions", ""), ("key-marker", "b/3.txt")])
            #expect(Self.keys(rest.body) == ["top.txt"])
            let outside = try await gateway.send("GET", "/\(gateway.bucket)/../outside.txt")
            #expect(outside.status == 404 || outside.status == 400, "\(outside.body.text)")
        }
    }

    @Test func aReadKeyReadsButCannotWrite() async throws {
        try await LiveGateway.run { gateway in
            #expect(try await gateway.send("PUT", "/\(gateway.bucket)/k", body: [1, 2, 3]).status == 200)
            let read = (gateway.readKey.access, gateway.readKey.secret)
            #expect(try await gateway.send("GET", "/\(gateway.bucket)/k", key: read).body == [1, 2, 3])
            for (method, body) in [("PUT", [UInt8]([9])), ("DELETE", [])] {
                let refused = try await gateway.send(method, "/\(gateway.bucket)/k", body: body, key: read)
                #expect(refused.status == 403)
                #expect(errorCode(refused.body) == "AccessDenied")
            }
            #expect(try await gateway.send("GET", "/\(gateway.bucket)/k").body == [1, 2, 3], "the object is unchanged")
        }
    }

    @Test func badCredentialsGetS3sCodes() async throws {
        try await LiveGateway.run { gateway in
            let path = "/\(gateway.bucket)/k"
            let unknown = try await gateway.send("GET", path, key: ("AKIDUNKNOWN000000000", "whatever"))
            #expect(unknown.status == 403)
            #expect(errorCode(unknown.body) == "InvalidAccessKeyId")
            let wrongSecret = try await gateway.send("GET", path, key: (gateway.writeKey.access, "not the secret"))
            #expect(errorCode(wrongSecret.body) == "SignatureDoesNotMatch")
            #expect(!wrongSecret.body.text.contains(gateway.writeKey.secret))
            let otherBucket = try await gateway.send("GET", "/not-a-member/k")
            #expect(otherBucket.status == 404)
            #expect(errorCode(otherBucket.body) == "NoSuchBucket")
            let deleteBucket = try await gateway.send("DELETE", "/\(gateway.bucket)")
            #expect(errorCode(deleteBucket.body) == "AccessDenied")
            let acl = try await gateway.send("GET", path, query: [("acl", "")])
            #expect(acl.status == 501)
            #expect(errorCode(acl.body) == "NotImplemented")
        }
    }

    @Test func everyAuthenticationFailureHasItsCode() async throws {
        try await LiveGateway.run { gateway in
            let path = "/\(gateway.bucket)/k"
            let skewed = try await gateway.send("GET", path, signedAt: Date().addingTimeInterval(-16 * 60))
            #expect(errorCode(skewed.body) == "RequestTimeTooSkewed")
            let wrongHash = try await gateway.send("PUT", path, body: Array("body".utf8), payloadHash: String(repeating: "0", count: 64))
            #expect(errorCode(wrongHash.body) == "XAmzContentSHA256Mismatch")
            #expect(try await gateway.providerObject("\(LiveGateway.folder)/k") == nil)
            let malformed = try await gateway.send("GET", path, replacing: ("authorization", "AWS4-HMAC-SHA256 Credential=nothing"))
            #expect(errorCode(malformed.body) == "AuthorizationHeaderMalformed")
            let version2 = try await gateway.send("GET", path, replacing: ("authorization", "AWS \(gateway.writeKey.access):c2lnbmF0dXJl"))
            #expect(errorCode(version2.body) == "InvalidRequest")
            let anonymous = try await gateway.http.execute(
                .init(url: "http://127.0.0.1:\(gateway.port)/\(gateway.bucket)/k"), timeout: .seconds(10)
            )
            #expect(anonymous.status.code == 403)
            #expect(errorCode(Array(buffer: try await anonymous.body.collect(upTo: 1 << 20))) == "AccessDenied")
        }
    }

    @Test func anotherProcesssRevocationAppliesBeforeItsAnswer() async throws {
        try await LiveGateway.run { gateway in
            #expect(try await gateway.send("GET", "/\(gateway.bucket)", query: [("list-type", "2")]).status == 200)
            // Revoked through a database of its own, as another process would: once the call has
            // returned, this process no longer lets the key in.
            let other = try await Database.open(url: gateway.runtime.dataDirectory.databaseURL, logger: Logger(label: "other"))
            let store = SQLRepositoryStore(database: other)
            let done = try await store.revokeKey(id: gateway.writeKey.id, repositoryId: gateway.repository.id, now: Date())
            try await other.close()
            #expect(done)
            let refused = try await gateway.send("GET", "/\(gateway.bucket)", query: [("list-type", "2")])
            #expect(errorCode(refused.body) == "InvalidAccessKeyId")
        }
    }

    @Test func aRevokedKeyIsRefusedOnTheNextRequest() async throws {
        try await LiveGateway.run { gateway in
            #expect(try await gateway.send("GET", "/\(gateway.bucket)", query: [("list-type", "2")]).status == 200)
            let store = SQLRepositoryStore(database: gateway.runtime.database)
            #expect(try await store.revokeKey(id: gateway.writeKey.id, repositoryId: gateway.repository.id, now: Date()))
            let refused = try await gateway.send("GET", "/\(gateway.bucket)", query: [("list-type", "2")])
            #expect(refused.status == 403)
            #expect(errorCode(refused.body) == "InvalidAccessKeyId")
        }
    }

    @Test func aBodyThatFailsItsChecksIsStoredNowhere() async throws {
        try await LiveGateway.run { gateway in
            let body = Array("the real body".utf8)
            let wrongMD5 = Data(Array(repeating: 0, count: 16)).base64EncodedString()
            let badDigest = try await gateway.send("PUT", "/\(gateway.bucket)/md5", headers: [("Content-MD5", wrongMD5)], body: body)
            #expect(badDigest.status == 400)
            #expect(errorCode(badDigest.body) == "BadDigest")
            #expect(try await gateway.providerObject("\(LiveGateway.folder)/md5") == nil)
            let wrongCRC = try await gateway.send("PUT", "/\(gateway.bucket)/crc", headers: [("x-amz-checksum-crc32", "AAAAAA==")], body: body)
            #expect(errorCode(wrongCRC.body) == "BadDigest")
            let stored = try await gateway.providerObject("\(LiveGateway.folder)/crc")
            #expect(stored == nil, "\(String(describing: stored))")
            var crc = Checksummer(.crc32)
            crc.update(body)
            let rightCRC = try await gateway.send("PUT", "/\(gateway.bucket)/crc", headers: [("x-amz-checksum-crc32", crc.base64())], body: body)
            #expect(rightCRC.status == 200, "\(rightCRC.body.text)")
            #expect(try await gateway.providerObject("\(LiveGateway.folder)/crc") == body.text)
        }
    }

    @Test func aLargeBodyGoesUpInPartsAndOnlyWholeAndChecked() async throws {
        try await LiveGateway.run { gateway in
            // 20 MiB and a bit: two full parts of 8 MiB and a short last one.
            let size = 20 * 1024 * 1024 + 12_345
            let body = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
            var crc = Checksummer(.crc32c)
            crc.update(body)
            let put = try await gateway.send("PUT", "/\(gateway.bucket)/big.bin", headers: [("x-amz-checksum-crc32c", crc.base64())], body: body)
            #expect(put.status == 200, "\(put.body.text)")
            let get = try await gateway.send("GET", "/\(gateway.bucket)/big.bin")
            #expect(get.status == 200)
            #expect(get.body.count == size)
            #expect(get.body == body)
            let range = try await gateway.send("GET", "/\(gateway.bucket)/big.bin", headers: [("Range", "bytes=8388600-8388615")])
            #expect(range.status == 206)
            #expect(range.body == Array(body[8_388_600...8_388_615]))
            // The same size with a wrong checksum: refused, and the object before it is untouched.
            let refused = try await gateway.send(
                "PUT", "/\(gateway.bucket)/big.bin", headers: [("x-amz-checksum-crc32c", "AAAAAA==")], body: Array(body.reversed())
            )
            #expect(errorCode(refused.body) == "BadDigest")
            #expect(try await gateway.send("GET", "/\(gateway.bucket)/big.bin").body == body)
            let refusedNew = try await gateway.send(
                "PUT", "/\(gateway.bucket)/never.bin", headers: [("x-amz-checksum-crc32c", "AAAAAA==")], body: body)
            #expect(errorCode(refusedNew.body) == "BadDigest")
            #expect(try await gateway.providerObject("\(LiveGateway.folder)/never.bin") == nil)
        }
    }

    static func values(_ element: String, _ body: [UInt8]) -> [String] {
        let text = body.text
        var values: [String] = []
        var rest = text[...]
        while let open = rest.range(of: "<\(element)>"), let close = rest.range(of: "</\(element)>", range: open.upperBound..<rest.endIndex) {
            values.append(String(rest[open.upperBound..<close.lowerBound]))
            rest = rest[close.upperBound...]
        }
        return values
    }

    static func keys(_ body: [UInt8]) -> [String] { Self.values("Key", body) }
}

/// Two NORMAL repositories sharing one bucket through different folders: neither can reach the
/// other's objects, however a key is spelled.
@Suite("S3 gateway isolation")
struct GatewayIsolationTests {
    @Test func neighboursInOneBucketCannotSeeEachOther() async throws {
        try await LiveGateway.run { gateway in
            #expect(try await gateway.send("PUT", "/\(gateway.bucket)/secret.txt", body: Array("team's".utf8)).status == 200)
            let neighbour = try await gateway.addRepository(folder: "other")
            let listed = try await gateway.send("GET", "/\(gateway.bucket)", query: [("list-type", "2")], key: neighbour)
            #expect(listed.status == 200)
            #expect(GatewayTests.keys(listed.body).isEmpty, "\(listed.body.text)")
            let missing = try await gateway.send("GET", "/\(gateway.bucket)/secret.txt", key: neighbour)
            #expect(errorCode(missing.body) == "NoSuchKey")
            for key in ["../team/secret.txt", "./../team/secret.txt", "x/../../team/secret.txt"] {
                let read = try await gateway.send("GET", "/\(gateway.bucket)/\(key)", key: neighbour)
                #expect(errorCode(read.body) == "InvalidArgument", "\(key): \(read.status) \(read.body.text)")
            }
            let overwrite = try await gateway.send("PUT", "/\(gateway.bucket)/../team/secret.txt", body: Array("theirs".utf8), key: neighbour)
            #expect(errorCode(overwrite.body) == "InvalidArgument", "\(overwrite.body.text)")
            let escapingList = try await gateway.send(
                "GET", "/\(gateway.bucket)", query: [("list-type", "2"), ("prefix", "../team/")], key: neighbour)
            #expect(errorCode(escapingList.body) == "InvalidArgument", "\(escapingList.body.text)")
            #expect(try await gateway.send("GET", "/\(gateway.bucket)/secret.txt").body.text == "team's")
        }
    }
}
