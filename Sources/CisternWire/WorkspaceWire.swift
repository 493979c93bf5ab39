import CisternCore
import Foundation

/// `POST /workspace` and `PUT /workspace/{id}`
public struct WorkspaceNameRequest: Codable, Sendable {
    public var name: String

    public init(name: String) {
        self.name = name
    }
}

/// `POST /workspace/{id}/users`
public struct AddMemberRequest: Codable, Sendable {
    public var userId: String
    public var role: String

    public init(userId: String, role: String) {
        self.userId = userId
        self.role = role
    }
}

/// `PUT /workspace/{id}/users/{userId}`
public struct SetMemberRoleRequest: Codable, Sendable {
    public var role: String

    public init(role: String) {
        self.role = role
    }
}

/// A workspace as create and rename return it.
public struct WorkspaceSummary: Codable, Sendable {
    public var id: String
    public var name: String
    public var orgId: String

    public init(id: String, name: String, orgId: String) {
        self.id = id
        self.name = name
        self.orgId = orgId
    }

    public init(_ workspace: Workspace) {
        self.id = workspace.id.canonical
        self.name = workspace.name
        self.orgId = workspace.orgId.canonical
    }
}

/// A workspace with its members, as the listing and `GET /workspace/{id}` show it.
public struct WorkspaceResponse: Codable, Sendable {
    public struct Member: Codable, Sendable {
        public struct MemberUser: Codable, Sendable {
            public var id: String
            public var name: String
            public var lastName: String
            public var email: String
            public var orgRole: Int

            public init(id: String, name: String, lastName: String, email: String, orgRole: Int) {
                self.id = id
                self.name = name
                self.lastName = lastName
                self.email = email
                self.orgRole = orgRole
            }
        }
        public var userId: String
        public var role: String
        public var user: MemberUser

        public init(userId: String, role: String, user: MemberUser) {
            self.userId = userId
            self.role = role
            self.user = user
        }
    }
    public var id: String
    public var name: String
    public var orgId: String
    public var `default`: Bool
    public var users: [Member]

    public init(id: String, name: String, orgId: String, default isDefault: Bool, users: [Member]) {
        self.id = id
        self.name = name
        self.orgId = orgId
        self.default = isDefault
        self.users = users
    }
}

/// `{success, workspace}` with the summary.
public struct WorkspaceSummaryEnvelope: Codable, Sendable {
    public var success = true
    public var workspace: WorkspaceSummary

    public init(workspace: WorkspaceSummary) {
        self.workspace = workspace
    }
}

/// `{success, workspace}` with members.
public struct WorkspaceEnvelope: Codable, Sendable {
    public var success = true
    public var workspace: WorkspaceResponse

    public init(workspace: WorkspaceResponse) {
        self.workspace = workspace
    }
}

/// `GET /workspace`
public struct WorkspaceListResponse: Codable, Sendable {
    public var success = true
    public var workspaces: [WorkspaceResponse]

    public init(workspaces: [WorkspaceResponse]) {
        self.workspaces = workspaces
    }
}
