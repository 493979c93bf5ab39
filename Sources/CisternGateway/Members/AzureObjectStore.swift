import AsyncHTTPClient
import CisternCore
import CisternProviders
import Foundation
import NIOCore
import NIOHTTP1

/// An Azure Blob container with Shared Key (the storage account and its key), block blobs only.
///
/// - ETags: the blob's Content-MD5 in hex, as S3 gives a single-part object (Put Blob stores the
///   MD5 the gateway computed); a blob without one (a completed multipart upload) gets Azure's
///   own ETag. Conditional reads are evaluated on the blob's properties, and its content read
///   with Azure's `If-Match` on the version described, so headers and body are of one version.
/// - Metadata: S3's names are lower case and may hold `-`; Azure's must be C# identifiers. A name
///   of letters and digits (not first) is kept as it is; any other character is `_xx_` in hex
///   (`_` itself included), so every name goes there and back unchanged.
/// - Multipart uploads: kept as `UploadLedger` says. A part is an uncommitted block of the key's
///   blob (id: the upload and the part number) and a record blob
///   `.cistern-uploads/<id>/<number>` with its ETag and size; completion commits the blocks in
///   order (Put Block List) and removes the records. Azure drops uncommitted blocks after a week,
///   and when any block list of the blob is committed: of two uploads to one key at once, the one
///   completed second fails with `InvalidPart`.
/// - Listings after a key (`start-after`, version 1's `marker`) page through the container from
///   the prefix, as List Blobs has no such parameter in this API version.
/// - `Expires` and the storage class have no blob property and are not kept.
///
/// No Azure emulator installs here: this store is tested against the requests Microsoft's
/// `azure-storage-blob` makes for the same operations and against Azure's documented answers
/// (`Tests/CisternGatewayTests/AzureObjectStoreTests.swift`).
struct AzureObjectStore: LedgeredStore {
    let http: HTTPClient
    let connection: BucketConnection
    let timeout: TimeAmount

    // MARK: Objects

    func read(_ key: String, _ request: ReadRequest) async throws -> ObjectRead {
        try UploadLedger.requireClientKey(key, missing: true)
        return try await ObjectRead.pinned(request) {
            let properties = try await self.properties(key)
            let etag = Self.etag(properties.headers)
            return DescribedObject(
                headers: Self.objectHeaders(properties.headers, etag: etag), etag: etag, lastModified: Self.lastModified(properties.headers),
                size: properties.headers.first(name: "content-length").flatMap { Int64($0) } ?? 0,
                version: properties.headers.first(name: "etag") ?? "*"
            )
        } content: { version in
            var conditions = [("if-match", version)]
            if let range = request.range { conditions.append(("range", range)) }
            let content = try await self.send("GET", blob: key, headers: conditions)
            if content.status == .preconditionFailed { return nil }
            try await Self.requireSuccess(content)
            return content
        }
    }

    func put(_ key: String, _ body: Payload, attributes: [(String, String)], conditions: [(String, String)]) async throws -> StoredObject {
        try UploadLedger.requireClientKey(key)
        var headers = [("x-ms-blob-type", "BlockBlob")] + Self.blobHeaders(attributes) + (try await self.writeConditions(key, conditions))
        if let md5 = ObjectAttributes.value("content-md5", in: body.checksums) {
            headers += [("content-md5", md5), ("x-ms-blob-content-md5", md5)]
        }
        let answer = try await self.send("PUT", blob: key, headers: headers, body: body)
        try await Self.requireSuccess(answer)
        return StoredObject(etag: Self.etag(answer.headers), checksums: body.checksums.filter { $0.0.hasPrefix("x-amz-checksum-") })
    }

    func delete(_ key: String) async throws {
        try UploadLedger.requireClientKey(key, missing: true)
        try await self.remove(key)
    }

