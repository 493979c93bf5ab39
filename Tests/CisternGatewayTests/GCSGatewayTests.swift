import AsyncHTTPClient
import CisternCore
import CisternStore
import CisternTestSupport
import Crypto
import CryptoExtras
import Foundation
import NIOCore
import Testing

@testable import CisternGateway

/// GCS members (the JSON API, against fake-gcs-server) behind the S3 gateway: what boto3 and
/// rclone do not show in scripts/gateway-clients. Conditional and ranged reads, checksums,
/// uploads of more parts than one compose takes, the gateway's own upload objects kept from
/// clients, and copies between an S3 member and a GCS member of one repository.
@Suite("GCS members through the gateway")
struct GCSGatewayTests {
    @Test func readsAnswerConditionsRangesAndChecksumsAsS3Does() async throws {
        try await LiveGateway.runWithGCS { gateway in
            let bucket = try await gateway.registerGCSBucket()
            let key = try await gateway.addRepository([(bucket, "team")])
            let body = Array("twenty-six letters: abcdefghijklmnopqrstuvwxyz\n".utf8)
            let path = "/\(bucket.bucket)/notes/alphabet.txt"
            let put = try await gateway.send(
                "PUT", path, headers: [("Content-Type", "text/plain"), ("x-amz-meta-origin", "test")], body: body, key: key)
            #expect(put.status == 200, "\(put.body.text)")
            let etag = try #require(put.headers.first { $0.0 == "etag" }?.1)
            #expect(etag == "\"\(HexDigit.lowercase(Insecure.MD5.hash(data: body)))\"", "a single upload's ETag is its MD5")

            let get = try await gateway.send("GET", path, headers: [("x-amz-checksum-mode", "ENABLED")], key: key)
            #expect(get.status == 200 && get.body == body)
            #expect(get.headers.first { $0.0 == "etag" }?.1 == etag)
            #expect(get.headers.first { $0.0 == "content-type" }?.1 == "text/plain")
            #expect(get.headers.first { $0.0 == "x-amz-meta-origin" }?.1 == "test")
            var crc = Checksummer(.crc32c)
            crc.update(body)
            #expect(get.headers.first { $0.0 == "x-amz-checksum-crc32c" }?.1 == crc.base64(), "GCS's CRC32C is S3's full-object checksum")
            let lastModified = try #require(get.headers.first { $0.0 == "last-modified" }?.1)

            let range = try await gateway.send("GET", path, headers: [("Range", "bytes=20-25")], key: key)
            #expect(range.status == 206 && range.body.text == "abcdef")
            #expect(range.headers.first { $0.0 == "content-range" }?.1 == "bytes 20-25/\(body.count)")
            #expect(!range.headers.contains { $0.0.hasPrefix("x-amz-checksum-") }, "a range carries no whole-object checksum")

            // A 304 carries no body (one would corrupt the connection for the client's next request).
            let unchanged = try await gateway.send("GET", path, headers: [("If-None-Match", etag)], key: key)
            #expect(unchanged.status == 304 && unchanged.body.isEmpty && unchanged.headers.first { $0.0 == "etag" }?.1 == etag)
            #expect(try await gateway.send("GET", path, headers: [("If-Modified-Since", lastModified)], key: key).status == 304)
            let failed = try await gateway.send("GET", path, headers: [("If-Match", "\"0000\"")], key: key)
            #expect(failed.status == 412 && errorCode(failed.body) == "PreconditionFailed")
            #expect(try await gateway.send("HEAD", path, headers: [("If-Match", etag)], key: key).status == 200)
            let exclusive = try await gateway.send("PUT", path, headers: [("If-None-Match", "*")], body: [1], key: key)
            #expect(exclusive.status == 412, "If-None-Match: * on an existing key")
            let missing = try await gateway.send("GET", "/\(bucket.bucket)/notes/none", key: key)
            #expect(missing.status == 404 && errorCode(missing.body) == "NoSuchKey")
            #expect(try await GCSTestServer.names(in: bucket.bucket, with: gateway.http) == ["team/notes/alphabet.txt"])
        }
    }

