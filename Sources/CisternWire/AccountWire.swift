import CisternCore
import Foundation

/// `POST /user/register`
public struct RegisterRequest: Codable, Sendable {
    public var email: String
    public var password: String
    public var firstName: String
    public var lastName: String
    public var companyName: String
    public var companyWebsite: String?
    public var isBusiness: Bool?

    public init(
        email: String, password: String, firstName: String, lastName: String, companyName: String, companyWebsite: String? = nil,
        isBusiness: Bool? = nil
    ) {
        self.email = email
        self.password = password
        self.firstName = firstName
        self.lastName = lastName
        self.companyName = companyName
        self.companyWebsite = companyWebsite
        self.isBusiness = isBusiness
    }
}

/// `POST /user/login`
public struct LoginRequest: Codable, Sendable {
    public struct DeviceInfo: Codable, Sendable {
        public var userAgent: String?

        public init(userAgent: String? = nil) {
            self.userAgent = userAgent
        }
    }
    public var email: String
    public var password: String
    public var deviceInfo: DeviceInfo?

    public init(email: String, password: String, deviceInfo: DeviceInfo? = nil) {
        self.email = email
        self.password = password
        self.deviceInfo = deviceInfo
    }
}

/// `POST /user/refresh` and `POST /user/logout`: the refresh token, under either spelling the
/// public clients use.
public struct RefreshTokenRequest: Codable, Sendable {
    public var refreshToken: String?

    public init(refreshToken: String? = nil) {
        self.refreshToken = refreshToken
    }

    public enum CodingKeys: String, CodingKey {
        case refreshToken, refresh_token
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.refreshToken =
            try container.decodeIfPresent(String.self, forKey: .refreshToken)
            ?? container.decodeIfPresent(String.self, forKey: .refresh_token)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(self.refreshToken, forKey: .refreshToken)
    }
}

/// The user as register and login describe them.
public struct AuthUserResponse: Codable, Sendable {
    public var id: String
    public var email: String
    public var name: String
    public var orgId: String
    public var orgRole: Int

    public init(id: String, email: String, name: String, orgId: String, orgRole: Int) {
        self.id = id
        self.email = email
        self.name = name
        self.orgId = orgId
        self.orgRole = orgRole
    }

    public init(_ user: User) {
        self.id = user.id.canonical
        self.email = user.email
        self.name = user.firstName
        self.orgId = user.orgId.canonical
        self.orgRole = user.orgRole.rawValue
    }
}

/// The answer to register and login: a new session and its first tokens.
public struct SessionResponse: Codable, Sendable {
    public var success = true
    public var accessToken: String
    public var refreshToken: String
    public var tokenId: String
    /// Expiry of the access token, in seconds since 1970.
    public var expiresAt: Int64
    public var user: AuthUserResponse

    public init(accessToken: String, refreshToken: String, tokenId: String, expiresAt: Int64, user: AuthUserResponse) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.tokenId = tokenId
        self.expiresAt = expiresAt
        self.user = user
    }
}

/// The answer to refresh: the next pair of tokens.
public struct RefreshResponse: Codable, Sendable {
    public var success = true
    public var accessToken: String
    public var refreshToken: String
    public var expiresAt: Int64

    public init(accessToken: String, refreshToken: String, expiresAt: Int64) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.expiresAt = expiresAt
    }
}

/// `GET /user/profile`
public struct ProfileResponse: Codable, Sendable {
    public struct Profile: Codable, Sendable {
        public var id: String
        public var name: String
        public var lastName: String
        public var email: String
        public var orgId: String
        public var orgRole: Int
        public var orgRoleDescription: String
        public var orgRoles: [Int]
        public var validated: Bool

        public init(
            id: String, name: String, lastName: String, email: String, orgId: String, orgRole: Int, orgRoleDescription: String, orgRoles: [Int],
            validated: Bool
        ) {
            self.id = id
            self.name = name
            self.lastName = lastName
            self.email = email
            self.orgId = orgId
            self.orgRole = orgRole
            self.orgRoleDescription = orgRoleDescription
            self.orgRoles = orgRoles
            self.validated = validated
        }
    }
    public var success = true
    public var data: Profile

    public init(data: Profile) {
        self.data = data
    }

    public init(_ user: User) {
        self.data = Profile(
            id: user.id.canonical, name: user.firstName, lastName: user.lastName, email: user.email, orgId: user.orgId.canonical,
            orgRole: user.orgRole.rawValue, orgRoleDescription: user.orgRole.name, orgRoles: user.orgRole.heldLevels,
            validated: user.validated
        )
    }
}

/// `GET /token`
public struct TokenListResponse: Codable, Sendable {
    public struct Token: Codable, Sendable {
        public var id: String
        public var createdAt: Date
        public var expiresAt: Date
        @Nullable public var lastUsedAt: Date?
        @Nullable public var userAgent: String?

        public init(id: String, createdAt: Date, expiresAt: Date, lastUsedAt: Date? = nil, userAgent: String? = nil) {
            self.id = id
            self.createdAt = createdAt
            self.expiresAt = expiresAt
            self.lastUsedAt = lastUsedAt
            self.userAgent = userAgent
        }

        public init(_ session: Session) {
            self.id = session.id.canonical
            self.createdAt = session.createdAt
            self.expiresAt = session.expiresAt
            self.lastUsedAt = session.lastUsedAt
            self.userAgent = session.userAgent
        }
    }
    public var success = true
    public var tokens: [Token]

    public init(tokens: [Token]) {
        self.tokens = tokens
    }
}

/// `{"success": true}`
public struct SuccessResponse: Codable, Sendable {
    public var success = true

    public init() {}
}
