/// A membership role inside one workspace, ordered: each role holds every power of the lower ones.
public enum WorkspaceRole: String, Sendable, Codable, CaseIterable, Comparable {
    /// See the workspace's buckets, repositories and keys' metadata.
    case read = "READ"
    /// Also create, change and delete buckets, repositories and repository keys.
    case write = "WRITE"
    /// Also rename or delete the workspace and manage its members.
    case admin = "ADMIN"

    private var rank: Int {
        switch self {
        case .read: 0
        case .write: 1
        case .admin: 2
        }
    }

    public static func < (lhs: WorkspaceRole, rhs: WorkspaceRole) -> Bool { lhs.rank < rhs.rank }
}
