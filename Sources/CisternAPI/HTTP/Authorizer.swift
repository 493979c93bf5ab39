import CisternCore
import CisternStore
import CisternWire
import Foundation
import Hummingbird

/// Applies `AccessPolicy` for controllers: loads the facts the policy needs and turns its answer
/// into the contract's errors.
struct Authorizer: Sendable {
    let workspaces: any WorkspaceStore

    static let insufficientPermissions = CisternError(.forbidden, message: "Insufficient permissions")

    /// Returns when `principal` may perform the workspace action `action` in `workspaceId`; throws
    /// `notFound` when they cannot see the workspace, 403 when they see it but lack the role.
    @discardableResult
    func require(
        _ action: Action, in workspaceId: UUID, by principal: Principal, notFound: CisternError = .workspaceNotFound
    ) async throws -> WorkspaceAccess {
        precondition(action.requiredWorkspaceRole != nil, "\(action) is not a workspace action")
        let access = try await self.workspaces.access(workspaceId: workspaceId, userId: principal.userId)
        switch (AccessPolicy.decide(principal, action, in: access), access) {
        case (.allowed, let access?): return access
        case (.forbidden, _): throw Self.insufficientPermissions
        default: throw notFound
        }
    }

    /// A listing's `workspaceId` query filter (absent, empty or `undefined`: none), which the
    /// caller must be able to see: 404 otherwise, 400 when it is no UUID.
    func workspaceFilter(_ request: Request, by principal: Principal) async throws -> UUID? {
        guard let workspaceId = try request.optionalUUID("workspaceId") else { return nil }
        try await self.require(.viewWorkspace, in: workspaceId, by: principal)
        return workspaceId
    }

    /// Returns when `principal` may perform the organization-level action `action`; 403 otherwise.
    func require(_ action: Action, by principal: Principal, message: String = "Insufficient permissions") throws {
        guard AccessPolicy.decide(principal, action) == .allowed else { throw CisternError(.forbidden, message: message) }
    }
}
