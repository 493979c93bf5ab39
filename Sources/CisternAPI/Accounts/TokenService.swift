import CisternCore
import Crypto
import Foundation
import JWTKit
import Synchronization

/// Issues and checks the tokens of a session: signed JWT access tokens, and opaque refresh tokens
/// of which only a SHA-256 hash is ever stored.
package struct TokenService: Sendable {
    let keys: JWTKeyCollection
    /// The signing key's id, in every token's `kid` header.
    let keyId: JWKIdentifier
    let accessTokenLifetime: TimeInterval
    let refreshTokenLifetime: TimeInterval
    let timeSource: any TimeSource
    let verified = VerifiedTokens()

    /// Signs with `signingKey`; tokens that `previousSigningKeys` signed still verify (with their
    /// `kid`, or without one, as tokens issued before keys had ids), so a rotation logs nobody out.
    package init(
        signingKey: KeyMaterial, previousSigningKeys: [KeyMaterial] = [], accessTokenLifetime: TimeInterval,
        refreshTokenLifetime: TimeInterval, timeSource: any TimeSource
    ) async {
        self.keys = JWTKeyCollection()
        self.keyId = Self.keyId(signingKey)
        // The first key added is also the default, which tokens without a `kid` are tried with first.
        await self.keys.add(hmac: HMACKey(key: signingKey.key), digestAlgorithm: .sha256, kid: self.keyId)
        for previous in previousSigningKeys {
            await self.keys.add(hmac: HMACKey(key: previous.key), digestAlgorithm: .sha256, kid: Self.keyId(previous))
        }
        self.accessTokenLifetime = accessTokenLifetime
        self.refreshTokenLifetime = refreshTokenLifetime
        self.timeSource = timeSource
    }

    /// A signed access token for `user` in `sessionId`, and when it expires.
    package func accessToken(for user: User, sessionId: UUID) async throws -> (token: String, expiresAt: Date) {
        let now = self.timeSource.now
        // Whole seconds: the JWT claims and `expiresAt` on the wire are both in seconds.
        let issuedAt = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let expiresAt = issuedAt.addingTimeInterval(self.accessTokenLifetime)
        let claims = AccessClaims(
            sub: SubjectClaim(value: user.id.canonical),
            userId: user.id.canonical,
            email: user.email,
            orgId: user.orgId.canonical,
            sid: sessionId.canonical,
            type: "access",
            iat: IssuedAtClaim(value: issuedAt),
            exp: ExpirationClaim(value: expiresAt)
        )
        return (try await self.keys.sign(claims, kid: self.keyId), expiresAt)
    }

    /// The user and session an access token names, when its signature is ours and it has not expired.
    func verifyAccessToken(_ token: String) async -> (userId: UUID, sessionId: UUID)? {
        let access: VerifiedTokens.Access
        if let known = self.verified.lookup(token) {
            access = known
        } else {
            guard let claims = try? await self.keys.verify(token, as: AccessClaims.self, iteratingKeys: true),
                let userId = UUID(canonical: claims.userId),
                let sessionId = UUID(canonical: claims.sid)
            else { return nil }
            access = VerifiedTokens.Access(userId: userId, sessionId: sessionId, expiresAt: claims.exp.value)
            self.verified.insert(token, access)
        }
        guard self.timeSource.now < access.expiresAt else { return nil }
        return (access.userId, access.sessionId)
    }

    /// A key's public name: the first 8 bytes of its SHA-256, hex (naming the key, revealing nothing of it).
    static func keyId(_ key: KeyMaterial) -> JWKIdentifier {
        let digest = key.key.withUnsafeBytes { SHA256.hash(data: $0) }
        return JWKIdentifier(string: "k" + HexDigit.lowercase(digest.prefix(8)))
    }

    /// A new refresh token (32 random bytes, base64url) and the hash under which it is stored.
    package func newRefreshToken() -> (token: String, hash: String) {
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        let token = bytes.base64URLEncodedString
        return (token, Self.hash(refreshToken: token))
    }

    /// When a refresh token issued now stops working.
    package var refreshExpiry: Date { self.timeSource.now.addingTimeInterval(self.refreshTokenLifetime) }

    /// The stored form of a refresh token. A fast hash suffices: the token carries 256 bits of entropy.
    static func hash(refreshToken: String) -> String {
        HexDigit.lowercase(SHA256.hash(data: Data(refreshToken.utf8)))
    }
}

/// Access tokens whose signature has been checked, with what they say. Checking a signature is a
/// pure function of the token's text while the signing key stays the same (it does, for the life
/// of the process), so a token is checked once, not on every request; its expiry is still compared
/// with the clock on every use, and its session and user are still read from the database.
/// Bounded: emptied whenever it fills.
final class VerifiedTokens: Sendable {
    struct Access: Sendable {
        let userId: UUID
        let sessionId: UUID
        let expiresAt: Date
    }

    static let capacity = 10_000
    private let entries = Mutex<[String: Access]>([:])

    func lookup(_ token: String) -> Access? {
        self.entries.withLock { $0[token] }
    }

    func insert(_ token: String, _ access: Access) {
        self.entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[token] = access
        }
    }
}
