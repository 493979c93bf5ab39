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

    /// The live users of an organization, oldest first.
    func users(orgId: UUID) async throws -> [User]

    /// Adds a user to an existing organization. Throws `EMAIL_ALREADY_USED`.
    func createUser(_ user: User, passwordHash: String) async throws

    /// Changes a live user of `orgId` in one transaction: `authorize` sees the user as stored and
    /// may refuse. Refuses to demote the organization's last OWNER. A new password ends every
    /// session of the user. Returns the user before and after.
    func updateUser(
        id: UUID, orgId: UUID, changes: UserChanges, authorize: @Sendable (User) throws -> Void
    ) async throws -> (before: User, after: User)

    /// Soft-deletes a live user of `orgId` and ends their sessions, in one transaction; `authorize`
    /// sees the user as stored and may refuse. Refuses to delete the organization's last OWNER.
    func deleteUser(id: UUID, orgId: UUID, now: Date, authorize: @Sendable (User) throws -> Void) async throws
}

/// What an update of a user changes; nil fields stay as they are.
public struct UserChanges: Sendable {
    public var firstName: String?
    public var lastName: String?
    public var passwordHash: String?
    public var orgRole: OrgRole?
    /// When the change happens (ends sessions at this instant when the password changes).
    public var now: Date

    public init(firstName: String? = nil, lastName: String? = nil, passwordHash: String? = nil, orgRole: OrgRole? = nil, now: Date) {
        self.firstName = firstName
        self.lastName = lastName
        self.passwordHash = passwordHash
        self.orgRole = orgRole
        self.now = now
    }
}

extension CisternError {
    public static let userNotFoundInOrganization = CisternError(.notFound, message: "User not found")
    public static let lastOwner = CisternError(
        .badRequest, message: "The organization's last OWNER cannot be demoted or deleted"
    )
    public static let emailAlreadyUsed = CisternError(
        .conflict, code: "EMAIL_ALREADY_USED", message: "An account with this e-mail address already exists"
    )
}
