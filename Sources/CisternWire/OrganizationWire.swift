import CisternCore
import Foundation

/// `POST /organization/users`
public struct CreateOrgUserRequest: Codable, Sendable {
    public var email: String
    public var password: String
    public var firstName: String
    public var lastName: String
    public var orgRole: Int?

    public init(email: String, password: String, firstName: String, lastName: String, orgRole: Int? = nil) {
        self.email = email
        self.password = password
        self.firstName = firstName
        self.lastName = lastName
        self.orgRole = orgRole
    }
}

/// `PUT /organization/users/{userId}`
public struct UpdateOrgUserRequest: Codable, Sendable {
    public var firstName: String?
    public var lastName: String?
    public var password: String?
    public var orgRole: Int?

    public init(firstName: String? = nil, lastName: String? = nil, password: String? = nil, orgRole: Int? = nil) {
        self.firstName = firstName
        self.lastName = lastName
        self.password = password
        self.orgRole = orgRole
    }
}

/// `PUT /user/{userId}/role`
public struct SetOrgRoleRequest: Codable, Sendable {
    public var orgRole: Int

    public init(orgRole: Int) {
        self.orgRole = orgRole
    }
}

/// A user as the organization endpoints show it.
public struct OrgUserResponse: Codable, Sendable {
    public var id: String
    public var email: String
    public var name: String
    public var lastName: String
    public var orgId: String
    public var orgRole: Int
    public var orgRoleDescription: String
    public var orgRoles: [Int]
    public var validated: Bool
    @Nullable public var deletedAt: Date?

    public init(
        id: String, email: String, name: String, lastName: String, orgId: String, orgRole: Int, orgRoleDescription: String, orgRoles: [Int],
        validated: Bool, deletedAt: Date? = nil
    ) {
        self.id = id
        self.email = email
        self.name = name
        self.lastName = lastName
        self.orgId = orgId
        self.orgRole = orgRole
        self.orgRoleDescription = orgRoleDescription
        self.orgRoles = orgRoles
        self.validated = validated
        self.deletedAt = deletedAt
    }

    public init(_ user: User) {
        self.id = user.id.canonical
        self.email = user.email
        self.name = user.firstName
        self.lastName = user.lastName
        self.orgId = user.orgId.canonical
        self.orgRole = user.orgRole.rawValue
        self.orgRoleDescription = user.orgRole.name
        self.orgRoles = user.orgRole.heldLevels
        self.validated = user.validated
        self.deletedAt = user.deletedAt
    }
}

/// `{success, data: user}`
public struct OrgUserEnvelope: Codable, Sendable {
    public var success = true
    public var data: OrgUserResponse

    public init(data: OrgUserResponse) {
        self.data = data
    }
}

/// `GET /organization/users`
public struct OrgUserListResponse: Codable, Sendable {
    public var success = true
    public var data: [OrgUserResponse]
    public var total: Int

    public init(data: [OrgUserResponse], total: Int) {
        self.data = data
        self.total = total
    }
}

/// `PUT /user/{userId}/role`
public struct RoleChangeResponse: Codable, Sendable {
    public struct Change: Codable, Sendable {
        public var userId: String
        public var previousRole: Int
        public var newRole: Int

        public init(userId: String, previousRole: Int, newRole: Int) {
            self.userId = userId
            self.previousRole = previousRole
            self.newRole = newRole
        }
    }
    public var success = true
    public var data: Change

    public init(data: Change) {
        self.data = data
    }
}