    func list(_ request: ListRequest) async throws -> ListPage {
        var marker = request.token
        var page = ListPage()
        // Without a token, a listing after a key pages from the start of the prefix, skipping.
        let after = request.token == nil ? request.startAfter : nil
        repeat {
            let answer = try await self.listBlobs(prefix: request.prefix, delimiter: request.delimiter, marker: marker, maxResults: request.maxKeys)
            for entry in answer.children("Blobs").flatMap(\.children) {
                guard let name = entry.value("Name"), !name.hasPrefix(UploadLedger.prefix), after.map({ name > $0 }) ?? true else { continue }
                if entry.name == "BlobPrefix" {
                    page.prefixes.append(name)
                } else if entry.name == "Blob", let properties = entry.child("Properties") {
                    page.objects.append(
                        ObjectSummary(
                            key: name, size: properties.value("Content-Length").flatMap { Int64($0) } ?? 0,
                            etag: Self.etag(md5: properties.value("Content-MD5"), azure: properties.value("Etag")),
                            lastModified: Self.date(properties.value("Last-Modified")),
                            storageClass: "STANDARD"
                        ))
                }
            }
            marker = answer.value("NextMarker").flatMap { $0.isEmpty ? nil : $0 }
        } while marker != nil && page.objects.isEmpty && page.prefixes.isEmpty && after != nil
        page.nextToken = marker
        return page
    }

    func copy(from source: String, to key: String, attributes: [(String, String)]?, conditions: [(String, String)]) async throws -> CopiedObject {
        try UploadLedger.requireClientKey(key)
        let sourceConditions = try await self.sourceConditions(source, conditions)
        var headers = [("x-ms-copy-source", try self.url(of: source))] + sourceConditions
        if let attributes { headers += Self.metadataHeaders(attributes) }
        try await Self.requireSuccess(try await self.send("PUT", blob: key, headers: headers))
        var copied = try await self.properties(key)
        // A copy within the account is done at once; one still pending is waited for.
        for _ in 0..<600 where copied.headers.first(name: "x-ms-copy-status") == "pending" {
            try await Task.sleep(for: .milliseconds(100))
            copied = try await self.properties(key)
        }
        guard (copied.headers.first(name: "x-ms-copy-status") ?? "success") == "success" else {
            throw S3Error("ServiceUnavailable", "The provider did not finish the copy. Please try again.", status: 503)
        }
        if let attributes {
            // Blob properties are set together: the MD5 goes with them, or it would be cleared.
            var properties = Self.blobHeaders(attributes).filter { !$0.0.hasPrefix("x-ms-meta-") }
            if let md5 = copied.headers.first(name: "content-md5") { properties.append(("x-ms-blob-content-md5", md5)) }
            try await Self.requireSuccess(try await self.send("PUT", blob: key, query: [("comp", "properties")], headers: properties))
            copied = try await self.properties(key)
        }
        return CopiedObject(etag: Self.etag(copied.headers), lastModified: Self.lastModified(copied.headers))
    }

    // MARK: Multipart uploads

    func createUpload(_ key: String, attributes: [(String, String)]) async throws -> String {
        try UploadLedger.requireClientKey(key)
        let uploadId = UploadLedger.newUploadId()
        let record = [("x-ms-meta-\(UploadLedger.metadataName)", UploadLedger.record(key: key, attributes: attributes))]
        try await Self.requireSuccess(
            try await self.send("PUT", blob: UploadLedger.markerName(uploadId), headers: [("x-ms-blob-type", "BlockBlob")] + record))
        self.sweepIfDue("blob|\(self.connection.key)|\(self.connection.bucket)")
        return uploadId
    }

    func uploadPart(_ key: String, uploadId: String, number: Int, _ body: Payload) async throws -> StoredObject {
        _ = try await self.upload(uploadId, of: key)
        var headers: [(String, String)] = []
        if let md5 = ObjectAttributes.value("content-md5", in: body.checksums) { headers.append(("content-md5", md5)) }
        let block = try await self.send(
            "PUT", blob: key, query: [("comp", "block"), ("blockid", Self.blockId(uploadId, number))], headers: headers, body: body)
        try await Self.requireSuccess(block)
        guard let etag = ObjectAttributes.etag(base64MD5: block.headers.first(name: "content-md5")) else {
            throw S3Error("ServiceUnavailable", "The provider did not confirm the part. Please try again.", status: 503)
        }
        let record = [
            ("x-ms-blob-type", "BlockBlob"), ("x-ms-meta-cisternetag", etag), ("x-ms-meta-cisternsize", String(body.length)),
        ]
        try await Self.requireSuccess(try await self.send("PUT", blob: UploadLedger.partName(uploadId, number), headers: record))
        return StoredObject(etag: etag, checksums: body.checksums.filter { $0.0.hasPrefix("x-amz-checksum-") })
    }

