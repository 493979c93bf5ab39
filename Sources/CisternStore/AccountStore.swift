import CisternCore
import Foundation

/// A new organization with its first user (the OWNER) and its `Default` workspace.
public struct Registration: Sendable {
    public var organization: Organization
    public var owner: User
    public var passwordHash: String
    public var defaultWorkspace: Workspace

    public init(organization: Organization, owner: User, passwordHash: String, defaultWorkspace: Workspace) {
        self.organization = organization
        self.owner = owner
        self.passwordHash = passwordHash
        self.defaultWorkspace = defaultWorkspace
    }
}

/// Organizations and their users.
public protocol AccountStore: Sendable {
    /// Stores a registration in one transaction, the owner becoming ADMIN of the default workspace.
    /// Throws `EMAIL_ALREADY_USED` when a live account has the e-mail address, whatever its case.
    func register(_ registration: Registration) async throws

    /// The live user with this e-mail address (any case) and their password hash.
    func signInRecord(email: String) async throws -> (user: User, passwordHash: String)?

    /// The live (not deleted) user with this id.
    func user(id: UUID) async throws -> User?
}

extension CisternError {
    public static let emailAlreadyUsed = CisternError(
        .conflict, code: "EMAIL_ALREADY_USED", message: "An account with this e-mail address already exists"
    )
}
