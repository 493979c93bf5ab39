import AsyncHTTPClient
import Foundation
import Synchronization

/// How members whose provider has no multipart upload of S3's kind (GCS, Azure Blob) keep one:
/// a marker object `.cistern-uploads/<id>/upload` holding the key and the object's attributes in
/// its metadata, beside the parts (or records of them) under `.cistern-uploads/<id>/`. No name is
/// both an object and a "directory", which stores that map names to paths cannot hold. Keys
/// under `.cistern-uploads/` are the gateway's: never listed, never written by clients.
enum UploadLedger {
    static let prefix = ".cistern-uploads/"
    /// The metadata name of a marker's record (letters only: valid at every provider).
    static let metadataName = "cisternupload"
    /// How long an upload may be left before a sweep removes it.
    static let abandonedAfter: TimeInterval = 7 * 86_400

    static func markerName(_ uploadId: String) -> String { "\(Self.prefix)\(uploadId)/upload" }

    /// `.cistern-uploads/<id>/00042`.
    static func partName(_ uploadId: String, _ number: Int) -> String {
        let digits = String(number)
        return "\(Self.prefix)\(uploadId)/" + String(repeating: "0", count: max(0, 5 - digits.count)) + digits
    }

    /// The upload id of a `.cistern-uploads/<id>/` prefix.
    static func uploadId(ofPrefix prefix: String) -> String { String(prefix.dropFirst(Self.prefix.count).dropLast()) }

    /// A new upload id: a UUID, which is also what an id must look like to be asked for.
    static func newUploadId() -> String { UUID().uuidString.lowercased() }
    static func isUploadId(_ text: String) -> Bool { UUID(uuidString: text) != nil && text == text.lowercased() }

