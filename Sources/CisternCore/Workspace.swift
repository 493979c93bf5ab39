import Foundation

/// A group of users and resources inside one organization.
public struct Workspace: Sendable, Equatable {
    public var id: UUID
    public var orgId: UUID
    public var name: String
    public var isDefault: Bool
    public var createdAt: Date

    public init(id: UUID, orgId: UUID, name: String, isDefault: Bool, createdAt: Date) {
        self.id = id
        self.orgId = orgId
        self.name = name
        self.isDefault = isDefault
        self.createdAt = createdAt
    }
}
