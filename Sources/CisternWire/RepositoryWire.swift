import CisternCore
import Foundation

/// A member in a request: `{bucketId, folder?, master?}`.
public struct RepositoryMemberRequest: Codable, Sendable {
    public var bucketId: String
    public var folder: String?
    public var master: Bool?

    public init(bucketId: String, folder: String? = nil, master: Bool? = nil) {
        self.bucketId = bucketId
        self.folder = folder
        self.master = master
    }
}

/// `POST /repo`
public struct CreateRepositoryRequest: Codable, Sendable {
    public var name: String
    public var storageType: String
    public var mode: String
    public var workspaceId: String
    public var repoBuckets: [RepositoryMemberRequest]

    public init(name: String, storageType: String, mode: String, workspaceId: String, repoBuckets: [RepositoryMemberRequest]) {
        self.name = name
        self.storageType = storageType
        self.mode = mode
        self.workspaceId = workspaceId
        self.repoBuckets = repoBuckets
    }
}

/// `PUT /repo/{id}` and `POST /repo/{id}/validate`: the create fields, each optional; members
/// given replace the membership.
public struct UpdateRepositoryRequest: Codable, Sendable {
    public var name: String?
    public var storageType: String?
    public var mode: String?
    public var workspaceId: String?
    public var repoBuckets: [RepositoryMemberRequest]?

    public init(
        name: String? = nil, storageType: String? = nil, mode: String? = nil, workspaceId: String? = nil,
        repoBuckets: [RepositoryMemberRequest]? = nil
    ) {
        self.name = name
        self.storageType = storageType
        self.mode = mode
        self.workspaceId = workspaceId
        self.repoBuckets = repoBuckets
    }
}

/// `POST /repo/validate`: a dry run of a create; `name` and `workspaceId` are checked when given.
public struct ValidateRepositoryRequest: Codable, Sendable {
    public var mode: String
    public var repoBuckets: [RepositoryMemberRequest]
    public var name: String?
    public var workspaceId: String?

    public init(mode: String, repoBuckets: [RepositoryMemberRequest], name: String? = nil, workspaceId: String? = nil) {
        self.mode = mode
        self.repoBuckets = repoBuckets
        self.name = name
        self.workspaceId = workspaceId
    }
}

/// `POST /repo/{id}/apikey`
public struct CreateRepositoryKeyRequest: Codable, Sendable {
    public var name: String
    public var accessType: String

    public init(name: String, accessType: String) {
        self.name = name
        self.accessType = accessType
    }
}

/// `PUT /repo/{id}/apikey/{keyId}`
public struct UpdateRepositoryKeyRequest: Codable, Sendable {
    public var name: String?
    public var accessType: String?

    public init(name: String? = nil, accessType: String? = nil) {
        self.name = name
        self.accessType = accessType
    }
}

/// A key as listings show it: never its secret.
public struct RepositoryKeyResponse: Codable, Sendable {
    public var id: String
    public var name: String
    public var accessType: String
    public var key: String
    public var createdAt: Date

    public init(id: String, name: String, accessType: String, key: String, createdAt: Date) {
        self.id = id
        self.name = name
        self.accessType = accessType
        self.key = key
        self.createdAt = createdAt
    }

    public init(_ key: RepositoryKey) {
        self.id = key.id.canonical
        self.name = key.name
        self.accessType = key.access.rawValue
        self.key = key.key
        self.createdAt = key.createdAt
    }
}

/// A repository with its members (each with its bucket) and its keys' metadata.
public struct RepositoryResponse: Codable, Sendable {
    public struct Member: Codable, Sendable {
        public var bucketId: String
        public var folder: String
        public var master: Bool
        @Nullable public var bucket: BucketResponse?

        public init(bucketId: String, folder: String, master: Bool, bucket: BucketResponse? = nil) {
            self.bucketId = bucketId
            self.folder = folder
            self.master = master
            self.bucket = bucket
        }
    }
    public var id: String
    public var name: String
    public var storageType: String
    public var mode: String
    public var workspaceId: String
    public var buckets: [Member]
    public var apiKeys: [RepositoryKeyResponse]
    public var createdAt: Date
    public var disabled: Bool

    public init(
        id: String, name: String, storageType: String, mode: String, workspaceId: String, buckets: [Member], apiKeys: [RepositoryKeyResponse],
        createdAt: Date, disabled: Bool
    ) {
        self.id = id
        self.name = name
        self.storageType = storageType
        self.mode = mode
        self.workspaceId = workspaceId
        self.buckets = buckets
        self.apiKeys = apiKeys
        self.createdAt = createdAt
        self.disabled = disabled
    }

    public init(_ repository: Repository, buckets: [UUID: BucketResponse], keys: [RepositoryKey]) {
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
public struct RepositoryListResponse: Codable, Sendable {
    public var success = true
    public var repos: [RepositoryResponse]

    public init(repos: [RepositoryResponse]) {
        self.repos = repos
    }
}

/// `POST /repo`
public struct RepositoryCreatedResponse: Codable, Sendable {
    public var success = true
    public var repoId: String

    public init(repoId: String) {
        self.repoId = repoId
    }
}

/// `POST /repo/{id}/apikey`: the only answer that ever carries a key's secret.
public struct RepositoryKeyCreatedResponse: Codable, Sendable {
    public var success = true
    public var id: String
    public var key: String
    public var secret: String

    public init(id: String, key: String, secret: String) {
        self.id = id
        self.key = key
        self.secret = secret
    }
}

/// `GET /repo/{id}/apikey`
public struct RepositoryKeyListResponse: Codable, Sendable {
    public var success = true
    public var keys: [RepositoryKeyResponse]

    public init(keys: [RepositoryKeyResponse]) {
        self.keys = keys
    }
}

/// `GET /repo/{id}/replication`: counts, the items (not-yet-completed first) and the backfills.
public struct ReplicationResponse: Codable, Sendable {
    public struct Item: Codable, Sendable {
        public var key: String
        public var bucketId: String
        public var operation: String
        public var state: String
        public var attempts: Int
        @Nullable public var lastError: String?
        public var updatedAt: Date

        public init(key: String, bucketId: String, operation: String, state: String, attempts: Int, lastError: String? = nil, updatedAt: Date) {
            self.key = key
            self.bucketId = bucketId
            self.operation = operation
            self.state = state
            self.attempts = attempts
            self.lastError = lastError
            self.updatedAt = updatedAt
        }
    }

    public struct BackfillProgress: Codable, Sendable {
        public var bucketId: String
        public var listed: Int
        public var done: Bool

        public init(bucketId: String, listed: Int, done: Bool) {
            self.bucketId = bucketId
            self.listed = listed
            self.done = done
        }
    }

    public var success = true
    public var pending: Int
    public var failed: Int
    public var completedLastDay: Int
    public var items: [Item]
    public var backfills: [BackfillProgress]

    public init(pending: Int, failed: Int, completedLastDay: Int, items: [Item], backfills: [BackfillProgress]) {
        self.pending = pending
        self.failed = failed
        self.completedLastDay = completedLastDay
        self.items = items
        self.backfills = backfills
    }
}

public struct ReplicationRetryResponse: Codable, Sendable {
    public var success = true
    public var retried: Int

    public init(retried: Int) {
        self.retried = retried
    }
}
