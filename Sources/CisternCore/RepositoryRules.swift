import Foundation

/// The contract's repository error codes (docs/contract.md §5).
public enum RepositoryErrorCode: String, Sendable, Equatable, CaseIterable {
    case notFound = "NOT_FOUND"
    case nameAlreadyUsed = "NAME_ALREADY_USED"
    case mirrorMasterMissing = "MIRROR_MASTER_UNIT_MISSING"
    case mirrorMasterCountInvalid = "MIRROR_MASTER_UNIT_COUNT_INVALID"
    case mirrorUnitInOtherRepository = "MIRROR_UNIT_ALREADY_IN_OTHER_REPO"
    case normalFolderAlreadyUsed = "NORMAL_UNIT_FOLDER_ALREADY_USED"
    case normalFolderCannotBeEdited = "NORMAL_UNIT_CANNOT_EDIT_FOLDER"
    case normalFolderCannotBeDeleted = "NORMAL_UNIT_FOLDER_CANNOT_DELETE"
    case quotaExceeded = "QUOTA_EXCEEDED"

    public var kind: CisternError.Kind {
        switch self {
        case .notFound: .notFound
        case .nameAlreadyUsed, .mirrorUnitInOtherRepository, .normalFolderAlreadyUsed: .conflict
        case .mirrorMasterMissing, .mirrorMasterCountInvalid, .normalFolderCannotBeEdited, .normalFolderCannotBeDeleted: .badRequest
        case .quotaExceeded: .tooManyRequests
        }
    }
}

extension CisternError {
    /// A repository error in the repository body shape.
    public static func repository(_ code: RepositoryErrorCode, _ message: String, repoId: UUID? = nil) -> CisternError {
        CisternError(code.kind, code: code.rawValue, message: message, shape: .repository(repoId: repoId?.canonical))
    }
}

/// What other live repositories do with a bucket.
public struct BucketUse: Sendable, Equatable {
    /// The MIRROR repository that owns the bucket, if any.
    public var mirrorRepositoryId: UUID?
    /// The folders NORMAL repositories use in the bucket.
    public var normalFolders: [(repositoryId: UUID, folder: String)]

    public init(mirrorRepositoryId: UUID? = nil, normalFolders: [(repositoryId: UUID, folder: String)] = []) {
        self.mirrorRepositoryId = mirrorRepositoryId
        self.normalFolders = normalFolders
    }

    public static func == (lhs: BucketUse, rhs: BucketUse) -> Bool {
        lhs.mirrorRepositoryId == rhs.mirrorRepositoryId
            && lhs.normalFolders.map { "\($0.repositoryId)/\($0.folder)" } == rhs.normalFolders.map { "\($0.repositoryId)/\($0.folder)" }
    }
}

/// Everything the rules need to know beyond the request itself, read from the store (and, for
/// folders about to be dropped, from the provider).
public struct RepositoryFacts: Sendable {
    /// The requested buckets that exist, are live and the caller may read.
    public var visibleBuckets: Set<UUID>
    /// The provider bucket names of the visible buckets (the gateway routes requests by them).
    public var bucketNames: [UUID: String]
    /// Uses of the requested buckets by other live repositories (the one being updated excluded).
    public var uses: [UUID: BucketUse]
    /// Whether another live repository of the organization has the name (any case); nil when no name is given.
    public var nameTaken: Bool
    /// How many live repositories the organization holds, and how many it may.
    public var repositoryCount: Int
    public var repositoryLimit: Int?
    /// For an update, the repository's members now; nil for a create.
    public var currentMembers: [RepositoryMember]?
    /// Members about to be dropped whose folder still holds objects at the provider.
    public var nonEmptyFolders: Set<RepositoryMember>

    public init(
        visibleBuckets: Set<UUID>, bucketNames: [UUID: String] = [:], uses: [UUID: BucketUse] = [:], nameTaken: Bool = false,
        repositoryCount: Int = 0,
        repositoryLimit: Int? = nil, currentMembers: [RepositoryMember]? = nil, nonEmptyFolders: Set<RepositoryMember> = []
    ) {
        self.visibleBuckets = visibleBuckets
        self.bucketNames = bucketNames
        self.uses = uses
        self.nameTaken = nameTaken
        self.repositoryCount = repositoryCount
        self.repositoryLimit = repositoryLimit
        self.currentMembers = currentMembers
        self.nonEmptyFolders = nonEmptyFolders
    }
}

