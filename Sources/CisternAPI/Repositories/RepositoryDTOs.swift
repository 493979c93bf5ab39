import CisternCore
import CisternStore
import Foundation
import Hummingbird

/// A member in a request: `{bucketId, folder?, master?}`.
struct RepositoryMemberRequest: Decodable {
    var bucketId: String
    var folder: String?
    var master: Bool?
}

/// `POST /repo`
struct CreateRepositoryRequest: Decodable {
    var name: String
    var storageType: String
    var mode: String
    var workspaceId: String
    var repoBuckets: [RepositoryMemberRequest]
}

/// `PUT /repo/{id}` and `POST /repo/{id}/validate`: the create fields, each optional; members
/// given replace the membership.
struct UpdateRepositoryRequest: Decodable {
    var name: String?
    var storageType: String?
    var mode: String?
    var workspaceId: String?
    var repoBuckets: [RepositoryMemberRequest]?
}

/// `POST /repo/validate`: a dry run of a create; `name` and `workspaceId` are checked when given.
struct ValidateRepositoryRequest: Decodable {
    var mode: String
    var repoBuckets: [RepositoryMemberRequest]
    var name: String?
    var workspaceId: String?
}

/// `POST /repo/{id}/apikey`
struct CreateRepositoryKeyRequest: Decodable {
    var name: String
    var accessType: String
}

/// `PUT /repo/{id}/apikey/{keyId}`
struct UpdateRepositoryKeyRequest: Decodable {
    var name: String?
    var accessType: String?
}

/// A key as listings show it: never its secret.
struct RepositoryKeyResponse: Encodable {
    var id: String
    var name: String
    var accessType: String
    var key: String
    var createdAt: Date

    init(_ key: RepositoryKey) {
        self.id = key.id.canonical
        self.name = key.name
        self.accessType = key.access.rawValue
        self.key = key.key
        self.createdAt = key.createdAt
    }
}

/// A repository with its members (each with its bucket) and its keys' metadata.
struct RepositoryResponse: Encodable {
    struct Member: Encodable {
        var bucketId: String
        var folder: String
        var master: Bool
        @Nullable var bucket: BucketResponse?
    }
    var id: String
    var name: String
    var storageType: String
    var mode: String
    var workspaceId: String
    var buckets: [Member]
    var apiKeys: [RepositoryKeyResponse]
    var createdAt: Date
    var disabled: Bool

    init(_ repository: Repository, buckets: [UUID: BucketResponse], keys: [RepositoryKey]) {
        self.id = repository.id.canonical
        self.name = repository.name
        self.storageType = repository.storageType.rawValue
        self.mode = repository.mode.rawValue
        self.workspaceId = repository.workspaceId.canonical
        self.buckets = repository.members.map {
            Member(bucketId: $0.bucketId.canonical, folder: $0.folder, master: $0.isMaster, bucket: buckets[$0.bucketId])
        }
        self.apiKeys = keys.map(RepositoryKeyResponse.init)
        self.createdAt = repository.createdAt
        self.disabled = repository.disabled
    }
}

/// `GET /repo`
struct RepositoryListResponse: ResponseEncodable {
    var success = true
    var repos: [RepositoryResponse]
}

/// `POST /repo`
struct RepositoryCreatedResponse: ResponseEncodable {
    var success = true
    var repoId: String
}

/// `POST /repo/{id}/apikey`: the only answer that ever carries a key's secret.
struct RepositoryKeyCreatedResponse: ResponseEncodable {
    var success = true
    var id: String
    var key: String
    var secret: String
}

/// `GET /repo/{id}/apikey`
struct RepositoryKeyListResponse: ResponseEncodable {
    var success = true
    var keys: [RepositoryKeyResponse]
}

/// `GET /repo/{id}/replication`: counts, the items (not-yet-completed first) and the backfills.
struct ReplicationResponse: ResponseEncodable {
    struct Item: Encodable {
        var key: String
        var bucketId: String
        var operation: String
        var state: String
        var attempts: Int
        @Nullable var lastError: String?
        var updatedAt: Date
    }

    struct BackfillProgress: Encodable {
        var bucketId: String
        var listed: Int
        var done: Bool
    }

    var success = true
    var pending: Int
    var failed: Int
    var completedLastDay: Int
    var items: [Item]
    var backfills: [BackfillProgress]

    init(_ summary: ReplicationSummary) {
        self.pending = summary.pending
        self.failed = summary.failed
        self.completedLastDay = summary.completedLastDay
        self.items = summary.items.map { item in
            Item(
                key: item.key, bucketId: item.bucketId.canonical, operation: item.operation.rawValue, state: item.state.rawValue,
                attempts: item.attempts, lastError: item.lastError, updatedAt: item.updatedAt
            )
        }
        self.backfills = summary.backfills.map { BackfillProgress(bucketId: $0.bucketId.canonical, listed: $0.listed, done: $0.done) }
    }
}

struct ReplicationRetryResponse: ResponseEncodable {
    var success = true
    var retried: Int
}