    func completeUpload(_ key: String, uploadId: String, parts: [(number: Int, etag: String)]) async throws -> String {
        let attributes = try await self.completable(key, uploadId: uploadId, parts: parts)
        let blocks = parts.map { "<Latest>\(Self.blockId(uploadId, $0.number))</Latest>" }.joined()
        let document = "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>\(blocks)</BlockList>"
        let body = ByteBuffer(string: document)
        let committed = try await self.send(
            "PUT", blob: key, query: [("comp", "blocklist")], headers: Self.blobHeaders(attributes),
            body: Payload(content: .whole(body), length: body.readableBytes)
        )
        if committed.status == .badRequest, committed.headers.first(name: "x-ms-error-code") == "InvalidBlockList" {
            throw Preconditions.invalidPart
        }
        try await Self.requireSuccess(committed)
        try? await self.removeUpload(uploadId)
        return Self.etag(committed.headers)
    }

    func listUploads(_ request: UploadsRequest) async throws -> UploadsPage {
        var uploads: [UploadSummary] = []
        var marker: String?
        repeat {
            let answer = try await self.listBlobs(prefix: UploadLedger.prefix, delimiter: nil, marker: marker, maxResults: 1000, metadata: true)
            for blob in answer.children("Blobs").flatMap({ $0.children("Blob") }) {
                guard let name = blob.value("Name"), name.hasSuffix("/upload"),
                    let record = UploadLedger.read(blob.child("Metadata")?.value(UploadLedger.metadataName))
                else { continue }
                let id = UploadLedger.uploadId(ofPrefix: String(name.dropLast("upload".count)))
                uploads.append(UploadSummary(key: record.key, uploadId: id, initiated: Self.date(blob.child("Properties")?.value("Last-Modified"))))
            }
            marker = answer.value("NextMarker").flatMap { $0.isEmpty ? nil : $0 }
        } while marker != nil && uploads.count < 100_000
        return UploadLedger.page(uploads, request)
    }

    // MARK: Uploads' blobs

    func upload(_ uploadId: String, of key: String) async throws -> [(String, String)] {
        guard UploadLedger.isUploadId(uploadId) else { throw S3Error.forStatus(404, missing: "NoSuchUpload") }
        let marker = try await self.send("HEAD", blob: UploadLedger.markerName(uploadId))
        guard marker.status == .ok, let record = UploadLedger.read(marker.headers.first(name: "x-ms-meta-\(UploadLedger.metadataName)")),
            record.key == key
        else {
            if marker.status.code >= 500 { try await Self.requireSuccess(marker, head: true) }
            throw S3Error.forStatus(404, missing: "NoSuchUpload")
        }
        return record.attributes
    }

    /// A part's block id: the upload and the part number, base64 (every id of a blob has one length).
    static func blockId(_ uploadId: String, _ number: Int) -> String {
        let digits = String(number)
        let id = uploadId.replacingOccurrences(of: "-", with: "") + String(repeating: "0", count: max(0, 5 - digits.count)) + digits
        return Data(id.utf8).base64EncodedString()
    }

    func parts(_ uploadId: String) async throws -> [PartSummary] {
        var parts: [PartSummary] = []
        var marker: String?
        let prefix = "\(UploadLedger.prefix)\(uploadId)/"
        repeat {
            let answer = try await self.listBlobs(prefix: prefix, delimiter: nil, marker: marker, maxResults: 1000, metadata: true)
            for blob in answer.children("Blobs").flatMap({ $0.children("Blob") }) {
                guard let name = blob.value("Name"), let number = Int(name.dropFirst(prefix.count)), let metadata = blob.child("Metadata"),
                    let etag = metadata.value("cisternetag")
                else { continue }
                parts.append(
                    PartSummary(
                        number: number, etag: etag, size: metadata.value("cisternsize").flatMap { Int64($0) } ?? 0,
                        lastModified: Self.date(blob.child("Properties")?.value("Last-Modified"))))
            }
            marker = answer.value("NextMarker").flatMap { $0.isEmpty ? nil : $0 }
        } while marker != nil
        return parts.sorted { $0.number < $1.number }
    }

