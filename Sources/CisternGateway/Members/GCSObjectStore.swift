import AsyncHTTPClient
import CisternCore
import CisternProviders
import Foundation
import NIOCore
import NIOHTTP1

/// A GCS bucket through the JSON API with the service account's tokens.
///
/// - ETags: the content's MD5 in hex, as S3 gives a single-part object; a composed object (a
///   completed multipart upload) has no MD5 and gets `"g<generation>"`, which changes exactly
///   when the content does. The full object's CRC32C is `x-amz-checksum-crc32c` when a client
///   asks for checksums (`x-amz-checksum-mode: ENABLED`) on a whole-object read.
/// - Conditional reads are evaluated on the object's description, and its content read pinned
///   to the generation described, so the headers and the body are of one version.
/// - Multipart uploads are kept as `UploadLedger` says, the parts being objects
///   `.cistern-uploads/<id>/<number>`; completion composes them (32 at a time, in rounds) into
///   the key and removes them; abort removes them; uploads left for a week are swept when the
///   bucket next starts one.
/// - `Expires` and the storage class have no GCS attribute and are not kept.
struct GCSObjectStore: LedgeredStore {
    let objects: GCSObjects
    let connection: BucketConnection

    init(objects: GCSObjects, connection: BucketConnection, timeout: TimeAmount) {
        self.objects = objects.timed(timeout)
        self.connection = connection
    }

    // MARK: Objects

    func read(_ key: String, _ request: ReadRequest) async throws -> ObjectRead {
        try UploadLedger.requireClientKey(key, missing: true)
        return try await ObjectRead.pinned(request) {
            guard let object = try await self.gcs({ try await self.objects.head(self.connection, name: key) }) else {
                throw S3Error.forStatus(404)
            }
            var headers = Self.headers(object)
            if request.checksums, request.range == nil, let crc32c = object.crc32c { headers.append(("x-amz-checksum-crc32c", crc32c)) }
            return DescribedObject(headers: headers, etag: object.etag, lastModified: object.updated, size: object.size, version: object.generation)
        } content: { generation in
            do {
                guard let content = try await self.objects.get(self.connection, name: key, range: request.range, generation: generation) else {
                    throw S3Error.forStatus(404)
                }
                return content
            } catch let error as ProviderError where error.httpStatus == 412 {
                return nil
            }
        }
    }

    func put(_ key: String, _ body: Payload, attributes: [(String, String)], conditions: [(String, String)]) async throws -> StoredObject {
        try UploadLedger.requireClientKey(key)
        let preconditions = try await self.writePreconditions(key, conditions)
        guard case .whole(let buffer) = body.content else {
            throw S3Error("InternalError", "Objects are stored at GCS members from bodies read whole", status: 500)
        }
        let object = try await self.gcs {
            try await self.objects.put(
                self.connection, name: key, body: buffer, attributes: Self.attributes(attributes),
                md5: ObjectAttributes.value("content-md5", in: body.checksums), preconditions: preconditions
            )
        }
        return StoredObject(etag: object.etag, checksums: body.checksums.filter { $0.0.hasPrefix("x-amz-checksum-") })
    }

    func delete(_ key: String) async throws {
        try UploadLedger.requireClientKey(key, missing: true)
        _ = try await self.gcs { try await self.objects.delete(self.connection, name: key) }
    }

    /// Deletes objects (the JSON API has no multi-object delete); a name that is not there counts as deleted.
    func remove(names: [String]) async -> [(key: String, error: S3Error)] {
        await UploadLedger.deleteEach(names) { name in _ = try await self.gcs { try await self.objects.delete(self.connection, name: name) } }
    }

    func list(_ request: ListRequest) async throws -> ListPage {
        // startOffset includes its name: the key listed after is dropped from the answer.
        let listing = try await self.gcs {
            try await self.objects.list(
                self.connection, prefix: request.prefix, delimiter: request.delimiter, pageToken: request.token, maxResults: request.maxKeys,
                startOffset: request.token == nil ? request.startAfter : nil
            )
        }
        let after = request.token == nil ? request.startAfter : nil
        return ListPage(
            objects: listing.objects.filter { $0.name != after && !$0.name.hasPrefix(UploadLedger.prefix) }.map { object in
                ObjectSummary(key: object.name, size: object.size, etag: object.etag, lastModified: object.updated, storageClass: "STANDARD")
            },
            prefixes: listing.prefixes.filter { !$0.hasPrefix(UploadLedger.prefix) }, nextToken: listing.nextPageToken
        )
    }

