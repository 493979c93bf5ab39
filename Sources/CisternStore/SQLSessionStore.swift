import CisternCore
import Foundation
import SQLKit

/// `SessionStore` over the SQL database.
public struct SQLSessionStore: SessionStore {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    public func open(_ session: Session, refreshTokenHash: String) async throws {
        try await self.database.transaction { sql in
            try await sql.raw(
                """
                INSERT INTO sessions (id, user_id, created_at, expires_at, last_used_at, user_agent)
                VALUES (\(bind: session.id.canonical), \(bind: session.userId.canonical), \(bind: session.createdAt.millisecondsSince1970),
                        \(bind: session.expiresAt.millisecondsSince1970), \(bind: session.lastUsedAt?.millisecondsSince1970),
                        \(bind: session.userAgent))
                """
            ).run()
            try await sql.raw(
                """
                INSERT INTO refresh_tokens (token_hash, session_id, issued_at)
                VALUES (\(bind: refreshTokenHash), \(bind: session.id.canonical), \(bind: session.createdAt.millisecondsSince1970))
                """
            ).run()
            try await self.database.audit(on: sql, target: "session/\(session.id.canonical)")
        }
    }

    public func authenticationRecord(userId: UUID, sessionId: UUID) async throws -> (user: User, session: Session?)? {
        try await self.database.withConnection { sql in
            guard
                let row = try await sql.raw(
                    """
                    SELECT \(Columns.user("u")), \(Columns.session("s")) FROM users u
                    LEFT JOIN sessions s ON s.id = \(bind: sessionId.canonical) AND s.user_id = u.id
                    WHERE u.id = \(bind: userId.canonical) AND u.deleted_at IS NULL
                    """
                ).first()
            else { return nil }
            let hasSession = try !row.decodeNil(column: "s_id")
            return (try row.user(), hasSession ? try row.session() : nil)
        }
    }

    public func rotate(presentedHash: String, replacementHash: String, now: Date, expiresAt: Date) async throws -> RefreshOutcome {
        // Only a detected reuse changes what caches hold (it revokes the session); a rotation
        // moves the session's expiry later, which caches reread when the cached one has passed.
        try await self.database.transactionReportingChange { sql in
            guard
                let row = try await sql.raw(
                    """
                    SELECT t.spent_at AS t_spent_at, \(Columns.session("s")), \(Columns.user("u")) FROM refresh_tokens t
                    JOIN sessions s ON s.id = t.session_id
                    JOIN users u ON u.id = s.user_id
                    WHERE t.token_hash = \(bind: presentedHash)
                    """
                ).first()
            else { return (.rejected, false) }
            var session = try row.session()
            let user = try row.user()
            // The conditional update makes "spend" atomic on every engine: of two requests presenting
            // the same token, only one sees it unspent.
            let spent = try await sql.raw(
                """
                UPDATE refresh_tokens SET spent_at = \(bind: now.millisecondsSince1970)
                WHERE token_hash = \(bind: presentedHash) AND spent_at IS NULL
                RETURNING token_hash
                """
            ).first()
            guard spent != nil, try row.decodeNil(column: "t_spent_at") else {
                try await sql.raw(
                    """
                    UPDATE sessions SET revoked_at = \(bind: now.millisecondsSince1970)
                    WHERE id = \(bind: session.id.canonical) AND revoked_at IS NULL
                    """
                ).run()
                return (.reuseDetected(sessionId: session.id), true)
            }
            guard session.isLive(at: now), user.canSignIn else { return (.rejected, false) }
            try await sql.raw(
                """
                INSERT INTO refresh_tokens (token_hash, session_id, issued_at)
                VALUES (\(bind: replacementHash), \(bind: session.id.canonical), \(bind: now.millisecondsSince1970))
                """
            ).run()
            try await sql.raw(
                """
                UPDATE sessions SET expires_at = \(bind: expiresAt.millisecondsSince1970), last_used_at = \(bind: now.millisecondsSince1970)
                WHERE id = \(bind: session.id.canonical)
                """
            ).run()
            session.expiresAt = expiresAt
            session.lastUsedAt = now
            return (.rotated(session: session, user: user), false)
        }
    }

    public func session(refreshTokenHash: String) async throws -> Session? {
        try await self.database.withConnection { sql in
            try await sql.raw(
                """
                SELECT \(Columns.session("s")) FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id
                WHERE t.token_hash = \(bind: refreshTokenHash)
                """
            ).first()?.session()
        }
    }

    public func revoke(sessionId: UUID, userId: UUID, now: Date) async throws -> Bool {
        try await self.database.transactionReportingChange { sql in
            let revoked = try await sql.raw(
                """
                UPDATE sessions SET revoked_at = \(bind: now.millisecondsSince1970)
                WHERE id = \(bind: sessionId.canonical) AND user_id = \(bind: userId.canonical)
                  AND revoked_at IS NULL AND expires_at > \(bind: now.millisecondsSince1970)
                RETURNING id
                """
            ).first()
            if revoked != nil { try await self.database.audit(on: sql, target: "session/\(sessionId.canonical)") }
            return (revoked != nil, revoked != nil)
        }
    }

    public func liveSessions(userId: UUID, now: Date) async throws -> [Session] {
        try await self.database.withConnection { sql in
            try await sql.raw(
                """
                SELECT \(Columns.session("s")) FROM sessions s
                WHERE s.user_id = \(bind: userId.canonical) AND s.revoked_at IS NULL AND s.expires_at > \(bind: now.millisecondsSince1970)
                ORDER BY s.created_at DESC, s.id
                """
            ).all().map { try $0.session() }
        }
    }
}
