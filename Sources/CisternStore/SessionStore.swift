import CisternCore
import Foundation

/// What presenting a refresh token led to.
public enum RefreshOutcome: Sendable, Equatable {
    /// The token was current: it is now spent, and its replacement is the session's current token.
    case rotated(session: Session, user: User)
    /// The token is unknown, or its session or user can no longer sign in.
    case rejected
    /// The token had already been spent: a sign of theft, so its whole session is now revoked.
    case reuseDetected(sessionId: UUID)
}

/// Sessions and the chain of refresh tokens each one has issued (stored only as hashes).
public protocol SessionStore: Sendable {
    /// Stores a new session whose current refresh token has `refreshTokenHash`.
    func open(_ session: Session, refreshTokenHash: String) async throws

    /// The live user `userId` and their session `sessionId` (nil when it is not theirs), read together.
    func authenticationRecord(userId: UUID, sessionId: UUID) async throws -> (user: User, session: Session?)?

    /// Spends the refresh token with `presentedHash` and makes `replacementHash` current, in one transaction.
    func rotate(presentedHash: String, replacementHash: String, now: Date, expiresAt: Date) async throws -> RefreshOutcome

    /// The session that issued the refresh token with this hash, spent or not.
    func session(refreshTokenHash: String) async throws -> Session?

    /// Revokes a session of `userId`; false when there is no such live session of theirs.
    func revoke(sessionId: UUID, userId: UUID, now: Date) async throws -> Bool

    /// The sessions of `userId` that are live at `now`, newest first.
    func liveSessions(userId: UUID, now: Date) async throws -> [Session]
}
