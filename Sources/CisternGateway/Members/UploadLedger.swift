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