    /// 40 parts: more than one compose takes (32), so the parts are joined in rounds.
    @Test func anUploadOfManyPartsIsComposedWholeAndLeavesNothingBehind() async throws {
        try await LiveGateway.runWithGCS { gateway in
            let bucket = try await gateway.registerGCSBucket()
            let key = try await gateway.addRepository([(bucket, "")])
            let path = "/\(bucket.bucket)/many/parts.bin"
            let created = try await gateway.send("POST", path, query: [("uploads", "")], headers: [("Content-Type", "application/x-parts")], key: key)
            #expect(created.status == 200, "\(created.body.text)")
            let uploadId = try #require(Self.value("UploadId", in: created.body))
            var whole: [UInt8] = []
            var document = "<CompleteMultipartUpload>"
            for number in 1...40 {
                let part = Array("part \(number) ".utf8) + [UInt8](repeating: UInt8(number), count: 1000 + number)
                whole += part
                let uploaded = try await gateway.send(
                    "PUT", path, query: [("partNumber", String(number)), ("uploadId", uploadId)], body: part, key: key)
                #expect(uploaded.status == 200, "\(uploaded.body.text)")
                let etag = try #require(uploaded.headers.first { $0.0 == "etag" }?.1)
                document += "<Part><PartNumber>\(number)</PartNumber><ETag>\(etag)</ETag></Part>"
            }
            document += "</CompleteMultipartUpload>"
            let listed = try await gateway.send("GET", path, query: [("uploadId", uploadId), ("max-parts", "25")], key: key)
            #expect(Self.values("PartNumber", in: listed.body) == (1...25).map(String.init))
            #expect(Self.value("IsTruncated", in: listed.body) == "true" && Self.value("NextPartNumberMarker", in: listed.body) == "25")
            // The gateway's upload objects are neither listed nor reachable.
            let listing = try await gateway.send("GET", "/\(bucket.bucket)", query: [("list-type", "2")], key: key)
            #expect(Self.values("Key", in: listing.body).isEmpty, "\(listing.body.text)")
            let names = try await GCSTestServer.names(in: bucket.bucket, with: gateway.http)
            let reserved = try #require(names.first { $0.hasPrefix(".cistern-uploads/") })
            #expect(try await gateway.send("GET", "/\(bucket.bucket)/\(reserved)", key: key).status == 404)
            #expect(try await gateway.send("PUT", "/\(bucket.bucket)/\(reserved)", body: [1], key: key).status == 400)

            let wrongTag = document.replacingOccurrences(of: "<PartNumber>3</PartNumber><ETag>", with: "<PartNumber>3</PartNumber><ETag>x")
            let refused = try await gateway.send("POST", path, query: [("uploadId", uploadId)], body: Array(wrongTag.utf8), key: key)
            #expect(refused.status == 400 && errorCode(refused.body) == "InvalidPart")
            let completed = try await gateway.send("POST", path, query: [("uploadId", uploadId)], body: Array(document.utf8), key: key)
            #expect(completed.status == 200, "\(completed.body.text)")
            let get = try await gateway.send("GET", path, key: key)
            #expect(get.body == whole, "the composed object differs")
            #expect(get.headers.first { $0.0 == "content-type" }?.1 == "application/x-parts", "the upload's type was not kept")
            #expect(try await GCSTestServer.names(in: bucket.bucket, with: gateway.http) == ["many/parts.bin"])
            let again = try await gateway.send("POST", path, query: [("uploadId", uploadId)], body: Array(document.utf8), key: key)
            #expect(again.status == 404 && errorCode(again.body) == "NoSuchUpload")
        }
    }