    /// A marker's record: the key and attributes, as base64 JSON (metadata values are ASCII at every provider).
    static func record(key: String, attributes: [(String, String)]) -> String {
        let document: [String: Any] = ["key": key, "attributes": attributes.map { [$0.0, $0.1] }]
        return ((try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])) ?? Data()).base64EncodedString()
    }

    static func read(_ record: String?) -> (key: String, attributes: [(String, String)])? {
        guard let record, let data = Data(base64Encoded: record),
            let document = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any], let key = document["key"] as? String
        else { return nil }
        let pairs = (document["attributes"] as? [[String]]) ?? []
        return (key, pairs.compactMap { $0.count == 2 ? ($0[0], $0[1]) : nil })
    }

    /// Keys under `.cistern-uploads/` hold uploads in progress: clients neither see nor write them.
    static func requireClientKey(_ key: String, missing: Bool = false) throws(S3Error) {
        guard key.hasPrefix(Self.prefix) else { return }
        if missing { throw S3Error.forStatus(404) }
        throw S3Error("InvalidArgument", "Keys under \(Self.prefix) are reserved for uploads in progress", status: 400)
    }

    /// ListMultipartUploads' page of `uploads` (every upload of the bucket): ordered by key and
    /// id, after the markers, rolled up at the delimiter.
    static func page(_ uploads: [UploadSummary], _ request: UploadsRequest) -> UploadsPage {
        var uploads = uploads.filter { $0.key.hasPrefix(request.prefix) }.sorted { ($0.key, $0.uploadId) < ($1.key, $1.uploadId) }
        if let keyMarker = request.keyMarker {
            let idMarker = request.uploadIdMarker ?? ""
            uploads.removeAll { $0.key < keyMarker || ($0.key == keyMarker && (idMarker.isEmpty || $0.uploadId <= idMarker)) }
        }
        var page = UploadsPage()
        var prefixes: Set<String> = []
        for upload in uploads {
            if page.uploads.count + page.prefixes.count == request.maxUploads {
                if let last = page.uploads.last { page.next = (last.key, last.uploadId) }
                break
            }
            if let delimiter = request.delimiter, !delimiter.isEmpty, let range = upload.key.dropFirst(request.prefix.count).range(of: delimiter) {
                let prefix = String(upload.key[..<range.upperBound])
                if prefixes.insert(prefix).inserted { page.prefixes.append(prefix) }
                continue
            }
            page.uploads.append(upload)
        }
        return page
    }

    /// ListParts' page of an upload's `parts` (all of them, by number): those after `marker`.
    static func page(_ parts: [PartSummary], after marker: Int, max: Int) -> PartsPage {
        let after = parts.filter { $0.number > marker }
        let page = Array(after.prefix(max))
        return PartsPage(parts: page, nextMarker: after.count > page.count ? page.last?.number : nil)
    }

    /// Deletes `names` with `delete`, 16 at a time, for providers with no multi-object delete:
    /// those that could not be deleted, each with why.
    static func deleteEach(_ names: [String], _ delete: @escaping @Sendable (String) async throws -> Void) async -> [(key: String, error: S3Error)] {
        var failed: [(key: String, error: S3Error)] = []
        for batch in stride(from: 0, to: names.count, by: 16).map({ names[$0..<min($0 + 16, names.count)] }) {
            failed += await withTaskGroup(of: (String, S3Error?).self) { group in
                for name in batch {
                    group.addTask {
                        do {
                            try await delete(name)
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

    /// When each bucket was last swept by this process.
    static let swept = Mutex<[String: Date]>([:])

    /// Whether `bucket` is due a sweep (at most once an hour per bucket and process); marks it swept.
    static func sweepDue(_ bucket: String, now: Date) -> Bool {
        Self.swept.withLock { swept in
            guard swept[bucket].map({ now.timeIntervalSince($0) > 3600 }) ?? true else { return false }
            swept[bucket] = now
            return true
        }
    }
}

/// A store that keeps multipart uploads in an `UploadLedger`: what GCS and Azure members share.
protocol LedgeredStore: ObjectStore {
    /// The attributes upload `uploadId` of `key` was started with; `NoSuchUpload` when there is no such upload.
    func upload(_ uploadId: String, of key: String) async throws -> [(String, String)]
    /// Every part of an upload, by number.
    func parts(_ uploadId: String) async throws -> [PartSummary]
    /// Removes an upload's parts and its marker.
    func removeUpload(_ uploadId: String) async throws
}

extension LedgeredStore {
    func abortUpload(_ key: String, uploadId: String) async throws {
        _ = try await self.upload(uploadId, of: key)
        try await self.removeUpload(uploadId)
    }

    func listParts(_ key: String, uploadId: String, marker: Int, maxParts: Int) async throws -> PartsPage {
        _ = try await self.upload(uploadId, of: key)
        return UploadLedger.page(try await self.parts(uploadId), after: marker, max: maxParts)
    }

    /// DeleteObjects as single deletes, 16 at a time: these providers have no multi-object delete.
    func delete(_ keys: [String]) async throws -> [(key: String, error: S3Error)] {
        await UploadLedger.deleteEach(keys) { key in try await self.delete(key) }
    }

    /// UploadPartCopy: the source (its range) read and uploaded as the part.
    func copyPart(
        from source: String, range: String?, to key: String, uploadId: String, number: Int, conditions: [(String, String)]
    ) async throws -> CopiedObject {
        _ = try await self.upload(uploadId, of: key)
        let read = try await self.read(source, ReadRequest(range: range, conditions: Preconditions.readConditions(conditions)))
        let (body, length) = try read.copySource()
        return CopiedObject(
            etag: try await self.uploadPart(key, uploadId: uploadId, number: number, .streaming(body, length: length)).etag, lastModified: Date())
    }

    /// Removes the uploads of this bucket started more than `abandonedAfter` ago, in the
    /// background, when the bucket (`bucket` names it among this process's) is due a sweep.
    @discardableResult
    func sweepIfDue(_ bucket: String, now: Date = Date()) -> Task<Void, Never>? {
        guard UploadLedger.sweepDue(bucket, now: now) else { return nil }
        return Task {
            guard let uploads = try? await self.listUploads(UploadsRequest(maxUploads: 1000)) else { return }
            for upload in uploads.uploads where upload.initiated.map({ now.timeIntervalSince($0) > UploadLedger.abandonedAfter }) ?? false {
                try? await self.removeUpload(upload.uploadId)
            }
        }
    }

    /// The checks of CompleteMultipartUpload: the upload exists for `key`, the parts are named in
    /// ascending order, each was uploaded with the ETag given. Returns the upload's attributes.
    func completable(_ key: String, uploadId: String, parts: [(number: Int, etag: String)]) async throws -> [(String, String)] {
        let attributes = try await self.upload(uploadId, of: key)
        guard !parts.isEmpty else { throw GatewayHandler.malformed }
        let stored = Dictionary(try await self.parts(uploadId).map { ($0.number, $0) }, uniquingKeysWith: { first, _ in first })
        var previous = 0
        for part in parts {
            guard part.number > previous else { throw Preconditions.invalidPartOrder }
            previous = part.number
            guard let found = stored[part.number], Preconditions.matches(part.etag, found.etag) else { throw Preconditions.invalidPart }
        }
        return attributes
    }
}