    func removeUpload(_ uploadId: String) async throws {
        for part in try await self.parts(uploadId) { try await self.remove(UploadLedger.partName(uploadId, part.number)) }
        try await self.remove(UploadLedger.markerName(uploadId))
    }

    /// Deletes one blob; one that is not there counts as deleted.
    func remove(_ name: String) async throws {
        let answer = try await self.send("DELETE", blob: name)
        if answer.status == .notFound { return }
        try await Self.requireSuccess(answer)
    }

    // MARK: Requests

    func send(
        _ method: String, blob: String?, query: [(String, String)] = [], headers: [(String, String)] = [], body: Payload? = nil
    ) async throws -> HTTPClientResponse {
        var request = try Self.providerRequest {
            try AzureBlobProvider.request(method, self.connection, blob: blob, query: query, headers: headers, contentLength: body?.length ?? 0)
        }
        if let body { request.body = body.body }
        return try await self.http.execute(request, timeout: self.timeout)
    }

    static func providerRequest(_ build: () throws -> HTTPClientRequest) throws -> HTTPClientRequest {
        do {
            return try build()
        } catch let error as ProviderError {
            throw S3Error.accessDenied("The bucket's credentials cannot sign requests: \(error.reason)")
        }
    }

    /// The blob's properties (Get Blob Properties); `NoSuchKey` when there is none.
    func properties(_ key: String) async throws -> HTTPClientResponse {
        let answer = try await self.send("HEAD", blob: key)
        try await Self.requireSuccess(answer, head: true)
        return answer
    }

    /// One page of List Blobs.
    func listBlobs(prefix: String, delimiter: String?, marker: String?, maxResults: Int, metadata: Bool = false) async throws -> XMLNode {
        var query = [("restype", "container"), ("comp", "list"), ("prefix", prefix), ("maxresults", String(max(1, maxResults)))]
        if let delimiter { query.append(("delimiter", delimiter)) }
        if let marker { query.append(("marker", marker)) }
        if metadata { query.append(("include", "metadata")) }
        let answer = try await self.send("GET", blob: nil, query: query)
        try await Self.requireSuccess(answer)
        guard let root = XMLNode.parse(Array(buffer: try await answer.body.collect(upTo: S3ObjectStore.maximumDocument))),
            root.name == "EnumerationResults"
        else { throw S3ObjectStore.unreadable }
        return root
    }

    /// The absolute URL of a blob of this container (a copy's source).
    func url(of blob: String) throws -> String {
        let request = try Self.providerRequest { try AzureBlobProvider.request("GET", self.connection, blob: blob) }
        return request.url
    }

    /// Throws the S3 error an Azure refusal stands for (`x-ms-error-code` names it).
    static func requireSuccess(_ answer: HTTPClientResponse, head: Bool = false) async throws {
        let status = Int(answer.status.code)
        guard status >= 300 else { return }
        if !head { _ = try? await answer.body.collect(upTo: S3ObjectStore.maximumDocument) }
        switch answer.headers.first(name: "x-ms-error-code") {
        case "ContainerNotFound": throw S3Error("NoSuchBucket", "The bucket's container does not exist at the provider", status: 404)
        case "Md5Mismatch": throw S3Error.badDigest("The Content-MD5 you specified did not match what we received.")
        case "InvalidBlockList", "InvalidBlockId": throw Preconditions.invalidPart
        case "AuthenticationFailed", "AuthorizationFailure": throw S3Error.accessDenied("The bucket's provider refused the request")
        default: throw S3Error.forStatus(status)
        }
    }

    /// What a copy's `x-amz-copy-source-if-*` conditions become: checked here on the source's
    /// S3 ETag, then pinned to its Azure ETag.
    func sourceConditions(_ source: String, _ conditions: [(String, String)]) async throws -> [(String, String)] {
        guard !conditions.isEmpty else { return [] }
        let properties = try await self.properties(source)
        let conditions = Preconditions.readConditions(conditions)
        // A copy's failed source condition is 412, whichever failed.
        guard
            (try? Preconditions.notModified(conditions, etag: Self.etag(properties.headers), lastModified: Self.lastModified(properties.headers)))
                == false
        else { throw Preconditions.failed }
        return properties.headers.first(name: "etag").map { [("x-ms-source-if-match", $0)] } ?? []
    }

