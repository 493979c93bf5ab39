import CisternCore
import Foundation
import Synchronization

/// The request a change is made for, as the audit log records it.
///
/// The API sets one around every mutating request (`AuditTrail.$current`). A store that changes
/// something appends the request's event inside the change's own transaction
/// (`Database.audit(on:target:details:)`), so the change and its record commit or vanish together;
/// refused requests are recorded by the API afterwards (`Database.appendAudit`). Without a trail
/// (the bucket monitor, the stores' own tests) nothing is recorded.
public final class AuditTrail: Sendable {
    /// Who acts. Known from the token on protected routes; learnt while serving on the public ones
    /// (the e-mail a login names, the account a registration creates).
    public struct Actor: Sendable, Equatable {
        public var orgId: UUID?
        public var userId: UUID?
        public var email: String?

        public init(orgId: UUID? = nil, userId: UUID? = nil, email: String? = nil) {
            self.orgId = orgId
            self.userId = userId
            self.email = email
        }
    }

    @TaskLocal public static var current: AuditTrail?

    public let action: String
    public let at: Date
    public let clientAddress: String
    public let userAgent: String
    private let state: Mutex<State>

    private struct State {
        var actor: Actor
        /// An event was written in the transaction still open.
        var pending = false
        /// An event was committed: the request's change is on record.
        var committed = false
    }

    public init(action: String, at: Date, clientAddress: String, userAgent: String, actor: Actor = Actor()) {
        self.action = action
        self.at = at
        self.clientAddress = clientAddress
        self.userAgent = userAgent
        self.state = Mutex(State(actor: actor))
    }

    public var actor: Actor { self.state.withLock { $0.actor } }

    /// Whether the request's change is on record (a request records one event: registering opens
    /// a session too, but the event is the registration).
    public var isRecorded: Bool { self.state.withLock { $0.committed } }

    /// Names the actor once the request has made it known (a login's address, a new account).
    public func identify(_ actor: Actor) {
        self.state.withLock { state in
            state.actor.orgId = actor.orgId ?? state.actor.orgId
            state.actor.userId = actor.userId ?? state.actor.userId
            state.actor.email = actor.email ?? state.actor.email
        }
    }

    /// Claims the request's event for the transaction being run; false once one is recorded.
    func claim() -> Bool {
        self.state.withLock { state in
            guard !state.committed else { return false }
            state.pending = true
            return true
        }
    }

    /// The transaction ended: its event, if it wrote one, is recorded or gone with it.
    func transactionEnded(committed: Bool) {
        self.state.withLock { state in
            if state.pending && committed { state.committed = true }
            state.pending = false
        }
    }

    /// This request's event with its ending.
    public func event(target: String?, outcome: AuditEvent.Outcome, status: Int?, details: [String: String]) -> AuditEvent {
        let actor = self.actor
        return AuditEvent(
            at: self.at, orgId: actor.orgId, actorId: actor.userId, actorEmail: actor.email, action: self.action, target: target,
            outcome: outcome, status: status, clientAddress: self.clientAddress, userAgent: self.userAgent, details: details
        )
    }
}

/// Which events `Database.auditEvents` returns: one organization's (and the installation's own),
/// newest first, narrowed by any of the filters, `limit` at a time after `cursor`.
public struct AuditQuery: Sendable {
    /// Where a page ended: the last event it held.
    public struct Cursor: Sendable, Equatable {
        public var at: Date
        public var id: UUID

        public init(at: Date, id: UUID) {
            self.at = at
            self.id = id
        }
    }

    public var orgId: UUID
    public var actorId: UUID?
    /// An action (`bucket.create`), or every action of a kind (`bucket.*`).
    public var action: String?
    public var target: String?
    public var from: Date?
    public var to: Date?
    public var limit: Int
    public var cursor: Cursor?

    public init(
        orgId: UUID, actorId: UUID? = nil, action: String? = nil, target: String? = nil, from: Date? = nil, to: Date? = nil, limit: Int,
        cursor: Cursor? = nil
    ) {
        self.orgId = orgId
        self.actorId = actorId
        self.action = action
        self.target = target
        self.from = from
        self.to = to
        self.limit = limit
        self.cursor = cursor
    }
}
