import AsyncHTTPClient
import CisternCore
import Foundation
import NIOCore

/// One provider bucket as the gateway uses it: objects, listings, copies and multipart uploads in
/// S3's terms, whatever the provider speaks. The S3 front end, MIRROR fan-out, the repairer and
/// the backfill call members only through this, so a repository may mix providers freely
/// (issue 21): S3 and S3-compatible services (`S3ObjectStore`), GCS's JSON API
/// (`GCSObjectStore`) and Azure Blob (`AzureObjectStore`).
///
/// Keys are the provider's (a NORMAL member's folder already applied). Headers are S3's names in
/// lower case: `content-type`, `cache-control`, `x-amz-meta-*`, `x-amz-checksum-*`, `etag`...
/// Refusals that concern the object throw `S3Error` with S3's code (`NoSuchKey`,
/// `PreconditionFailed`, `InvalidRange`, `NoSuchUpload`, `InvalidPart`); a provider that failed
/// throws `ServiceUnavailable`; a provider that could not be reached throws whatever the
/// transport threw, which the gateway turns into `ServiceUnavailable`.
protocol ObjectStore: Sendable {
    /// GetObject (`head`: HeadObject): 200, 206 or 304, the object's stored headers, the body.
    func read(_ key: String, _ request: ReadRequest) async throws -> ObjectRead
    /// PutObject of a body whose length is known; `conditions` are `if-match` / `if-none-match`.
    func put(_ key: String, _ body: Payload, attributes: [(String, String)], conditions: [(String, String)]) async throws -> StoredObject
    /// DeleteObject; deleting what is not there succeeds, as in S3.
    func delete(_ key: String) async throws
    /// DeleteObjects: the keys that could not be deleted, each with why.
    func delete(_ keys: [String]) async throws -> [(key: String, error: S3Error)]
    /// One page of a listing.
    func list(_ request: ListRequest) async throws -> ListPage
    /// CopyObject within this bucket. `attributes` nil keeps the source's (S3's COPY directive);
    /// `conditions` are the `x-amz-copy-source-if-*` headers.
    func copy(from source: String, to key: String, attributes: [(String, String)]?, conditions: [(String, String)]) async throws -> CopiedObject

    /// CreateMultipartUpload: the provider's upload id.
    func createUpload(_ key: String, attributes: [(String, String)]) async throws -> String
    /// UploadPart: the part's ETag (and any checksums the provider reports).
    func uploadPart(_ key: String, uploadId: String, number: Int, _ body: Payload) async throws -> StoredObject
    /// UploadPartCopy from `source` in this bucket (`range`: `bytes=first-last`).
    func copyPart(
        from source: String, range: String?, to key: String, uploadId: String, number: Int, conditions: [(String, String)]
    ) async throws -> CopiedObject
    /// CompleteMultipartUpload from the parts' numbers and ETags, in order: the object's ETag.
    func completeUpload(_ key: String, uploadId: String, parts: [(number: Int, etag: String)]) async throws -> String
    /// AbortMultipartUpload.
    func abortUpload(_ key: String, uploadId: String) async throws
    /// ListParts: parts after `marker`, at most `maxParts`.
    func listParts(_ key: String, uploadId: String, marker: Int, maxParts: Int) async throws -> PartsPage
    /// ListMultipartUploads.
    func listUploads(_ request: UploadsRequest) async throws -> UploadsPage
}

/// A body to store: `length` bytes, with the checksum headers the client sent (`content-md5`,
/// `x-amz-checksum-*`), which the gateway verifies itself and a provider may verify again.
struct Payload: Sendable {
    enum Content: Sendable {
        /// Read and checked whole.
        case whole(ByteBuffer)
        /// Still arriving; its last piece is held back until every check has passed.
        case stream(HTTPClientRequest.Body)
    }

    var content: Content
    var length: Int
    var checksums: [(String, String)] = []

    var body: HTTPClientRequest.Body {
        switch self.content {
        case .whole(let buffer): .bytes(buffer)
        case .stream(let body): body
        }
    }

    /// A body still streaming from a provider (a copy's source), of `length` bytes.
    static func streaming(_ body: HTTPClientResponse.Body, length: Int) -> Payload {
        Payload(content: .stream(.stream(body, length: .known(Int64(length)))), length: length)
    }

    /// A body read whole, carrying its Content-MD5 (so the provider checks the transfer too).
    static func whole(_ buffer: ByteBuffer, checksums: [(String, String)] = []) -> Payload {
        Payload(
            content: .whole(buffer), length: buffer.readableBytes,
            checksums: checksums.filter { $0.0 != "content-md5" } + [("content-md5", ObjectAttributes.md5(buffer))]
        )
    }
}