    /// `if-none-match: *` passes as it is; `if-match` on S3's ETag is checked here and pinned
    /// to Azure's.
    func writeConditions(_ key: String, _ conditions: [(String, String)]) async throws -> [(String, String)] {
        let (absent, version) = try await Preconditions.write(conditions) { () async throws -> (etag: String, version: String)? in
            let answer = try await self.send("HEAD", blob: key)
            if answer.status == .notFound { return nil }
            try await Self.requireSuccess(answer, head: true)
            return (Self.etag(answer.headers), answer.headers.first(name: "etag") ?? "*")
        }
        return (absent ? [("if-none-match", "*")] : []) + (version.map { [("if-match", $0)] } ?? [])
    }

    // MARK: Translation

    /// S3's ETag for a blob: its MD5 in hex when it has one, else Azure's ETag.
    static func etag(_ headers: HTTPHeaders) -> String {
        Self.etag(md5: headers.first(name: "content-md5") ?? headers.first(name: "x-ms-blob-content-md5"), azure: headers.first(name: "etag"))
    }

    static func etag(md5: String?, azure: String?) -> String {
        if let etag = ObjectAttributes.etag(base64MD5: md5) { return etag }
        let bare = (azure ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        return "\"\(bare)\""
    }

    static func lastModified(_ headers: HTTPHeaders) -> Date? { Self.date(headers.first(name: "last-modified")) }

    /// Azure's dates (`Last-Modified`, in headers and listings) are HTTP dates.
    static func date(_ text: String?) -> Date? { text.flatMap(CivilDate.parseHTTPDate).map { Date(timeIntervalSince1970: Double($0)) } }

    /// A blob's stored headers in S3's vocabulary.
    static func objectHeaders(_ headers: HTTPHeaders, etag: String) -> [(String, String)] {
        var object: [(String, String)] = [("etag", etag), ("accept-ranges", "bytes")]
        for name in ["last-modified", "content-type", "cache-control", "content-disposition", "content-encoding", "content-language"] {
            if let value = headers.first(name: name) { object.append((name, value)) }
        }
        for header in headers {
            let name = header.name.lowercased()
            guard name.hasPrefix("x-ms-meta-"), let decoded = Self.metadataName(decoding: String(name.dropFirst("x-ms-meta-".count))) else {
                continue
            }
            object.append((ObjectAttributes.metadataPrefix + decoded, header.value))
        }
        return object
    }

    /// Put Blob's and Put Block List's headers for an object's attributes.
    static func blobHeaders(_ attributes: [(String, String)]) -> [(String, String)] {
        let properties = ["cache-control", "content-disposition", "content-encoding", "content-language", "content-type"]
        return attributes.compactMap { name, value in properties.contains(name) ? ("x-ms-blob-" + name, value) : nil }
            + Self.metadataHeaders(attributes)
    }

    static func metadataHeaders(_ attributes: [(String, String)]) -> [(String, String)] {
        ObjectAttributes.metadata(attributes).sorted { $0.key < $1.key }.map { ("x-ms-meta-" + Self.metadataName(encoding: $0.key), $0.value) }
    }

    /// An S3 metadata name as an Azure one (a C# identifier): letters and digits (not first) as
    /// they are, anything else `_xx_`, its UTF-8 bytes in hex.
    static func metadataName(encoding name: String) -> String {
        var encoded = ""
        for (index, byte) in name.lowercased().utf8.enumerated() {
            let letter = (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            let digit = (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            if letter || (digit && index > 0) {
                encoded.append(Character(Unicode.Scalar(byte)))
            } else {
                encoded += "_" + HexDigit.lowercase([byte]) + "_"
            }
        }
        return encoded
    }

    /// The S3 name of an Azure metadata name; nil when it is not one `metadataName(encoding:)` wrote.
    static func metadataName(decoding name: String) -> String? {
        var bytes: [UInt8] = []
        var rest = Substring(name.lowercased())
        while let first = rest.first {
            if first == "_" {
                guard rest.count >= 4, let byte = UInt8(rest.dropFirst().prefix(2), radix: 16), rest.dropFirst(3).first == "_" else { return nil }
                bytes.append(byte)
                rest = rest.dropFirst(4)
            } else {
                bytes += Array(String(first).utf8)
                rest = rest.dropFirst()
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
