import CisternCore
import CisternStore
import CisternWire
import Foundation
import Hummingbird

/// Workspaces and their members: docs/contract.md §3.
struct WorkspaceController {
    let workspaces: any WorkspaceStore
    let authorizer: Authorizer
    let timeSource: any TimeSource

    func addRoutes(to router: some RouterMethods<AuthenticatedContext>) {
        router.post("/workspace", use: self.create)
        router.get("/workspace", use: self.list)
        router.get("/workspace/{workspaceId}", use: self.get)
        router.put("/workspace/{workspaceId}", use: self.rename)
        router.delete("/workspace/{workspaceId}", use: self.delete)
        router.post("/workspace/{workspaceId}/users", use: self.addMember)
        router.put("/workspace/{workspaceId}/users/{userId}", use: self.setMemberRole)
        router.delete("/workspace/{workspaceId}/users/{userId}", use: self.removeMember)
    }

    @Sendable func create(_ request: Request, context: AuthenticatedContext) async throws -> EditedResponse<WorkspaceSummaryEnvelope> {
        let principal = context.principal
        try self.authorizer.require(.createWorkspace, by: principal, message: "Insufficient permissions to create workspaces")
        let name = try Validate.text(try await request.decodeJSON(as: WorkspaceNameRequest.self).name, field: "name", maxLength: 100)
        let workspace = Workspace(id: UUID(), orgId: principal.orgId, name: name, isDefault: false, createdAt: self.timeSource.now)
        try await self.workspaces.create(workspace, adminId: principal.userId)
        return EditedResponse(status: .created, response: WorkspaceSummaryEnvelope(workspace: WorkspaceSummary(workspace)))
    }

    @Sendable func list(_ request: Request, context: AuthenticatedContext) async throws -> WorkspaceListResponse {
        let visible = try await self.workspaces.list(AccessPolicy.readScope(of: context.principal))
        return WorkspaceListResponse(workspaces: visible.map(WorkspaceResponse.init))
    }

    @Sendable func get(_ request: Request, context: AuthenticatedContext) async throws -> WorkspaceEnvelope {
        let workspaceId = try Validate.uuid("workspaceId", in: context)
        try await self.authorizer.require(.viewWorkspace, in: workspaceId, by: context.principal)
        guard let details = try await self.workspaces.details(workspaceId: workspaceId) else { throw CisternError.workspaceNotFound }
        return WorkspaceEnvelope(workspace: WorkspaceResponse(details))
    }

    @Sendable func rename(_ request: Request, context: AuthenticatedContext) async throws -> WorkspaceSummaryEnvelope {
        let workspaceId = try Validate.uuid("workspaceId", in: context)
        try await self.authorizer.require(.administerWorkspace, in: workspaceId, by: context.principal)
        let name = try Validate.text(try await request.decodeJSON(as: WorkspaceNameRequest.self).name, field: "name", maxLength: 100)
        let workspace = try await self.workspaces.rename(workspaceId: workspaceId, to: name)
        return WorkspaceSummaryEnvelope(workspace: WorkspaceSummary(workspace))
    }

    @Sendable func delete(_ request: Request, context: AuthenticatedContext) async throws -> SuccessResponse {
        let workspaceId = try Validate.uuid("workspaceId", in: context)
        try await self.authorizer.require(.administerWorkspace, in: workspaceId, by: context.principal)
        try await self.workspaces.delete(workspaceId: workspaceId, now: self.timeSource.now)
        return SuccessResponse()
    }

    @Sendable func addMember(_ request: Request, context: AuthenticatedContext) async throws -> SuccessResponse {
        let workspaceId = try Validate.uuid("workspaceId", in: context)
        try await self.authorizer.require(.administerWorkspace, in: workspaceId, by: context.principal)
        let body = try await request.decodeJSON(as: AddMemberRequest.self)
        let userId = try Validate.uuid(body.userId, field: "userId")
        let role = try Validate.workspaceRole(body.role)
        try await self.workspaces.addMember(workspaceId: workspaceId, userId: userId, role: role, now: self.timeSource.now)
        return SuccessResponse()
    }

    @Sendable func setMemberRole(_ request: Request, context: AuthenticatedContext) async throws -> SuccessResponse {
        let workspaceId = try Validate.uuid("workspaceId", in: context)
        let userId = try Validate.uuid("userId", in: context)
        try await self.authorizer.require(.administerWorkspace, in: workspaceId, by: context.principal)
        let role = try Validate.workspaceRole(try await request.decodeJSON(as: SetMemberRoleRequest.self).role)
        guard try await self.workspaces.setMemberRole(workspaceId: workspaceId, userId: userId, role: role) else {
            throw Self.notAMember
        }
        return SuccessResponse()
    }

    @Sendable func removeMember(_ request: Request, context: AuthenticatedContext) async throws -> SuccessResponse {
        let workspaceId = try Validate.uuid("workspaceId", in: context)
        let userId = try Validate.uuid("userId", in: context)
        try await self.authorizer.require(.administerWorkspace, in: workspaceId, by: context.principal)
        guard try await self.workspaces.removeMember(workspaceId: workspaceId, userId: userId) else { throw Self.notAMember }
        return SuccessResponse()
    }

    static let notAMember = CisternError(.notFound, message: "User not found in workspace")
}