struct ReadRequest: Sendable {
    var head = false
    /// An HTTP `Range` value.
    var range: String?
    /// `if-match`, `if-none-match`, `if-modified-since`, `if-unmodified-since`.
    var conditions: [(String, String)] = []
    /// Whether the client asked for the object's checksums (`x-amz-checksum-mode: ENABLED`).
    var checksums = false
}

/// An object's answer: its status (200, 206, 304), stored headers in S3's vocabulary, and its
/// body still streaming (nil for HEAD and 304).
struct ObjectRead: Sendable {
    var status: Int
    var headers: [(String, String)]
    var body: HTTPClientResponse.Body?

    func header(_ name: String) -> String? { self.headers.first { $0.0 == name }?.1 }
    var etag: String? { self.header("etag") }
    var length: Int? { self.header("content-length").flatMap { Int($0) } }

    /// The body of a copy's source and its length. Its conditions not holding is
    /// `PreconditionFailed`, whichever failed (S3 answers a copy so, never 304).
    func copySource() throws(S3Error) -> (body: HTTPClientResponse.Body, length: Int) {
        guard self.status != 304 else { throw Preconditions.failed }
        guard let body = self.body, let length = self.length else {
            throw S3Error("ServiceUnavailable", "The source's provider did not say how long the object is", status: 503)
        }
        return (body, length)
    }
}

/// What a write stored: its ETag (quoted, as S3 sends it) and any checksums the provider reports.
struct StoredObject: Sendable {
    var etag: String
    var checksums: [(String, String)] = []
}

struct CopiedObject: Sendable {
    var etag: String
    var lastModified: Date?
}

struct ListRequest: Sendable {
    var prefix = ""
    var delimiter: String?
    var maxKeys = 1000
    /// List keys strictly after this one.
    var startAfter: String?
    /// The `nextToken` of the page before (the provider's own).
    var token: String?
}

struct ObjectSummary: Sendable {
    var key: String
    var size: Int64
    var etag: String
    var lastModified: Date?
    var storageClass: String?
}

/// A page of a listing; `nextToken` is nil on the last.
struct ListPage: Sendable {
    var objects: [ObjectSummary] = []
    var prefixes: [String] = []
    var nextToken: String?
}

struct PartSummary: Sendable {
    var number: Int
    var etag: String
    var size: Int64
    var lastModified: Date?
}

struct PartsPage: Sendable {
    var parts: [PartSummary] = []
    /// Set when there are more parts: the marker of the next page.
    var nextMarker: Int?
}

struct UploadsRequest: Sendable {
    var prefix = ""
    var delimiter: String?
    var keyMarker: String?
    var uploadIdMarker: String?
    var maxUploads = 1000
}

struct UploadSummary: Sendable {
    var key: String
    var uploadId: String
    var initiated: Date?
}

struct UploadsPage: Sendable {
    var uploads: [UploadSummary] = []
    var prefixes: [String] = []
    /// Set when there are more: where the next page starts.
    var next: (keyMarker: String, uploadIdMarker: String)?
}

/// The stored headers of an object in S3's vocabulary, shared by the providers that translate them.
enum ObjectAttributes {
    /// The standard headers an object keeps.
    static let standard = ["cache-control", "content-disposition", "content-encoding", "content-language", "content-type", "expires"]
    static let metadataPrefix = "x-amz-meta-"

    /// User metadata by its name without the prefix.
    static func metadata(_ attributes: [(String, String)]) -> [String: String] {
        var metadata: [String: String] = [:]
        for (name, value) in attributes where name.hasPrefix(Self.metadataPrefix) {
            metadata[String(name.dropFirst(Self.metadataPrefix.count))] = value
        }
        return metadata
    }

    static func value(_ name: String, in headers: [(String, String)]) -> String? { headers.first { $0.0 == name }?.1 }

    static func md5(_ buffer: ByteBuffer) -> String {
        var md5 = Checksummer(.md5)
        buffer.withUnsafeReadableBytes { md5.update($0) }
        return md5.base64()
    }

    /// `"hex"` from a base64 MD5 (S3's ETag of a single-part object), nil when it is not one.
    static func etag(base64MD5: String?) -> String? {
        guard let base64MD5, let bytes = Data(base64Encoded: base64MD5), bytes.count == 16 else { return nil }
        return "\"\(HexDigit.lowercase(bytes))\""
    }
}
