import CisternBootstrap
import CisternCore
import CisternStore
import CisternWire
import Foundation
import Hummingbird
import Logging
import Metrics

/// Accounts and sessions: docs/contract.md §1.
struct UserController {
    let accounts: any AccountStore
    let sessions: any SessionStore
    let tokens: TokenService
    let timeSource: any TimeSource
    let passwords: PasswordHasher
    let registrationOpen: Bool
    let loginThrottle: LoginThrottle
    let clientAddress: ClientAddress
    let telemetry: Telemetry

    /// Routes that need no token.
    func addPublicRoutes(to router: some RouterMethods<AppRequestContext>) {
        router.post("/user/register", use: self.register)
        router.post("/user/login", use: self.login)
        router.post("/user/refresh", use: self.refresh)
    }

    /// Routes that need a token.
    func addRoutes(to router: some RouterMethods<AuthenticatedContext>) {
        router.post("/user/logout", use: self.logout)
        router.get("/user/profile", use: self.profile)
        router.get("/token", use: self.listTokens)
        router.delete("/token/{tokenId}", use: self.deleteToken)
    }

    @Sendable func register(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<SessionResponse> {
        guard self.registrationOpen else {
            throw CisternError(.forbidden, code: "REGISTRATION_CLOSED", message: "Registration is closed on this server")
        }
        let body = try await request.decodeJSON(as: RegisterRequest.self)
        let email = try Validate.email(body.email)
        let password = try Validate.password(body.password)
        let firstName = try Validate.text(body.firstName, field: "firstName", maxLength: 100)
        let lastName = try Validate.text(body.lastName, field: "lastName", maxLength: 100)
        let companyName = try Validate.text(body.companyName, field: "companyName")

        let now = self.timeSource.now
        let organization = Organization(id: UUID(), name: companyName, createdAt: now)
        let owner = User(
            id: UUID(), orgId: organization.id, email: email, firstName: firstName, lastName: lastName, orgRole: .owner,
            createdAt: now
        )
        let workspace = Workspace(id: UUID(), orgId: organization.id, name: "Default", isDefault: true, createdAt: now)
        try await self.accounts.register(
            Registration(
                organization: organization, owner: owner, passwordHash: try await self.passwords.hash(password), defaultWorkspace: workspace
            )
        )
        let session = try await self.openSession(for: owner, userAgent: request.headers[.userAgent])
        return EditedResponse(status: .created, response: session)
    }

    @Sendable func login(_ request: Request, context: AppRequestContext) async throws -> SessionResponse {
        let body = try await request.decodeJSON(as: LoginRequest.self)
        AuditTrail.current?.identify(.init(email: body.email.printable(limit: 256)))
        let address = self.clientAddress.of(request, peer: context.peerAddress)
        try await self.loginThrottle.check(account: body.email, address: address)
        let message = "Invalid email or password"
        // An address no account can have (registration validates it) is looked up nowhere: a NUL
        // in it, for one, cannot even be sent to PostgreSQL as text.
        let record = (try? Validate.email(body.email)) == nil ? nil : try await self.accounts.signInRecord(email: body.email)
        guard let record else {
            try await self.passwords.verifyNothing(body.password)
            self.telemetry.counter("cistern_login_failures_total").increment()
            await self.loginThrottle.recordFailure(account: body.email, address: address)
            throw CisternError(.unauthorized, code: "USER_NOT_FOUND", message: message)
        }
        // From here the attempt is on the log of the account's organization, failed or not.
        AuditTrail.current?.identify(.init(orgId: record.user.orgId, userId: record.user.id, email: record.user.email))
        guard try await self.passwords.verify(body.password, hash: record.passwordHash) else {
            self.telemetry.counter("cistern_login_failures_total").increment()
            await self.loginThrottle.recordFailure(account: body.email, address: address)
            throw CisternError(.unauthorized, code: "INVALID_PASSWORD", message: message)
        }
        await self.loginThrottle.recordSuccess(account: body.email, address: address)
        guard record.user.active else {
            throw CisternError(.unauthorized, code: "USER_INACTIVE", message: "This account is deactivated")
        }
        let userAgent = body.deviceInfo?.userAgent ?? request.headers[.userAgent]
        return try await self.openSession(for: record.user, userAgent: userAgent)
    }

    @Sendable func refresh(_ request: Request, context: AppRequestContext) async throws -> RefreshResponse {
        let body = try await request.decodeJSON(as: RefreshTokenRequest.self)
        guard let presented = body.refreshToken, !presented.isEmpty else { throw CisternError.invalid("refreshToken", "is required") }
        let next = self.tokens.newRefreshToken()
        let outcome = try await self.sessions.rotate(
            presentedHash: TokenService.hash(refreshToken: presented), replacementHash: next.hash,
            now: self.timeSource.now, expiresAt: self.tokens.refreshExpiry
        )
        switch outcome {
        case .rotated(let session, let user):
            let access = try await self.tokens.accessToken(for: user, sessionId: session.id)
            return RefreshResponse(accessToken: access.token, refreshToken: next.token, expiresAt: Int64(access.expiresAt.timeIntervalSince1970))
        case .rejected:
            throw CisternError(.unauthorized, code: "INVALID_REFRESH_TOKEN", message: "Refresh token is invalid or expired")
        case .reuseDetected:
            context.logger.warning("spent refresh token presented again; session revoked")
            throw CisternError(
                .unauthorized, code: "REFRESH_TOKEN_REUSED", message: "Refresh token was already used; the session has been ended"
            )
        }
    }

    /// Ends the session of the given refresh token (which must be the caller's), or the caller's
    /// current session when no refresh token is given.
    @Sendable func logout(_ request: Request, context: AuthenticatedContext) async throws -> SuccessResponse {
        let body = try await JSONBody.decodeIfPresent(RefreshTokenRequest.self, from: request)
        var sessionId = context.principal.sessionId
        if let presented = body?.refreshToken, !presented.isEmpty {
            guard let session = try await self.sessions.session(refreshTokenHash: TokenService.hash(refreshToken: presented)),
                session.userId == context.principal.userId
            else {
                throw CisternError(.unauthorized, code: "INVALID_REFRESH_TOKEN", message: "Refresh token is invalid")
            }
            sessionId = session.id
        }
        _ = try await self.sessions.revoke(sessionId: sessionId, userId: context.principal.userId, now: self.timeSource.now)
        return SuccessResponse()
    }

    @Sendable func profile(_ request: Request, context: AuthenticatedContext) async throws -> ProfileResponse {
        guard let user = try await self.accounts.user(id: context.principal.userId) else { throw CisternError.userNotFound }
        return ProfileResponse(user)
    }

    @Sendable func listTokens(_ request: Request, context: AuthenticatedContext) async throws -> TokenListResponse {
        let live = try await self.sessions.liveSessions(userId: context.principal.userId, now: self.timeSource.now)
        return TokenListResponse(tokens: live.map(TokenListResponse.Token.init))
    }

    @Sendable func deleteToken(_ request: Request, context: AuthenticatedContext) async throws -> SuccessResponse {
        let tokenId = try Validate.uuid("tokenId", in: context)
        guard try await self.sessions.revoke(sessionId: tokenId, userId: context.principal.userId, now: self.timeSource.now) else {
            throw CisternError(.notFound, message: "Token not found")
        }
        return SuccessResponse()
    }

    private func openSession(for user: User, userAgent: String?) async throws -> SessionResponse {
        let now = self.timeSource.now
        let refresh = self.tokens.newRefreshToken()
        let session = Session(
            id: UUID(), userId: user.id, createdAt: now, expiresAt: self.tokens.refreshExpiry, lastUsedAt: now,
            userAgent: userAgent?.printable(limit: 512)
        )
        try await self.sessions.open(session, refreshTokenHash: refresh.hash)
        let access = try await self.tokens.accessToken(for: user, sessionId: session.id)
        return SessionResponse(
            accessToken: access.token, refreshToken: refresh.token, tokenId: session.id.canonical,
            expiresAt: Int64(access.expiresAt.timeIntervalSince1970), user: AuthUserResponse(user)
        )
    }
}
