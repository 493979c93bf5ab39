import CisternCore

/// What a request asks of the gateway, read from its method, path and query.
enum S3Operation: Equatable, Sendable {
    case listBuckets
    case headBucket
    case getBucketLocation
    /// GetBucketVersioning: the buckets a repository serves are not versioned through it.
    case getBucketVersioning
    case listObjects(version: Int)
    /// ListObjectVersions, as an unversioned view.
    case listObjectVersions
    case createBucket
    case deleteBucket
    case deleteObjects
    case getObject
    case headObject
    case putObject
    case copyObject
    case uploadPartCopy
    case deleteObject
    case createMultipartUpload
    case uploadPart
    case completeMultipartUpload
    case abortMultipartUpload
    case listParts
    case listMultipartUploads
    /// Something S3 has that the gateway does not serve (yet): its name, for the error.
    case notImplemented(String)

    /// Its name in the S3 API, as metrics and the access log show it.
    var name: String {
        switch self {
        case .listBuckets: "ListBuckets"
        case .headBucket: "HeadBucket"
        case .getBucketLocation: "GetBucketLocation"
        case .getBucketVersioning: "GetBucketVersioning"
        case .listObjects(let version): version == 2 ? "ListObjectsV2" : "ListObjects"
        case .listObjectVersions: "ListObjectVersions"
        case .createBucket: "CreateBucket"
        case .deleteBucket: "DeleteBucket"
        case .deleteObjects: "DeleteObjects"
        case .getObject: "GetObject"
        case .headObject: "HeadObject"
        case .putObject: "PutObject"
        case .copyObject: "CopyObject"
        case .uploadPartCopy: "UploadPartCopy"
        case .deleteObject: "DeleteObject"
        case .createMultipartUpload: "CreateMultipartUpload"
        case .uploadPart: "UploadPart"
        case .completeMultipartUpload: "CompleteMultipartUpload"
        case .abortMultipartUpload: "AbortMultipartUpload"
        case .listParts: "ListParts"
        case .listMultipartUploads: "ListMultipartUploads"
        case .notImplemented: "NotImplemented"
        }
    }

    /// The least key access that may perform it.
    var requiredAccess: RepositoryAccess {
        switch self {
        case .listBuckets, .headBucket, .getBucketLocation, .getBucketVersioning, .listObjects, .listObjectVersions, .getObject, .headObject,
            .listParts,
            .listMultipartUploads,
            .notImplemented:
            .read
        case .createBucket, .deleteBucket, .deleteObjects, .putObject, .copyObject, .uploadPartCopy, .deleteObject, .createMultipartUpload,
            .uploadPart,
            .completeMultipartUpload, .abortMultipartUpload:
            .write
        }
    }

    /// Query parameters that name a sub-resource the gateway does not serve.
    static let unservedSubResources = [
        "acl", "analytics", "cors", "encryption", "intelligent-tiering", "inventory", "legal-hold", "lifecycle", "logging", "metrics",
        "notification", "object-lock", "ownershipControls", "policy", "policyStatus", "publicAccessBlock", "replication", "requestPayment",
        "restore", "retention", "select", "tagging", "torrent", "versioning", "website", "accelerate", "attributes",
    ]

    init(method: String, bucket: String?, key: String?, query: [(name: String, value: String)], request: ReceivedRequest) {
        let names = Set(query.map(\.name))
        if method == "GET", key?.isEmpty ?? true, names == ["versioning"] {
            self = .getBucketVersioning
            return
        }
        if let unserved = Self.unservedSubResources.first(where: names.contains) {
            self = .notImplemented(unserved)
            return
        }
        guard bucket?.isEmpty == false else {
            self = method == "GET" ? .listBuckets : .notImplemented("\(method) /")
            return
        }
        if let key, !key.isEmpty {
            self = Self.objectOperation(method, names: names, request: request)
            return
        }
        switch method {
        case "GET" where names.contains("location"): self = .getBucketLocation
        case "GET" where names.contains("uploads"): self = .listMultipartUploads
        case "GET" where names.contains("versions"): self = .listObjectVersions
        case "GET": self = .listObjects(version: query.first { $0.name == "list-type" }?.value == "2" ? 2 : 1)
        case "HEAD": self = .headBucket
        case "PUT": self = .createBucket
        case "DELETE": self = .deleteBucket
        case "POST" where names.contains("delete"): self = .deleteObjects
        default: self = .notImplemented("\(method) on a bucket")
        }
    }

    private static func objectOperation(_ method: String, names: Set<String>, request: ReceivedRequest) -> S3Operation {
        let copy = request.header("x-amz-copy-source") != nil
        switch method {
        case "GET" where names.contains("uploadId"): return .listParts
        case "GET" where names.contains("partNumber"): return .notImplemented("GetObject by part number")
        case "GET": return .getObject
        case "HEAD": return names.contains("partNumber") ? .notImplemented("HeadObject by part number") : .headObject
        case "PUT" where names.contains("uploadId"): return copy ? .uploadPartCopy : .uploadPart
        case "PUT": return copy ? .copyObject : .putObject
        case "POST" where names.contains("uploads"): return .createMultipartUpload
        case "POST" where names.contains("uploadId"): return .completeMultipartUpload
        case "DELETE" where names.contains("uploadId"): return .abortMultipartUpload
        case "DELETE": return .deleteObject
        default: return .notImplemented("\(method) on an object")
        }
    }
}
