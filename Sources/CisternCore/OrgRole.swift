/// An organization role. Roles form an ordered hierarchy: a higher role holds every power of the lower ones.
public enum OrgRole: Int, Sendable, Codable, CaseIterable, Comparable {
    case user = 0
    case billing = 1
    case workspaces = 2
    case administrators = 254
    case owner = 255

    /// The wire name (`orgRoleDescription`).
    public var name: String {
        switch self {
        case .user: "USER"
        case .billing: "BILLING"
        case .workspaces: "WORKSPACES"
        case .administrators: "ADMINISTRATORS"
        case .owner: "OWNER"
        }
    }

    /// Every level this role holds, lowest first (`orgRoles` on the wire: BILLING → `[0, 1]`).
    public var heldLevels: [Int] {
        Self.allCases.filter { $0 <= self }.map(\.rawValue)
    }

    /// Global access: the role acts as ADMIN in every workspace of its own organization.
    public var hasGlobalAccess: Bool { self >= .workspaces }

    public static func < (lhs: OrgRole, rhs: OrgRole) -> Bool { lhs.rawValue < rhs.rawValue }
}
