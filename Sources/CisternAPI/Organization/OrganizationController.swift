import CisternCore
import CisternStore
import CisternWire
import Foundation
import Hummingbird

/// Organization users and roles: docs/contract.md §2. Every route needs global access.
struct OrganizationController {
    let accounts: any AccountStore
    let passwords: PasswordHasher
    let authorizer: Authorizer
    let timeSource: any TimeSource

    func addRoutes(to router: some RouterMethods<AuthenticatedContext>) {
        router.get("/organization/users", use: self.list)
        router.post("/organization/users", use: self.create)
        router.get("/organization/users/{userId}", use: self.get)
        router.put("/organization/users/{userId}", use: self.update)
        router.delete("/organization/users/{userId}", use: self.delete)
        router.put("/user/{userId}/role", use: self.setRole)
    }

    @Sendable func list(_ request: Request, context: AuthenticatedContext) async throws -> OrgUserListResponse {
        try self.authorizer.require(.manageOrganizationUsers, by: context.principal)
        let users = try await self.accounts.users(orgId: context.principal.orgId)
        return OrgUserListResponse(data: users.map(OrgUserResponse.init), total: users.count)
    }

    @Sendable func create(_ request: Request, context: AuthenticatedContext) async throws -> EditedResponse<OrgUserEnvelope> {
        let principal = context.principal
        try self.authorizer.require(.manageOrganizationUsers, by: principal)
        let body = try await request.decodeJSON(as: CreateOrgUserRequest.self)
        let email = try Validate.email(body.email)
        let password = try Validate.password(body.password)
        let firstName = try Validate.text(body.firstName, field: "firstName", maxLength: 100)
        let lastName = try Validate.text(body.lastName, field: "lastName", maxLength: 100)
        let role = try Validate.orgRole(body.orgRole ?? OrgRole.user.rawValue)
        guard AccessPolicy.mayGrant(role, by: principal) else { throw Self.roleAboveOwn }
        let user = User(
            id: UUID(), orgId: principal.orgId, email: email, firstName: firstName, lastName: lastName, orgRole: role,
            createdAt: self.timeSource.now
        )
        try await self.accounts.createUser(user, passwordHash: try await self.passwords.hash(password))
        return EditedResponse(status: .created, response: OrgUserEnvelope(data: OrgUserResponse(user)))
    }

    @Sendable func get(_ request: Request, context: AuthenticatedContext) async throws -> OrgUserEnvelope {
        try self.authorizer.require(.manageOrganizationUsers, by: context.principal)
        let userId = try Validate.uuid("userId", in: context)
        guard let user = try await self.accounts.user(id: userId), user.orgId == context.principal.orgId else {
            throw CisternError.userNotFoundInOrganization
        }
        return OrgUserEnvelope(data: OrgUserResponse(user))
    }

    @Sendable func update(_ request: Request, context: AuthenticatedContext) async throws -> OrgUserEnvelope {
        let principal = context.principal
        try self.authorizer.require(.manageOrganizationUsers, by: principal)
        let userId = try Validate.uuid("userId", in: context)
        let body = try await request.decodeJSON(as: UpdateOrgUserRequest.self)
        var changes = UserChanges(now: self.timeSource.now)
        changes.firstName = try body.firstName.map { try Validate.text($0, field: "firstName", maxLength: 100) }
        changes.lastName = try body.lastName.map { try Validate.text($0, field: "lastName", maxLength: 100) }
        changes.orgRole = try body.orgRole.map { try Validate.orgRole($0) }
        if let password = body.password { changes.passwordHash = try await self.passwords.hash(try Validate.password(password)) }
        let newRole = changes.orgRole
        let updated = try await self.accounts.updateUser(id: userId, orgId: principal.orgId, changes: changes) { target in
            try Self.authorize(changing: target, to: newRole, by: principal)
        }
        return OrgUserEnvelope(data: OrgUserResponse(updated.after))
    }

    @Sendable func delete(_ request: Request, context: AuthenticatedContext) async throws -> SuccessResponse {
        let principal = context.principal
        try self.authorizer.require(.manageOrganizationUsers, by: principal)
        let userId = try Validate.uuid("userId", in: context)
        try await self.accounts.deleteUser(id: userId, orgId: principal.orgId, now: self.timeSource.now) { target in
            try Self.authorize(changing: target, to: nil, by: principal)
        }
        return SuccessResponse()
    }

    @Sendable func setRole(_ request: Request, context: AuthenticatedContext) async throws -> RoleChangeResponse {
        let principal = context.principal
        try self.authorizer.require(.manageOrganizationUsers, by: principal)
        let userId = try Validate.uuid("userId", in: context)
        let role = try Validate.orgRole(try await request.decodeJSON(as: SetOrgRoleRequest.self).orgRole)
        let updated = try await self.accounts.updateUser(
            id: userId, orgId: principal.orgId, changes: UserChanges(orgRole: role, now: self.timeSource.now)
        ) { target in
            try Self.authorize(changing: target, to: role, by: principal)
        }
        return RoleChangeResponse(
            data: .init(userId: userId.canonical, previousRole: updated.before.orgRole.rawValue, newRole: updated.after.orgRole.rawValue)
        )
    }

    static let roleAboveOwn = CisternError(.forbidden, message: "Insufficient permissions: cannot grant a role above your own")

    /// Nobody changes a superior, and nobody grants a role above their own.
    static func authorize(changing target: User, to role: OrgRole?, by principal: Principal) throws {
        guard AccessPolicy.mayManage(userWith: target.orgRole, by: principal) else {
            throw CisternError(.forbidden, message: "Insufficient permissions: cannot change a user whose role is above your own")
        }
        if let role, !AccessPolicy.mayGrant(role, by: principal) { throw roleAboveOwn }
    }
}
