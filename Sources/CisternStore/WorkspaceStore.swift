import CisternCore
import Foundation

/// A member of a workspace, with the user it names.
public struct WorkspaceMember: Sendable, Equatable {
    public var role: WorkspaceRole
    public var user: User

    public init(role: WorkspaceRole, user: User) {
        self.role = role
        self.user = user
    }
}

/// A workspace with its live members, oldest membership first.
public struct WorkspaceDetails: Sendable, Equatable {
    public var workspace: Workspace
    public var members: [WorkspaceMember]

    public init(workspace: Workspace, members: [WorkspaceMember]) {
        self.workspace = workspace
        self.members = members
    }
}

/// Workspaces and their memberships. Only live (not deleted) workspaces are ever read.
public protocol WorkspaceStore: Sendable {
    /// Stores a new workspace with `adminId` as its ADMIN member. Throws `WORKSPACE_NAME_ALREADY_USED`.
    func create(_ workspace: Workspace, adminId: UUID) async throws

    /// The facts the access policy needs about workspace `workspaceId` for user `userId`.
    func access(workspaceId: UUID, userId: UUID) async throws -> WorkspaceAccess?

    /// One workspace and its members.
    func details(workspaceId: UUID) async throws -> WorkspaceDetails?

    /// The workspaces of a read scope with their members, oldest first.
    func list(_ scope: ReadScope) async throws -> [WorkspaceDetails]

    /// Renames a workspace. Throws `WORKSPACE_NAME_ALREADY_USED`.
    func rename(workspaceId: UUID, to name: String) async throws -> Workspace

    /// Soft-deletes a workspace. Refuses the default workspace, and a workspace that still holds
    /// live buckets or repositories.
    func delete(workspaceId: UUID, now: Date) async throws

    /// Adds `userId` (a live user of the workspace's organization, else 404 "Target user not found")
    /// as a member; 409 when they already are one.
    func addMember(workspaceId: UUID, userId: UUID, role: WorkspaceRole, now: Date) async throws

    /// Changes a member's role; false when `userId` is not a member.
    func setMemberRole(workspaceId: UUID, userId: UUID, role: WorkspaceRole) async throws -> Bool

    /// Removes a membership; false when `userId` is not a member.
    func removeMember(workspaceId: UUID, userId: UUID) async throws -> Bool
}

extension CisternError {
    public static let workspaceNameAlreadyUsed = CisternError(
        .conflict, message: "A workspace with this name already exists in the organization"
    )
    public static let workspaceNotEmpty = CisternError(.badRequest, message: "Cannot delete workspace with existing buckets or repos")
    public static let defaultWorkspaceUndeletable = CisternError(.badRequest, message: "Cannot delete the default workspace")
    public static let targetUserNotFound = CisternError(.notFound, message: "Target user not found")
    public static let alreadyAMember = CisternError(.conflict, message: "User is already a member of this workspace")
}