    /// One NORMAL repository over an S3 bucket and a GCS bucket: copies between them stream
    /// through the gateway, metadata and all.
    @Test func copiesCrossProvidersInsideOneRepository() async throws {
        try await LiveGateway.runWithGCS { gateway in
            let gcs = try await gateway.registerGCSBucket()
            let s3 = try #require(
                try await SQLBucketStore(database: gateway.runtime.database).buckets(ids: [gateway.repository.members[0].bucketId]).first)
            let key = try await gateway.addRepository([(s3, "mixed"), (gcs, "mixed")])
            let body = Array("from S3 to GCS and back\n".utf8)
            #expect(
                try await gateway.send("PUT", "/\(s3.bucket)/source.txt", headers: [("x-amz-meta-kept", "yes")], body: body, key: key).status == 200)
            let copied = try await gateway.send(
                "PUT", "/\(gcs.bucket)/copy.txt", headers: [("x-amz-copy-source", "/\(s3.bucket)/source.txt")], key: key)
            #expect(copied.status == 200 && Self.value("ETag", in: copied.body) != nil, "\(copied.body.text)")
            let atGCS = try await gateway.send("GET", "/\(gcs.bucket)/copy.txt", key: key)
            #expect(atGCS.body == body && atGCS.headers.first { $0.0 == "x-amz-meta-kept" }?.1 == "yes")
            // Inside the GCS member the copy is GCS's own (rewrite); its source conditions hold first.
            let tag = try #require(atGCS.headers.first { $0.0 == "etag" }?.1)
            let unchanged = try await gateway.send(
                "PUT", "/\(gcs.bucket)/again.txt",
                headers: [("x-amz-copy-source", "/\(gcs.bucket)/copy.txt"), ("x-amz-copy-source-if-none-match", tag)],
                key: key)
            #expect(unchanged.status == 412 && errorCode(unchanged.body) == "PreconditionFailed", "\(unchanged.body.text)")
            let again = try await gateway.send(
                "PUT", "/\(gcs.bucket)/again.txt", headers: [("x-amz-copy-source", "/\(gcs.bucket)/copy.txt"), ("x-amz-copy-source-if-match", tag)],
                key: key)
            #expect(again.status == 200 && Self.value("ETag", in: again.body) == tag, "\(again.body.text)")
            let back = try await gateway.send(
                "PUT", "/\(s3.bucket)/back.txt",
                headers: [("x-amz-copy-source", "/\(gcs.bucket)/copy.txt"), ("x-amz-copy-source-if-match", "\"not-it\"")], key: key)
            #expect(back.status == 412, "a failed source condition: \(back.body.text)")
            let replaced = try await gateway.send(
                "PUT", "/\(s3.bucket)/back.txt",
                headers: [
                    ("x-amz-copy-source", "/\(gcs.bucket)/copy.txt"), ("x-amz-metadata-directive", "REPLACE"), ("Content-Type", "text/x-back"),
                ], key: key)
            #expect(replaced.status == 200, "\(replaced.body.text)")
            let atS3 = try await gateway.send("GET", "/\(s3.bucket)/back.txt", key: key)
            #expect(atS3.body == body && atS3.headers.first { $0.0 == "content-type" }?.1 == "text/x-back")
            #expect(!atS3.headers.contains { $0.0 == "x-amz-meta-kept" }, "REPLACE keeps none of the source's metadata")
        }
    }

    /// ListObjects version 1 one entry a page, rolled up at `/`, at an S3 member and a GCS member:
    /// each page's `NextMarker` (a key or a common prefix) leads on without repeats or gaps.
    @Test func versionOneListingsPageThroughPrefixesAtEveryProvider() async throws {
        try await LiveGateway.runWithGCS { gateway in
            let gcs = try await gateway.registerGCSBucket()
            let gcsKey = try await gateway.addRepository([(gcs, "v1")])
            let s3Key = (access: gateway.writeKey.access, secret: gateway.writeKey.secret)
            for (bucket, key) in [(gateway.bucket, s3Key), (gcs.bucket, gcsKey)] {
                for name in ["a/1", "a/2", "b/1", "b/c/2", "c", "d/1"] {
                    #expect(try await gateway.send("PUT", "/\(bucket)/\(name)", body: Array(name.utf8), key: key).status == 200)
                }
                var seen: [String] = []
                var marker = ""
                for _ in 0..<10 {
                    let page = try await gateway.send(
                        "GET", "/\(bucket)", query: [("delimiter", "/"), ("max-keys", "1"), ("marker", marker)], key: key)
                    #expect(page.status == 200, "\(page.body.text)")
                    // One lexicographic order within a page (fake-gcs-server's maxResults counts only objects,
                    // so a page there may hold a prefix beside its key).
                    seen += (Self.values("Prefix", in: page.body).filter { !$0.isEmpty } + Self.values("Key", in: page.body)).sorted()
                    guard Self.value("IsTruncated", in: page.body) == "true", let next = Self.value("NextMarker", in: page.body) else { break }
                    marker = next
                }
                #expect(seen == ["a/", "b/", "c", "d/"], "\(bucket): \(seen)")
            }
        }
    }

    static func values(_ element: String, in body: [UInt8]) -> [String] {
        body.text.components(separatedBy: "<\(element)>").dropFirst().compactMap {
            $0.components(separatedBy: "</\(element)>").first?.replacingOccurrences(of: "&quot;", with: "\"")
        }
    }

    static func value(_ element: String, in body: [UInt8]) -> String? { Self.values(element, in: body).first }
}

