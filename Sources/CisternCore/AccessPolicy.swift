import Foundation

/// Something a caller may want to do.
public enum Action: Sendable, Equatable, CaseIterable {
    /// See a workspace and what it holds.
    case viewWorkspace
    /// Create, change or delete buckets, repositories and repository keys in a workspace.
    case changeWorkspaceContent
    /// Rename or delete a workspace, and manage its members.
    case administerWorkspace
    /// Create a workspace in one's own organization.
    case createWorkspace
    /// List, create, change and delete the users of one's own organization, and set their roles.
    case manageOrganizationUsers
    /// Read the audit log of one's own organization.
    case readAuditLog

    /// The workspace role an action needs, or nil for an organization-level action.
    public var requiredWorkspaceRole: WorkspaceRole? {
        switch self {
        case .viewWorkspace: .read
        case .changeWorkspaceContent: .write
        case .administerWorkspace: .admin
        case .createWorkspace, .manageOrganizationUsers, .readAuditLog: nil
        }
    }
}

/// What the policy needs to know about a workspace: whose it is, and the caller's membership in it.
public struct WorkspaceAccess: Sendable, Equatable {
    public var workspaceId: UUID
    public var orgId: UUID
    /// The caller's membership role; nil when they hold none.
    public var membership: WorkspaceRole?

    public init(workspaceId: UUID, orgId: UUID, membership: WorkspaceRole?) {
        self.workspaceId = workspaceId
        self.orgId = orgId
        self.membership = membership
    }
}

/// The answer of the policy.
public enum AccessDecision: Sendable, Equatable {
    case allowed
    /// The caller may not know the target exists: answer exactly as for a missing one.
    case notFound
    /// The caller can see the target but lacks the role the action needs.
    case forbidden
}

/// Which workspaces a caller can read, for listing queries.
public enum ReadScope: Sendable, Hashable {
    /// Every workspace of the organization (global access).
    case organization(UUID)
    /// Only the workspaces of the organization where the user holds a membership.
    case memberships(orgId: UUID, userId: UUID)
}

/// The one authorization rule of Cistern, used by every endpoint:
/// - nothing ever crosses organizations, and another organization's resource is indistinguishable
///   from a missing one;
/// - global access (organization role WORKSPACES or above) acts as ADMIN in every workspace of
///   the caller's own organization;
/// - everyone else acts only through memberships (READ < WRITE < ADMIN), and a workspace where
///   they hold none is as good as missing.
public enum AccessPolicy {
    /// Whether `principal` may perform `action`; `workspace` is the target of a workspace action
    /// (nil when it does not exist) and is ignored for organization-level actions.
    public static func decide(_ principal: Principal, _ action: Action, in workspace: WorkspaceAccess? = nil) -> AccessDecision {
        guard let required = action.requiredWorkspaceRole else {
            return principal.orgRole.hasGlobalAccess ? .allowed : .forbidden
        }
        guard let workspace, let role = effectiveRole(of: principal, in: workspace) else { return .notFound }
        return role >= required ? .allowed : .forbidden
    }

    /// The role `principal` acts with in `workspace`, or nil when they cannot see it at all.
    public static func effectiveRole(of principal: Principal, in workspace: WorkspaceAccess) -> WorkspaceRole? {
        guard workspace.orgId == principal.orgId else { return nil }
        return principal.orgRole.hasGlobalAccess ? .admin : workspace.membership
    }

    /// The workspaces `principal` can read.
    public static func readScope(of principal: Principal) -> ReadScope {
        principal.orgRole.hasGlobalAccess
            ? .organization(principal.orgId) : .memberships(orgId: principal.orgId, userId: principal.userId)
    }

    /// Whether `principal` may give someone `role`: nobody grants a role above their own.
    public static func mayGrant(_ role: OrgRole, by principal: Principal) -> Bool {
        role <= principal.orgRole
    }

    /// Whether someone acting with `role` in a workspace may issue a repository key of `access`
    /// there: a key never does more than its creator could (READ, WRITE, ADMIN match the roles).
    public static func mayIssue(_ access: RepositoryAccess, withRole role: WorkspaceRole) -> Bool {
        let needed: WorkspaceRole =
            switch access {
            case .read: .read
            case .write: .write
            case .admin: .admin
            }
        return role >= needed
    }

    /// Whether `principal` may change or delete a user who holds `role`: nobody manages a superior.
    public static func mayManage(userWith role: OrgRole, by principal: Principal) -> Bool {
        principal.orgRole.hasGlobalAccess && role <= principal.orgRole
    }
}