    func copy(from source: String, to key: String, attributes: [(String, String)]?, conditions: [(String, String)]) async throws -> CopiedObject {
        try UploadLedger.requireClientKey(key)
        let preconditions = try await self.sourcePreconditions(source, conditions)
        let object = try await self.gcs {
            try await self.objects.copy(
                self.connection, from: source, to: key, attributes: attributes.map(Self.attributes), preconditions: preconditions
            )
        }
        return CopiedObject(etag: object.etag, lastModified: object.updated)
    }

    // MARK: Multipart uploads

    func createUpload(_ key: String, attributes: [(String, String)]) async throws -> String {
        try UploadLedger.requireClientKey(key)
        let uploadId = UploadLedger.newUploadId()
        let recorded = GCSAttributes(metadata: [UploadLedger.metadataName: UploadLedger.record(key: key, attributes: attributes)])
        _ = try await self.gcs {
            try await self.objects.put(self.connection, name: UploadLedger.markerName(uploadId), body: ByteBuffer(), attributes: recorded)
        }
        self.sweepIfDue("gcs|\(self.connection.endpoint ?? "")|\(self.connection.bucket)")
        return uploadId
    }

    func uploadPart(_ key: String, uploadId: String, number: Int, _ body: Payload) async throws -> StoredObject {
        _ = try await self.upload(uploadId, of: key)
        let object = try await self.gcs {
            try await self.objects.upload(self.connection, name: UploadLedger.partName(uploadId, number), body: body.body)
        }
        if let md5 = ObjectAttributes.value("content-md5", in: body.checksums), let stored = object.md5, md5 != stored {
            _ = try? await self.objects.delete(self.connection, name: object.name)
            throw S3Error.badDigest("The Content-MD5 you specified did not match what we received.")
        }
        return StoredObject(etag: object.etag, checksums: body.checksums.filter { $0.0.hasPrefix("x-amz-checksum-") })
    }

    func completeUpload(_ key: String, uploadId: String, parts: [(number: Int, etag: String)]) async throws -> String {
        let attributes = try await self.completable(key, uploadId: uploadId, parts: parts)
        var sources = parts.map { UploadLedger.partName(uploadId, $0.number) }
        // Compose takes 32 sources: larger uploads compose in rounds of intermediate objects.
        var round = 0
        while sources.count > 32 {
            round += 1
            var joined: [String] = []
            for (index, start) in stride(from: 0, to: sources.count, by: 32).enumerated() {
                let name = "\(UploadLedger.prefix)\(uploadId)/r\(round)-\(index)"
                let group = Array(sources[start..<min(start + 32, sources.count)])
                _ = try await self.gcs { try await self.objects.compose(self.connection, sources: group, into: name) }
                joined.append(name)
            }
            sources = joined
        }
        let final = sources
        let object = try await self.gcs {
            try await self.objects.compose(self.connection, sources: final, into: key, attributes: Self.attributes(attributes))
        }
        try? await self.removeUpload(uploadId)
        return object.etag
    }

    func listUploads(_ request: UploadsRequest) async throws -> UploadsPage {
        var ids: [String] = []
        var token: String?
        repeat {
            let listing = try await self.gcs {
                try await self.objects.list(self.connection, prefix: UploadLedger.prefix, delimiter: "/", pageToken: token, maxResults: 1000)
            }
            ids += listing.prefixes.map(UploadLedger.uploadId(ofPrefix:))
            token = listing.nextPageToken
        } while token != nil && ids.count < 100_000
        var uploads: [UploadSummary] = []
        for batch in stride(from: 0, to: ids.count, by: 16).map({ Array(ids[$0..<min($0 + 16, ids.count)]) }) {
            let markers = try await withThrowingTaskGroup(of: (String, GCSObject?).self) { group in
                for id in batch {
                    group.addTask { (id, try await self.gcs { try await self.objects.head(self.connection, name: UploadLedger.markerName(id)) }) }
                }
                var markers: [(String, GCSObject)] = []
                for try await (id, marker) in group { if let marker { markers.append((id, marker)) } }
                return markers
            }
            for (id, marker) in markers {
                guard let record = UploadLedger.read(marker.metadata[UploadLedger.metadataName]) else { continue }
                uploads.append(UploadSummary(key: record.key, uploadId: id, initiated: marker.updated))
            }
        }
        return UploadLedger.page(uploads, request)
    }

    // MARK: Uploads' objects

    func upload(_ uploadId: String, of key: String) async throws -> [(String, String)] {
        guard UploadLedger.isUploadId(uploadId),
            let marker = try await self.gcs({ try await self.objects.head(self.connection, name: UploadLedger.markerName(uploadId)) }),
            let record = UploadLedger.read(marker.metadata[UploadLedger.metadataName]), record.key == key
        else { throw S3Error.forStatus(404, missing: "NoSuchUpload") }
        return record.attributes
    }