/// The repository rules, as one pure function. `POST /repo/validate` runs exactly this, and so do
/// create and update before the store commits (the store enforces the exclusivity rules again,
/// atomically, so that a race between two requests cannot break them).
public enum RepositoryRules {
    /// The first rule `members` break in `mode`, or nil when they keep every rule.
    public static func check(
        mode: RepositoryMode, members: [RepositoryMember], facts: RepositoryFacts, repoId: UUID? = nil
    )
        -> CisternError?
    {
        func fail(_ code: RepositoryErrorCode, _ message: String) -> CisternError { .repository(code, message, repoId: repoId) }

        if let missing = members.first(where: { !facts.visibleBuckets.contains($0.bucketId) }) {
            return fail(.notFound, "Bucket \(missing.bucketId.canonical) not found")
        }
        if mode == .mirror {
            let masters = members.filter(\.isMaster).count
            if masters == 0 { return fail(.mirrorMasterMissing, "A MIRROR repository needs exactly one master bucket") }
            if masters > 1 { return fail(.mirrorMasterCountInvalid, "A MIRROR repository has exactly one master bucket, not \(masters)") }
        }
        if let error = Self.repeatedBucketName(members, names: facts.bucketNames, repoId: repoId) { return error }
        if facts.nameTaken { return fail(.nameAlreadyUsed, "Another repository of the organization has this name") }
        if facts.currentMembers == nil, let limit = facts.repositoryLimit, facts.repositoryCount >= limit {
            return fail(.quotaExceeded, "Repository quota reached: an organization may hold at most \(limit) repositories")
        }
        for member in members {
            let use = facts.uses[member.bucketId] ?? BucketUse()
            if use.mirrorRepositoryId != nil {
                return fail(.mirrorUnitInOtherRepository, "Bucket \(member.bucketId.canonical) belongs to a MIRROR repository")
            }
            switch mode {
            case .mirror where !use.normalFolders.isEmpty:
                return fail(.mirrorUnitInOtherRepository, "Bucket \(member.bucketId.canonical) is used by another repository")
            case .normal:
                if let used = use.normalFolders.first(where: { RepositoryMember.foldersOverlap($0.folder, member.folder) }) {
                    return fail(.normalFolderAlreadyUsed, Self.overlapMessage(member.folder, used.folder))
                }
            default:
                break
            }
        }
        if let current = facts.currentMembers, mode == .normal {
            let newBuckets = Set(members.map(\.bucketId))
            for bucketId in Set(current.map(\.bucketId)).intersection(newBuckets) {
                let before = Set(current.filter { $0.bucketId == bucketId }.map(\.folder))
                let after = Set(members.filter { $0.bucketId == bucketId }.map(\.folder))
                if before != after {
                    return fail(.normalFolderCannotBeEdited, "The folder of a bucket that stays in the repository cannot change")
                }
            }
            if let kept = current.first(where: { !newBuckets.contains($0.bucketId) && facts.nonEmptyFolders.contains($0) }) {
                return fail(.normalFolderCannotBeDeleted, "Folder '\(kept.folder)' still holds objects; empty it before removing it")
            }
        }
        return nil
    }

    /// The error for two members with one provider bucket name, or nil when their names differ.
    /// The gateway finds a member by that name, so no two members may share one; a bucket whose
    /// name `names` lacks is known by its id. The rules and the store both ask this.
    public static func repeatedBucketName(_ members: [RepositoryMember], names: [UUID: String], repoId: UUID?) -> CisternError? {
        var seen = Set<String>()
        for member in members {
            let name = names[member.bucketId] ?? member.bucketId.canonical
            if !seen.insert(name).inserted {
                return .repository(
                    .normalFolderAlreadyUsed, "Two members are the provider bucket '\(name)': a repository's members need distinct bucket names",
                    repoId: repoId
                )
            }
        }
        return nil
    }

    /// Why `folder` cannot be used beside `other`, another repository's folder of the same bucket.
    public static func overlapMessage(_ folder: String, _ other: String) -> String {
        func named(_ folder: String) -> String { folder.isEmpty ? "the whole bucket" : "folder '\(folder)'" }
        if folder == other { return "Folder '\(folder)' of this bucket is used by another repository" }
        return "In this bucket, \(named(folder)) overlaps \(named(other)) of another repository"
    }

    /// The NORMAL members an update would drop (their buckets leave the repository): the ones
    /// whose folders must be checked for objects first.
    public static func droppedMembers(current: [RepositoryMember], next: [RepositoryMember]) -> [RepositoryMember] {
        let staying = Set(next.map(\.bucketId))
        return current.filter { !staying.contains($0.bucketId) }
    }
}
