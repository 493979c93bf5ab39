import CisternCore
import Foundation
import Hummingbird

/// `POST /organization/users`
struct CreateOrgUserRequest: Decodable {
    var email: String
    var password: String
    var firstName: String
    var lastName: String
    var orgRole: Int?
}

/// `PUT /organization/users/{userId}`
struct UpdateOrgUserRequest: Decodable {
    var firstName: String?
    var lastName: String?
    var password: String?
    var orgRole: Int?
}

/// `PUT /user/{userId}/role`
struct SetOrgRoleRequest: Decodable {
    var orgRole: Int
}

/// A user as the organization endpoints show it.
struct OrgUserResponse: Encodable {
    var id: String
    var email: String
    var name: String
    var lastName: String
    var orgId: String
    var orgRole: Int
    var orgRoleDescription: String
    var orgRoles: [Int]
    var validated: Bool
    @Nullable var deletedAt: Date?

    init(_ user: User) {
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
struct OrgUserEnvelope: ResponseEncodable {
    var success = true
    var data: OrgUserResponse
}

/// `GET /organization/users`
struct OrgUserListResponse: ResponseEncodable {
    var success = true
    var data: [OrgUserResponse]
    var total: Int
}

/// `PUT /user/{userId}/role`
struct RoleChangeResponse: ResponseEncodable {
    struct Change: Encodable {
        var userId: String
        var previousRole: Int
        var newRole: Int
    }
    var success = true
    var data: Change
}
