import CisternCore
import CisternProviders

/// ListObjects (version 1 and 2) and ListObjectVersions of one member: the request's prefix and markers move into the
/// member's folder on the way up, and every key, prefix and marker of the answer moves out of
/// it on the way back, so a NORMAL repository sees its folder as a whole bucket and nothing
/// beside it.
struct Listing {
    enum Kind: Sendable, Equatable {
        case version1
        case version2
        /// ListObjectVersions: an unversioned view, each object its one version, `null`.
        case versions
    }

    let kind: Kind
    let member: RepositoryMember
    let bucketName: String
    let prefix: String
    let delimiter: String?
    let maxKeys: Int
    /// Version 1's `marker`, version 2's `start-after`, the versions' `key-marker`.
    let startAfter: String?
    let continuationToken: String?
    let urlEncoded: Bool

    init(_ kind: Kind, member: RepositoryMember, bucketName: String, query: [(name: String, value: String)]) throws(S3Error) {
        func value(_ name: String) -> String? { query.first { $0.name == name }?.value }
        self.kind = kind
        self.member = member
        self.bucketName = bucketName
        self.prefix = value("prefix") ?? ""
        self.delimiter = value("delimiter").flatMap { $0.isEmpty ? nil : $0 }
        guard let maxKeys = Int(value("max-keys") ?? "1000"), maxKeys >= 0 else {
            throw S3Error("InvalidArgument", "Provided max-keys not an integer or within integer range", status: 400)
        }
        self.maxKeys = min(maxKeys, 1000)
        let marker =
            switch kind {
            case .version1: "marker"
            case .version2: "start-after"
            case .versions: "key-marker"
            }
        self.startAfter = value(marker).flatMap { $0.isEmpty ? nil : $0 }
        try S3Error.requireNoDotSegments(self.prefix, in: "Prefixes")
        if let startAfter = self.startAfter { try S3Error.requireNoDotSegments(startAfter, in: "Markers") }
        self.continuationToken = kind == .version2 ? value("continuation-token").flatMap { $0.isEmpty ? nil : $0 } : nil
        switch value("encoding-type") {
        case nil: self.urlEncoded = false
        case "url": self.urlEncoded = true
        default: throw S3Error("InvalidArgument", "Invalid Encoding Method specified in Request", status: 400)
        }
    }

    /// The member's listing: the same, inside the folder.
    var request: ListRequest {
        ListRequest(
            prefix: self.member.providerKey(self.prefix), delimiter: self.delimiter, maxKeys: self.maxKeys,
            startAfter: self.startAfter.map(self.member.providerKey), token: self.continuationToken
        )
    }

    /// The answer to the client, from the member's page.
    func render(_ page: ListPage) -> XMLWriter {
        let root = self.kind == .versions ? "ListVersionsResult" : "ListBucketResult"
        let entry = self.kind == .versions ? "Version" : "Contents"
        // The keys of the answer, inside the folder. One outside it cannot be asked for; should a
        // provider send one, it is left out, and so is the folder's own directory marker, which
        // some providers list: it is no object of the repository. A version 1 marker may name a
        // common prefix of the page before, which the provider lists again: it is left out too.
        let objects = page.objects.compactMap { object -> (key: String, object: ObjectSummary)? in
            guard let key = self.member.repositoryKey(object.key), !key.isEmpty else { return nil }
            return (key, object)
        }
        let prefixes = page.prefixes.compactMap(self.member.repositoryKey).filter { $0 != self.startAfter || self.continuationToken != nil }
        let truncated = page.nextToken != nil
        // Where a version 1 listing goes on: the last key or prefix of the page.
        let next = [objects.last?.key, prefixes.last].compactMap { $0 }.max()
        var writer = XMLWriter()
        writer.open(root, namespace: true)
        writer.element("Name", self.bucketName)
        writer.element("Prefix", self.encoded(self.prefix))
        switch self.kind {
        case .version2:
            writer.element("ContinuationToken", self.continuationToken)
            writer.element("NextContinuationToken", page.nextToken)
            writer.element("StartAfter", self.startAfter.map(self.encoded))
            writer.element("KeyCount", String(objects.count + prefixes.count))
        case .version1:
            writer.element("Marker", self.encoded(self.startAfter ?? ""))
            if truncated, let next { writer.element("NextMarker", self.encoded(next)) }
        case .versions:
            writer.element("KeyMarker", self.encoded(self.startAfter ?? ""))
            writer.element("VersionIdMarker", "")
            if truncated, let next {
                writer.element("NextKeyMarker", self.encoded(next))
                writer.element("NextVersionIdMarker", "null")
            }
        }
        writer.element("MaxKeys", String(self.maxKeys))
        writer.element("Delimiter", self.delimiter.map(self.encoded))
        writer.element("IsTruncated", truncated ? "true" : "false")
        if self.urlEncoded { writer.element("EncodingType", "url") }
        for (key, object) in objects {
            writer.open(entry)
            writer.element("Key", self.encoded(key))
            if self.kind == .versions {
                writer.element("VersionId", "null")
                writer.element("IsLatest", "true")
            }
            writer.element("LastModified", object.lastModified.map(GatewayHandler.iso8601))
            writer.element("ETag", object.etag)
            writer.element("Size", String(object.size))
            writer.element("StorageClass", object.storageClass ?? "STANDARD")
            writer.close(entry)
        }
        for prefix in prefixes {
            writer.open("CommonPrefixes")
            writer.element("Prefix", self.encoded(prefix))
            writer.close("CommonPrefixes")
        }
        writer.close(root)
        return writer
    }

    /// A text as the client asked for it: URL-encoded (slashes kept) with `encoding-type=url`.
    private func encoded(_ text: String) -> String { self.urlEncoded ? SigV4.encode(text, keepingSlashes: true) : text }
}
