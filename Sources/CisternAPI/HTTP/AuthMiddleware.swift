import CisternCore
import CisternStore
import CisternWire
import Foundation
import Hummingbird

/// Authenticates a bearer access token and puts the caller's `Principal` on the context.
///
/// The order of checks is the contract's: a bad, expired or foreign token is 401; a good token
/// whose user is gone or deactivated is 404 "User not found" (even though deleting a user also
/// ends their sessions); a good token of a live user whose session is revoked or expired is 401.
/// Role and organization come from the database, not the token, so a change applies at once:
/// the user and session are read through a `ChangeCache`, which every change to users, sessions
/// and roles empties, in this process at once and in every other before the change's response.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let tokens: TokenService
    let sessions: any SessionStore
    let records: ChangeCache<SessionKey, (user: User, session: Session?)>

    struct SessionKey: Hashable, Sendable {
        var userId: UUID
        var sessionId: UUID
    }

    init(tokens: TokenService, sessions: any SessionStore, changes: ChangeFeed) {
        self.tokens = tokens
        self.sessions = sessions
        // About 400 bytes an entry: at most some 8 MiB.
        self.records = ChangeCache(feed: changes, capacity: 20_000)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token = Self.bearerToken(request) else {
            throw CisternError.noAuthUser("Missing or malformed Authorization header; expected 'Bearer <accessToken>'")
        }
        guard let claims = await self.tokens.verifyAccessToken(token) else {
            throw CisternError.noAuthUser("Invalid or expired access token")
        }
        let now = self.tokens.timeSource.now
        // Only a record that lets the caller in is served from memory: anything else is read
        // again (a session refreshed by another process has a later expiry than the cached one).
        let record = try await self.records.value(
            SessionKey(userId: claims.userId, sessionId: claims.sessionId),
            usable: { $0.user.canSignIn && $0.session?.isLive(at: now) == true },
            load: { try await self.sessions.authenticationRecord(userId: claims.userId, sessionId: claims.sessionId) }
        )
        guard let record, record.user.canSignIn else { throw CisternError.userNotFound }
        guard let session = record.session, session.isLive(at: now) else {
            throw CisternError.noAuthUser("Session has ended")
        }
        var context = context
        context.principal = Principal(
            userId: record.user.id, email: record.user.email, orgId: record.user.orgId, orgRole: record.user.orgRole,
            sessionId: session.id
        )
        return try await next(request, context)
    }

    /// The token of an `Authorization: Bearer <token>` field (scheme in any case, blanks around
    /// either part); nil for any other field. Read on every request, so byte by byte rather than
    /// through Foundation's splitting and trimming, which showed in profiles.
    static func bearerToken(_ request: Request) -> String? {
        guard let header = request.headers[.authorization] else { return nil }
        let isBlank = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        let field = header.utf8.drop(while: isBlank)
        guard let gap = field.firstIndex(where: isBlank) else { return nil }
        let scheme = field[..<gap]
        guard scheme.count == 6, zip(scheme, "bearer".utf8).allSatisfy({ $0 | 0x20 == $1 }) else { return nil }
        var token = field[gap...].drop(while: isBlank)
        while let last = token.last, isBlank(last) { token = token.dropLast() }
        guard !token.isEmpty, token.count <= 4096 else { return nil }
        return String(decoding: token, as: UTF8.self)
    }
}
