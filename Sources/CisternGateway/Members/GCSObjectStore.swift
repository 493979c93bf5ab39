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
struct GCSObjectStore: ObjectStore {
    let objects: GCSObjects
    let connection: BucketConnection

    init(objects: GCSObjects, connection: BucketConnection, timeout: TimeAmount) {
        self.objects = objects.timed(timeout)
        self.connection = connection
    }

    // MARK: Objects

    func read(_ key: String, _ request: ReadRequest) async throws -> ObjectRead {
        try UploadLedger.requireClientKey(key, missing: true)
        // A version replaced between the description and the read is read again.
        for _ in 0..<3 {
            guard let object = try await self.gcs({ try await self.objects.head(self.connection, name: key) }) else {
                throw S3Error.forStatus(404)
            }
            var headers = Self.headers(object)
            try Preconditions.check(request.conditions, etag: object.etag, lastModified: object.updated)
            if request.checksums, request.range == nil, let crc32c = object.crc32c { headers.append(("x-amz-checksum-crc32c", crc32c)) }
            if request.head {
                headers.append(("content-length", String(object.size)))
                return ObjectRead(status: 200, headers: headers, body: nil)
            }
            let content: HTTPClientResponse?
            do {
                content = try await self.objects.get(self.connection, name: key, range: request.range, generation: object.generation)
            } catch let error as ProviderError where error.httpStatus == 412 {
                continue
            }
            guard let content else { throw S3Error.forStatus(404) }
            for name in ["content-length", "content-range"] {
                if let value = content.headers.first(name: name) { headers.append((name, value)) }
            }
            return ObjectRead(status: Int(content.status.code), headers: headers, body: content.body)
        }
        throw S3Error("ServiceUnavailable", "The object kept changing while it was read. Please try again.", status: 503)
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

    func delete(_ keys: [String]) async throws -> [(key: String, error: S3Error)] {
        let reserved = keys.filter { $0.hasPrefix(UploadLedger.prefix) }
        return await self.remove(names: keys.filter { !$0.hasPrefix(UploadLedger.prefix) })
            + reserved.map { ($0, S3Error.accessDenied("Keys under \(UploadLedger.prefix) are reserved for uploads in progress")) }
    }

    /// Deletes objects a few at a time (the JSON API has no multi-object delete): those that
    /// could not be deleted, each with why. A name that is not there counts as deleted.
    func remove(names: [String]) async -> [(key: String, error: S3Error)] {
        var failed: [(key: String, error: S3Error)] = []
        for batch in stride(from: 0, to: names.count, by: 16).map({ names[$0..<min($0 + 16, names.count)] }) {
            failed += await withTaskGroup(of: (String, S3Error?).self) { group in
                for name in batch {
                    group.addTask {
                        do {
                            _ = try await self.gcs { try await self.objects.delete(self.connection, name: name) }
                            return (name, nil)
                        } catch {
                            return (name, error as? S3Error ?? S3Error("ServiceUnavailable", "The provider did not answer", status: 503))
                        }
                    }
                }
                var failures: [(key: String, error: S3Error)] = []
                for await (name, error) in group { if let error { failures.append((name, error)) } }
                return failures
            }
        }
        return failed
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
        self.sweepIfDue()
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

    func copyPart(
        from source: String, range: String?, to key: String, uploadId: String, number: Int, conditions: [(String, String)]
    ) async throws -> CopiedObject {
        _ = try await self.upload(uploadId, of: key)
        let read = try await self.read(source, ReadRequest(range: range, conditions: Preconditions.readConditions(conditions)))
        guard let body = read.body, let length = read.length else { throw S3Error.forStatus(503) }
        let stored = try await self.uploadPart(
            key, uploadId: uploadId, number: number, Payload(content: .stream(.stream(body, length: .known(Int64(length)))), length: length)
        )
        return CopiedObject(etag: stored.etag, lastModified: Date())
    }

    func completeUpload(_ key: String, uploadId: String, parts: [(number: Int, etag: String)]) async throws -> String {
        let marker = try await self.upload(uploadId, of: key)
        let stored = Dictionary(try await self.parts(uploadId).map { ($0.number, $0) }, uniquingKeysWith: { first, _ in first })
        var sources: [String] = []
        var previous = 0
        for part in parts {
            guard part.number > previous else { throw Preconditions.invalidPartOrder }
            previous = part.number
            guard let found = stored[part.number], Preconditions.matches(part.etag, found.etag) else { throw Preconditions.invalidPart }
            sources.append(UploadLedger.partName(uploadId, part.number))
        }
        guard !sources.isEmpty else { throw GatewayHandler.malformed }
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
        let attributes = UploadLedger.read(marker.metadata[UploadLedger.metadataName])?.attributes ?? []
        let final = sources
        let object = try await self.gcs {
            try await self.objects.compose(self.connection, sources: final, into: key, attributes: Self.attributes(attributes))
        }
        try? await self.remove(uploadId)
        return object.etag
    }

    func abortUpload(_ key: String, uploadId: String) async throws {
        _ = try await self.upload(uploadId, of: key)
        try await self.remove(uploadId)
    }

    func listParts(_ key: String, uploadId: String, marker: Int, maxParts: Int) async throws -> PartsPage {
        _ = try await self.upload(uploadId, of: key)
        let after = try await self.parts(uploadId).filter { $0.number > marker }
        let page = Array(after.prefix(maxParts))
        return PartsPage(parts: page, nextMarker: after.count > page.count ? page.last?.number : nil)
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

    /// The marker of upload `uploadId` of `key`; `NoSuchUpload` when there is none.
    func upload(_ uploadId: String, of key: String) async throws -> GCSObject {
        guard UploadLedger.isUploadId(uploadId),
            let marker = try await self.gcs({ try await self.objects.head(self.connection, name: UploadLedger.markerName(uploadId)) }),
            UploadLedger.read(marker.metadata[UploadLedger.metadataName])?.key == key
        else { throw S3Error.forStatus(404, missing: "NoSuchUpload") }
        return marker
    }

    /// Every part of an upload, by number.
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

    /// Removes an upload's parts, then its marker.
    func remove(_ uploadId: String) async throws {
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

    /// Removes the uploads of this bucket started over a week ago, in the background, when the
    /// bucket is due a sweep.
    func sweepIfDue() {
        let now = Date()
        guard UploadLedger.sweepDue("gcs|\(self.connection.endpoint ?? "")|\(self.connection.bucket)", now: now) else { return }
        Task {
            let listing = try await self.objects.list(self.connection, prefix: UploadLedger.prefix, delimiter: "/", pageToken: nil, maxResults: 1000)
            for prefix in listing.prefixes {
                let id = UploadLedger.uploadId(ofPrefix: prefix)
                guard let marker = try? await self.objects.head(self.connection, name: UploadLedger.markerName(id)),
                    marker.updated.map({ now.timeIntervalSince($0) > UploadLedger.abandonedAfter }) ?? false
                else { continue }
                try? await self.remove(id)
            }
        }
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
        var preconditions: [(String, String)] = []
        if let ifNoneMatch = ObjectAttributes.value("if-none-match", in: conditions) {
            guard ifNoneMatch.trimmingCharacters(in: .whitespaces) == "*" else {
                throw S3Error("NotImplemented", "If-None-Match on writes takes only *", status: 501)
            }
            preconditions.append(("ifGenerationMatch", "0"))
        }
        if let ifMatch = ObjectAttributes.value("if-match", in: conditions) {
            guard let current = try await self.gcs({ try await self.objects.head(self.connection, name: key) }) else {
                throw S3Error.forStatus(404)
            }
            guard Preconditions.matches(ifMatch, current.etag) else { throw Preconditions.failed }
            preconditions.append(("ifGenerationMatch", current.generation))
        }
        return preconditions
    }

    /// A copy's `x-amz-copy-source-if-*` conditions, checked on the source, whose generation the
    /// copy is then pinned to.
    func sourcePreconditions(_ source: String, _ conditions: [(String, String)]) async throws -> [(String, String)] {
        guard !conditions.isEmpty else { return [] }
        guard let object = try await self.gcs({ try await self.objects.head(self.connection, name: source) }) else {
            throw S3Error.forStatus(404)
        }
        do {
            try Preconditions.check(Preconditions.readConditions(conditions), etag: object.etag, lastModified: object.updated)
        } catch {
            throw Preconditions.failed
        }
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
