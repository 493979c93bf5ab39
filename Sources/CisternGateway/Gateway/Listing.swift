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
    let maxKeys: String?
    /// Version 1's `marker`, version 2's `start-after`, the versions' `key-marker`.
    let startAfter: String?
    let continuationToken: String?
    let fetchOwner: String?
    let urlEncoded: Bool

    init(_ kind: Kind, member: RepositoryMember, bucketName: String, query: [(name: String, value: String)]) throws(S3Error) {
        func value(_ name: String) -> String? { query.first { $0.name == name }?.value }
        self.kind = kind
        self.member = member
        self.bucketName = bucketName
        self.prefix = value("prefix") ?? ""
        self.delimiter = value("delimiter").flatMap { $0.isEmpty ? nil : $0 }
        self.maxKeys = value("max-keys")
        if let maxKeys = self.maxKeys, Int(maxKeys).map({ $0 < 0 }) ?? true {
            throw S3Error("InvalidArgument", "Provided max-keys not an integer or within integer range", status: 400)
        }
        let marker =
            switch kind {
            case .version1: "marker"
            case .version2: "start-after"
            case .versions: "key-marker"
            }
        self.startAfter = value(marker).flatMap { $0.isEmpty ? nil : $0 }
        try S3Error.requireNoDotSegments(self.prefix, in: "Prefixes")
        if let startAfter = self.startAfter { try S3Error.requireNoDotSegments(startAfter, in: "Markers") }
        self.continuationToken = kind == .version2 ? value("continuation-token") : nil
        self.fetchOwner = kind == .version2 ? value("fetch-owner") : nil
        switch value("encoding-type") {
        case nil: self.urlEncoded = false
        case "url": self.urlEncoded = true
        default: throw S3Error("InvalidArgument", "Invalid Encoding Method specified in Request", status: 400)
        }
    }

    /// The provider's query: the same listing, inside the folder (the versions view lists with version 1).
    var upstreamQuery: [(String, String)] {
        var query: [(String, String)] = []
        if self.kind == .version2 { query.append(("list-type", "2")) }
        query.append(("prefix", self.member.providerKey(self.prefix)))
        if let delimiter { query.append(("delimiter", delimiter)) }
        if let maxKeys { query.append(("max-keys", maxKeys)) }
        if let startAfter { query.append((self.kind == .version2 ? "start-after" : "marker", self.member.providerKey(startAfter))) }
        if let continuationToken { query.append(("continuation-token", continuationToken)) }
        if let fetchOwner { query.append(("fetch-owner", fetchOwner)) }
        return query
    }

    /// The answer to the client, from the provider's `ListBucketResult`.
    func render(_ upstream: XMLNode) throws(S3Error) -> XMLWriter {
        guard upstream.name == "ListBucketResult" else { throw S3Error("InternalError", "The provider's listing could not be read", status: 500) }
        let root = self.kind == .versions ? "ListVersionsResult" : "ListBucketResult"
        let entry = self.kind == .versions ? "Version" : "Contents"
        // The keys of the answer, inside the folder. One outside it cannot be asked for; should a
        // provider send one, it is left out, and so is the folder's own directory marker, which
        // some providers list: it is no object of the repository.
        let objects = upstream.children("Contents").compactMap { contents -> (key: String, node: XMLNode)? in
            guard let key = contents.value("Key").flatMap(self.member.repositoryKey), !key.isEmpty else { return nil }
            return (key, contents)
        }
        let truncated = upstream.value("IsTruncated") ?? "false"
        var writer = XMLWriter()
        writer.open(root, namespace: true)
        writer.element("Name", self.bucketName)
        writer.element("Prefix", self.encoded(self.prefix))
        switch self.kind {
        case .version2:
            writer.element("ContinuationToken", self.continuationToken)
            writer.element("NextContinuationToken", upstream.value("NextContinuationToken"))
            writer.element("StartAfter", self.startAfter.map(self.encoded))
            writer.element("KeyCount", upstream.value("KeyCount"))
        case .version1:
            writer.element("Marker", self.encoded(self.startAfter ?? ""))
            if let next = upstream.value("NextMarker"), let inside = self.member.repositoryKey(next) {
                writer.element("NextMarker", self.encoded(inside))
            }
        case .versions:
            writer.element("KeyMarker", self.encoded(self.startAfter ?? ""))
            writer.element("VersionIdMarker", "")
            // Version 1 names its next marker only with a delimiter; otherwise it is the last key.
            let next = upstream.value("NextMarker").flatMap(self.member.repositoryKey) ?? objects.last?.key
            if truncated == "true", let next {
                writer.element("NextKeyMarker", self.encoded(next))
                writer.element("NextVersionIdMarker", "null")
            }
        }
        writer.element("MaxKeys", upstream.value("MaxKeys"))
        writer.element("Delimiter", self.delimiter.map(self.encoded))
        writer.element("IsTruncated", truncated)
        if self.urlEncoded { writer.element("EncodingType", "url") }
        for (key, contents) in objects {
            writer.open(entry)
            writer.element("Key", self.encoded(key))
            if self.kind == .versions {
                writer.element("VersionId", "null")
                writer.element("IsLatest", "true")
            }
            for child in contents.children where child.name != "Key" { XMLWriter.copy(child, into: &writer) }
            writer.close(entry)
        }
        for common in upstream.children("CommonPrefixes") {
            guard let prefix = common.value("Prefix").flatMap(self.member.repositoryKey) else { continue }
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
