import CisternCore
import CisternStore
import Foundation
import Hummingbird

/// `POST /workspace` and `PUT /workspace/{id}`
struct WorkspaceNameRequest: Decodable {
    var name: String
}

/// `POST /workspace/{id}/users`
struct AddMemberRequest: Decodable {
    var userId: String
    var role: String
}

/// `PUT /workspace/{id}/users/{userId}`
struct SetMemberRoleRequest: Decodable {
    var role: String
}

/// A workspace as create and rename return it.
struct WorkspaceSummary: Encodable {
    var id: String
    var name: String
    var orgId: String

    init(_ workspace: Workspace) {
        self.id = workspace.id.canonical
        self.name = workspace.name
        self.orgId = workspace.orgId.canonical
    }
}

/// A workspace with its members, as the listing and `GET /workspace/{id}` show it.
struct WorkspaceResponse: Encodable {
    struct Member: Encodable {
        struct MemberUser: Encodable {
            var id: String
            var name: String
            var lastName: String
            var email: String
            var orgRole: Int
        }
        var userId: String
        var role: String
        var user: MemberUser
    }
    var id: String
    var name: String
    var orgId: String
    var `default`: Bool
    var users: [Member]

    init(_ details: WorkspaceDetails) {
        self.id = details.workspace.id.canonical
        self.name = details.workspace.name
        self.orgId = details.workspace.orgId.canonical
        self.default = details.workspace.isDefault
        self.users = details.members.map { member in
            Member(
                userId: member.user.id.canonical, role: member.role.rawValue,
                user: .init(
                    id: member.user.id.canonical, name: member.user.firstName, lastName: member.user.lastName, email: member.user.email,
                    orgRole: member.user.orgRole.rawValue
                )
            )
        }
    }
}

/// `{success, workspace}` with the summary.
struct WorkspaceSummaryEnvelope: ResponseEncodable {
    var success = true
    var workspace: WorkspaceSummary
}

/// `{success, workspace}` with members.
struct WorkspaceEnvelope: ResponseEncodable {
    var success = true
    var workspace: WorkspaceResponse
}

/// `GET /workspace`
struct WorkspaceListResponse: ResponseEncodable {
    var success = true
    var workspaces: [WorkspaceResponse]
}
