import Foundation

/// One signed-in session: what a refresh token chain and its access tokens belong to
/// (`tokenId` on the wire).
public struct Session: Sendable, Equatable {
    public var id: UUID
    public var userId: UUID
    public var createdAt: Date
    /// When the current refresh token stops working; moves forward at each refresh.
    public var expiresAt: Date
    public var lastUsedAt: Date?
    public var userAgent: String?
    public var revokedAt: Date?

    public init(
        id: UUID, userId: UUID, createdAt: Date, expiresAt: Date, lastUsedAt: Date? = nil, userAgent: String? = nil,
        revokedAt: Date? = nil
    ) {
        self.id = id
        self.userId = userId
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.lastUsedAt = lastUsedAt
        self.userAgent = userAgent
        self.revokedAt = revokedAt
    }

    /// Whether tokens of this session are still honoured at `now`.
    public func isLive(at now: Date) -> Bool {
        self.revokedAt == nil && now < self.expiresAt
    }
}