/// A GCS member reached with a service account: the store asks the token endpoint for an access
/// token wide enough to write, and sends it with every JSON API request (a scripted server plays
/// both the token endpoint and GCS, which fake-gcs-server cannot: it takes any request).
@Suite("GCS members with a service account")
struct GCSServiceAccountTests {
    @Test func theStoreWritesWithAReadWriteToken() async throws {
        try await ScriptedHTTPServer.with { server, http in
            let stores = ObjectStores(http: http, gcsTokenURL: "http://127.0.0.1:\(server.port)/token")
            let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
            let connection = BucketConnection(
                storageType: .gcs, bucket: "reports", key: "writer@project.iam.gserviceaccount.com", secret: SecretValue(key.pemRepresentation),
                endpoint: "http://127.0.0.1:\(server.port)", region: nil
            )
            let token = #"{"access_token":"ya29.token","expires_in":3600}"#
            let object = #"{"name":"a.txt","size":"5","md5Hash":"XUFAKrxLKna5cZ2REBfFkg==","generation":"7","contentType":"text/plain"}"#
            server.script([
                .init(status: 200, headers: [("Content-Type", "application/json")], body: Array(token.utf8)),
                .init(status: 200, headers: [("Content-Type", "application/json")], body: Array(object.utf8)),
            ])
            let store = stores.store(for: connection, timeout: .seconds(30))
            let stored = try await store.put(
                "a.txt", .whole(ByteBuffer(string: "hello")), attributes: [("content-type", "text/plain")], conditions: [])
            #expect(stored.etag == "\"5d41402abc4b2a76b9719d911017c592\"")
            let requests = server.requests
            #expect(requests.count == 2)
            let form = String(decoding: requests[0].body, as: UTF8.self)
            let assertion = try #require(form.components(separatedBy: "assertion=").last)
            let claims = try #require(Data(base64Encoded: Self.padded(String(assertion.split(separator: ".")[1]))))
            #expect(String(decoding: claims, as: UTF8.self).contains("devstorage.read_write"), "the token's scope allows writing")
            #expect(requests[1].target.hasPrefix("/upload/storage/v1/b/reports/o?uploadType=multipart"))
            #expect(requests[1].header("authorization") == "Bearer ya29.token")
        }
    }

    /// base64url as base64, padded.
    static func padded(_ text: String) -> String {
        let base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        return base64 + String(repeating: "=", count: (4 - base64.count % 4) % 4)
    }
}
