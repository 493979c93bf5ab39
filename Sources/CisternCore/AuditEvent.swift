import Foundation

/// One entry of the audit log: who did what to which thing, from where, and how it ended.
///
/// Events describe changes (accounts, roles, workspaces, memberships, buckets, repositories,
/// keys, sessions) and refused attempts (failed logins, denied or invalid requests). `details`
/// holds what the change was about in a few plain words (names, roles, providers), never a secret:
/// whoever writes one chooses each entry.
public struct AuditEvent: Sendable, Equatable {
    public enum Outcome: String, Sendable, CaseIterable {
        case success
        case failure
    }

    /// Time-ordered (`UUID.timeOrdered`): events of one instant keep the order they were made in.
    public var id: UUID
    public var at: Date
    /// The organization the event belongs to; nil for events of the installation itself
    /// (an operator's `cistern admin` command).
    public var orgId: UUID?
    public var actorId: UUID?
    /// The actor's address as it was then, or the address a failed login named.
    public var actorEmail: String?
    /// What was done, `noun.verb` (`bucket.create`, `session.login`).
    public var action: String
    /// What it was done to, `kind/id` (`bucket/3f0c…`); nil when the attempt named nothing that exists.
    public var target: String?
    public var outcome: Outcome
    /// The HTTP status a refused request was answered with; nil for a change that was made.
    public var status: Int?
    public var clientAddress: String
    public var userAgent: String
    public var details: [String: String]

    public init(
        id: UUID = .timeOrdered(), at: Date, orgId: UUID?, actorId: UUID?, actorEmail: String?, action: String, target: String?, outcome: Outcome,
        status: Int?, clientAddress: String, userAgent: String, details: [String: String]
    ) {
        self.id = id
        self.at = at
        self.orgId = orgId
        self.actorId = actorId
        self.actorEmail = actorEmail
        self.action = action
        self.target = target
        self.outcome = outcome
        self.status = status
        self.clientAddress = clientAddress
        self.userAgent = userAgent
        self.details = details
    }
}
