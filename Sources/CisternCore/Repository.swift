import Foundation

/// How a repository uses its buckets.
public enum RepositoryMode: String, Sendable, Codable, CaseIterable {
    /// Each member is a folder (key prefix) inside a bucket that other NORMAL repositories may share.
    case normal = "NORMAL"
    /// Members are whole buckets, one of them the master, owned by this repository alone.
    case mirror = "MIRROR"
}

/// One member of a repository: a bucket, and for NORMAL repositories a folder inside it.
public struct RepositoryMember: Sendable, Hashable {
    public var bucketId: UUID
    /// A key prefix without leading or trailing slash; empty for the whole bucket (always, in MIRROR).
    public var folder: String
    /// Whether this is the master of a MIRROR repository (always false in NORMAL).
    public var isMaster: Bool

    public init(bucketId: UUID, folder: String = "", isMaster: Bool = false) {
        self.bucketId = bucketId
        self.folder = folder
        self.isMaster = isMaster
    }
}

extension RepositoryMember {
    /// The longest folder a member may have.
    public static let maximumFolderLength = 512

    /// A folder as a request gives it, in the form it is stored: a key prefix without surrounding
    /// blanks or trailing slashes (`reports/2024/` is stored as `reports/2024`; `""` and `"/"` mean
    /// the whole bucket). Refuses, naming `field`, a leading slash, empty, `.` or `..` segments,
    /// control characters and more than `maximumFolderLength` characters.
    public static func normalizedFolder(_ text: String, field: String) throws -> String {
        var folder = text.trimmingCharacters(in: .whitespaces)
        while folder.hasSuffix("/") { folder.removeLast() }
        if folder.isEmpty { return folder }
        if folder.hasPrefix("/") { throw CisternError.invalid(field, "must not start with '/'") }
        if folder.count > Self.maximumFolderLength {
            throw CisternError.invalid(field, "must be at most \(Self.maximumFolderLength) characters")
        }
        if folder.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0.isEmpty || $0 == ".." || $0 == "." }) {
            throw CisternError.invalid(field, "must not contain empty, '.' or '..' segments")
        }
        if folder.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw CisternError.invalid(field, "must not contain control characters")
        }
        return folder
    }

    /// The key prefix under which this member holds the repository's objects in its bucket:
    /// empty for a whole bucket, else the folder and a slash.
    public var prefix: String { self.folder.isEmpty ? "" : self.folder + "/" }

    /// Where the repository's object `key` lives in this member's bucket.
    public func providerKey(_ key: String) -> String { self.prefix + key }

    /// Whether two folders of one bucket share objects: the same folder, one inside the other
    /// (`a` and `a/b`), or the whole bucket and anything. Live NORMAL repositories never hold
    /// overlapping folders, so none can reach another's objects.
    public static func foldersOverlap(_ a: String, _ b: String) -> Bool {
        a.isEmpty || b.isEmpty || a == b || a.hasPrefix(b + "/") || b.hasPrefix(a + "/")
    }

    /// The repository's key for an object of this member's bucket; nil for one outside the folder.
    public func repositoryKey(_ providerKey: String) -> String? {
        guard providerKey.hasPrefix(self.prefix) else { return nil }
        return String(providerKey.dropFirst(self.prefix.count))
    }
}

/// A named, API-typed view over buckets.
public struct Repository: Sendable, Equatable {
    public var id: UUID
    public var orgId: UUID
    public var workspaceId: UUID
    public var name: String
    /// The API the repository's endpoint speaks, independent of its members' providers.
    public var storageType: StorageType
    public var mode: RepositoryMode
    public var members: [RepositoryMember]
    public var disabled: Bool
    public var createdAt: Date

    public init(
        id: UUID, orgId: UUID, workspaceId: UUID, name: String, storageType: StorageType, mode: RepositoryMode,
        members: [RepositoryMember], disabled: Bool = false, createdAt: Date
    ) {
        self.id = id
        self.orgId = orgId
        self.workspaceId = workspaceId
        self.name = name
        self.storageType = storageType
        self.mode = mode
        self.members = members
        self.disabled = disabled
        self.createdAt = createdAt
    }
}

/// What a repository key may do through the gateway.
public enum RepositoryAccess: String, Sendable, Codable, CaseIterable, Comparable {
    case read = "READ"
    case write = "WRITE"
    case admin = "ADMIN"

    /// READ < WRITE < ADMIN: each allows what the ones below it do.
    public static func < (lhs: RepositoryAccess, rhs: RepositoryAccess) -> Bool {
        Self.allCases.firstIndex(of: lhs)! < Self.allCases.firstIndex(of: rhs)!
    }
}

/// A per-repository credential: `key` is public, the secret is sealed (the gateway must be able to
/// recover it to check request signatures, so it cannot be hashed).
public struct RepositoryKey: Sendable, Equatable {
    public var id: UUID
    public var repositoryId: UUID
    public var name: String
    public var access: RepositoryAccess
    /// 20 upper-case letters and digits, like an S3 access key id.
    public var key: String
    public var secret: SealedSecret
    public var createdAt: Date

    public init(id: UUID, repositoryId: UUID, name: String, access: RepositoryAccess, key: String, secret: SealedSecret, createdAt: Date) {
        self.id = id
        self.repositoryId = repositoryId
        self.name = name
        self.access = access
        self.key = key
        self.secret = secret
        self.createdAt = createdAt
    }

    /// What a key's sealed secret is bound to: it opens only on its own row.
    public static func sealingContext(_ id: UUID) -> String { "repokey:\(id.canonical)" }
}
