import Foundation

/// A person with an account in one organization.
public struct User: Sendable, Equatable {
    public var id: UUID
    public var orgId: UUID
    public var email: String
    public var firstName: String
    public var lastName: String
    public var orgRole: OrgRole
    public var validated: Bool
    public var active: Bool
    public var createdAt: Date
    public var deletedAt: Date?

    public init(
        id: UUID, orgId: UUID, email: String, firstName: String, lastName: String, orgRole: OrgRole,
        validated: Bool = true, active: Bool = true, createdAt: Date, deletedAt: Date? = nil
    ) {
        self.id = id
        self.orgId = orgId
        self.email = email
        self.firstName = firstName
        self.lastName = lastName
        self.orgRole = orgRole
        self.validated = validated
        self.active = active
        self.createdAt = createdAt
        self.deletedAt = deletedAt
    }

    /// Whether the account may authenticate: not deleted and not deactivated.
    public var canSignIn: Bool { self.deletedAt == nil && self.active }
}
