import Foundation

/// The authenticated caller of a request: who they are, where they belong, and which session
/// their token belongs to.
public struct Principal: Sendable, Equatable {
    public var userId: UUID
    public var email: String
    public var orgId: UUID
    public var orgRole: OrgRole
    public var sessionId: UUID

    public init(userId: UUID, email: String, orgId: UUID, orgRole: OrgRole, sessionId: UUID) {
        self.userId = userId
        self.email = email
        self.orgId = orgId
        self.orgRole = orgRole
        self.sessionId = sessionId
    }
}