    func parts(_ uploadId: String) async throws -> [PartSummary] {
        var parts: [PartSummary] = []
        var token: String?
        let prefix = "\(UploadLedger.prefix)\(uploadId)/"
        repeat {
            let listing = try await self.gcs {
                try await self.objects.list(self.connection, prefix: prefix, delimiter: "/", pageToken: token, maxResults: 1000)
            }
            for object in listing.objects {
                guard let number = Int(object.name.dropFirst(prefix.count)) else { continue }
                parts.append(PartSummary(number: number, etag: object.etag, size: object.size, lastModified: object.updated))
            }
            token = listing.nextPageToken
        } while token != nil
        return parts.sorted { $0.number < $1.number }
    }

    func removeUpload(_ uploadId: String) async throws {
        var token: String?
        let marker = UploadLedger.markerName(uploadId)
        repeat {
            let listing = try await self.gcs {
                try await self.objects.list(
                    self.connection, prefix: "\(UploadLedger.prefix)\(uploadId)/", delimiter: nil, pageToken: token, maxResults: 1000)
            }
            let failed = await self.remove(names: listing.objects.map(\.name).filter { $0 != marker })
            if let failure = failed.first { throw failure.error }
            token = listing.nextPageToken
        } while token != nil
        _ = try await self.gcs { try await self.objects.delete(self.connection, name: marker) }
    }

    // MARK: Translation

    /// An object's stored headers in S3's vocabulary.
    static func headers(_ object: GCSObject) -> [(String, String)] {
        var headers: [(String, String)] = [("etag", object.etag), ("accept-ranges", "bytes")]
        if let updated = object.updated {
            headers.append(("last-modified", CivilDate.httpDate(secondsSince1970: Int64(updated.timeIntervalSince1970.rounded(.down)))))
        }
        let attributes = object.attributes
        let named: [(String, String?)] = [
            ("content-type", attributes.contentType), ("cache-control", attributes.cacheControl),
            ("content-disposition", attributes.contentDisposition), ("content-encoding", attributes.contentEncoding),
            ("content-language", attributes.contentLanguage),
        ]
        for (name, value) in named { if let value { headers.append((name, value)) } }
        for (name, value) in attributes.metadata.sorted(by: { $0.key < $1.key }) { headers.append((ObjectAttributes.metadataPrefix + name, value)) }
        return headers
    }

    static func attributes(_ headers: [(String, String)]) -> GCSAttributes {
        GCSAttributes(
            contentType: ObjectAttributes.value("content-type", in: headers), cacheControl: ObjectAttributes.value("cache-control", in: headers),
            contentDisposition: ObjectAttributes.value("content-disposition", in: headers),
            contentEncoding: ObjectAttributes.value("content-encoding", in: headers),
            contentLanguage: ObjectAttributes.value("content-language", in: headers), metadata: ObjectAttributes.metadata(headers)
        )
    }

    /// `if-none-match: *` is GCS's `ifGenerationMatch=0`; `if-match` pins the generation whose
    /// ETag it names.
    func writePreconditions(_ key: String, _ conditions: [(String, String)]) async throws -> [(String, String)] {
        let (absent, generation) = try await Preconditions.write(conditions) {
            try await self.gcs { try await self.objects.head(self.connection, name: key) }.map { ($0.etag, $0.generation) }
        }
        return (absent ? [("ifGenerationMatch", "0")] : []) + (generation.map { [("ifGenerationMatch", $0)] } ?? [])
    }

    /// A copy's `x-amz-copy-source-if-*` conditions, checked on the source, whose generation the
    /// copy is then pinned to.
    func sourcePreconditions(_ source: String, _ conditions: [(String, String)]) async throws -> [(String, String)] {
        guard !conditions.isEmpty else { return [] }
        guard let object = try await self.gcs({ try await self.objects.head(self.connection, name: source) }) else {
            throw S3Error.forStatus(404)
        }
        // A copy's failed source condition is 412, whichever failed.
        guard (try? Preconditions.notModified(Preconditions.readConditions(conditions), etag: object.etag, lastModified: object.updated)) == false
        else { throw Preconditions.failed }
        return [("ifSourceGenerationMatch", object.generation)]
    }

    /// Runs a GCS call, its refusals turned into S3's errors.
    func gcs<T>(_ call: () async throws -> T) async throws -> T {
        do {
            return try await call()
        } catch let error as ProviderError {
            guard let status = error.httpStatus else { throw error }
            throw S3Error.forStatus(status)
        }
    }
}
