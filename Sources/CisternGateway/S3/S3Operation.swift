import CisternCore

/// What a request asks of the gateway, read from its method, path and query.
enum S3Operation: Equatable, Sendable {
    case listBuckets
    case headBucket
    case getBucketLocation
    case listObjects(version: Int)
    case createBucket
    case deleteBucket
    case getObject
    case headObject
    case putObject
    case deleteObject
    /// Something S3 has that the gateway does not serve (yet): its name, for the error.
    case notImplemented(String)

    /// The least key access that may perform it.
    var requiredAccess: RepositoryAccess {
        switch self {
        case .listBuckets, .headBucket, .getBucketLocation, .listObjects, .getObject, .headObject, .notImplemented: .read
        case .createBucket, .deleteBucket, .putObject, .deleteObject: .write
        }
    }

    /// Query parameters that name a sub-resource the gateway does not serve.
    static let unservedSubResources = [
        "acl", "analytics", "cors", "encryption", "intelligent-tiering", "inventory", "legal-hold", "lifecycle", "logging", "metrics",
        "notification", "object-lock", "ownershipControls", "policy", "policyStatus", "publicAccessBlock", "replication", "requestPayment",
        "restore", "retention", "select", "tagging", "torrent", "versioning", "website", "accelerate", "attributes", "versions",
        "uploads", "uploadId", "delete", "partNumber",
    ]

    init(method: String, bucket: String?, key: String?, query: [(name: String, value: String)], request: ReceivedRequest) {
        let names = Set(query.map(\.name))
        if let unserved = Self.unservedSubResources.first(where: names.contains) {
            self = .notImplemented(unserved)
            return
        }
        guard bucket?.isEmpty == false else {
            self = method == "GET" ? .listBuckets : .notImplemented("\(method) /")
            return
        }
        if let key, !key.isEmpty {
            switch method {
            case "GET": self = .getObject
            case "HEAD": self = .headObject
            case "PUT": self = request.header("x-amz-copy-source") != nil ? .notImplemented("CopyObject") : .putObject
            case "DELETE": self = .deleteObject
            default: self = .notImplemented("\(method) on an object")
            }
            return
        }
        switch method {
        case "GET" where names.contains("location"): self = .getBucketLocation
        case "GET": self = .listObjects(version: query.first { $0.name == "list-type" }?.value == "2" ? 2 : 1)
        case "HEAD": self = .headBucket
        case "PUT": self = .createBucket
        case "DELETE": self = .deleteBucket
        default: self = .notImplemented("\(method) on a bucket")
        }
    }
}
