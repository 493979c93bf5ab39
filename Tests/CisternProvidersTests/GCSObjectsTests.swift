import AsyncHTTPClient
import CisternCore
import Crypto
import Foundation
import NIOCore
import Testing

@testable import CisternProviders

/// Objects of a GCS bucket through the JSON API, against fake-gcs-server: what a GCS member of a
/// repository must do for the S3 gateway (issue 21).
@Suite("GCS objects")
struct GCSObjectsTests {
    static func withObjects<T: Sendable>(_ body: (GCSObjects, BucketConnection) async throws -> T) async throws -> T {
        let name = try await GCSProviderTests.createBucket()
        let connection = try GCSProviderTests.connection(name)
        return try await GCSProviderTests.withProvider { provider in try await body(GCSObjects(provider), connection) }
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test func anObjectKeepsItsContentTypeMetadataAndDigests() async throws {
        try await Self.withObjects { objects, connection in
            let content = Array("a report, with words — and more words\n".utf8)
            let name = "team a/reports/2026 ünïcode.txt"
            let stored = try await objects.put(
                connection, name: name, body: ByteBuffer(bytes: content),
                attributes: GCSAttributes(contentType: "text/plain; charset=utf-8", metadata: ["color": "blue"])
            )
            #expect(stored.name == name && stored.size == Int64(content.count))
            #expect(stored.etag == "\"\(Self.hex(Insecure.MD5.hash(data: content)))\"", "an unchanged single upload's ETag is its MD5")
            let described = try #require(try await objects.head(connection, name: name))
            #expect(described == stored)
            #expect(described.contentType == "text/plain; charset=utf-8" && described.metadata == ["color": "blue"])
            #expect(described.crc32c?.isEmpty == false)
            let updated = try #require(described.updated, "GCS's `updated` instant was not read")
            #expect(abs(updated.timeIntervalSinceNow) < 600)

            let whole = try #require(try await objects.get(connection, name: name))
            #expect(Array(buffer: try await whole.body.collect(upTo: 1 << 20)) == content)
            #expect(whole.headers.first(name: "x-goog-hash")?.contains("md5=\(try #require(stored.md5))") == true)
            let part = try #require(try await objects.get(connection, name: name, range: "bytes=2-7"))
            #expect(part.status == .partialContent)
            #expect(Array(buffer: try await part.body.collect(upTo: 1 << 20)) == Array(content[2...7]))

            #expect(try await objects.head(connection, name: "nothing here") == nil)
            #expect(try await objects.get(connection, name: "nothing here") == nil)
            #expect(try await objects.delete(connection, name: name))
            #expect(try await objects.delete(connection, name: name) == false)
            #expect(try await objects.head(connection, name: name) == nil)
        }
    }

    @Test func listingsRollUpAtTheDelimiterAndPage() async throws {
        try await Self.withObjects { objects, connection in
            for name in ["a/1", "a/2", "a/sub/3", "b/4", "top"] {
                _ = try await objects.put(connection, name: name, body: ByteBuffer(string: name))
            }
            let rolled = try await objects.list(connection, prefix: "", delimiter: "/", pageToken: nil, maxResults: 100)
            #expect(rolled.prefixes == ["a/", "b/"])
            #expect(rolled.objects.map(\.name) == ["top"])
            let under = try await objects.list(connection, prefix: "a/", delimiter: "/", pageToken: nil, maxResults: 100)
            #expect(under.objects.map(\.name) == ["a/1", "a/2"] && under.prefixes == ["a/sub/"])
            var names: [String] = []
            var token: String?
            var pages = 0
            repeat {
                let page = try await objects.list(connection, prefix: "", delimiter: nil, pageToken: token, maxResults: 2)
                #expect(page.objects.count <= 2)
                names += page.objects.map(\.name)
                token = page.nextPageToken
                pages += 1
            } while token != nil && pages < 10
            #expect(names == ["a/1", "a/2", "a/sub/3", "b/4", "top"])
            #expect(pages == 3)
        }
    }

    @Test func copiesAndCompositionsHoldTheirSources() async throws {
        try await Self.withObjects { objects, connection in
            let original = try await objects.put(
                connection, name: "source", body: ByteBuffer(string: "copied content"),
                attributes: GCSAttributes(contentType: "text/plain", metadata: ["k": "v"]))
            let copy = try await objects.copy(connection, from: "source", to: "copies/one")
            #expect(copy.name == "copies/one" && copy.md5 == original.md5 && copy.metadata == ["k": "v"])
            // S3 multipart as GCS composes it: parts as objects, joined in order.
            let parts = ["part 1 · ", "part 2 · ", "part 3"]
            for (index, part) in parts.enumerated() {
                _ = try await objects.put(connection, name: ".parts/up/\(index)", body: ByteBuffer(string: part))
            }
            let joined = try await objects.compose(
                connection, sources: parts.indices.map { ".parts/up/\($0)" }, into: "joined.txt",
                attributes: GCSAttributes(contentType: "text/plain", metadata: ["m": "1"])
            )
            #expect(joined.size == Int64(parts.joined().utf8.count))
            let content = try #require(try await objects.get(connection, name: "joined.txt"))
            #expect(String(buffer: try await content.body.collect(upTo: 1 << 20)) == parts.joined())
            #expect(try #require(try await objects.head(connection, name: "joined.txt")).metadata == ["m": "1"])
        }
    }

    @Test func aBucketThatIsNotThereIsAProviderRefusal() async throws {
        try await GCSProviderTests.withProvider { provider in
            let connection = try GCSProviderTests.connection("no-such-bucket-\(UUID().uuidString.prefix(6).lowercased())")
            await #expect(throws: ProviderError.self) {
                _ = try await GCSObjects(provider).put(connection, name: "x", body: ByteBuffer(string: "x"))
            }
            await #expect(throws: ProviderError.self) {
                _ = try await GCSObjects(provider).list(connection, prefix: "", delimiter: nil, pageToken: nil, maxResults: 1)
            }
        }
    }
}
