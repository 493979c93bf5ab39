import CisternCore
import Foundation
import Hummingbird

/// `POST /user/register`
struct RegisterRequest: Decodable {
    var email: String
    var password: String
    var firstName: String
    var lastName: String
    var companyName: String
    var companyWebsite: String?
    var isBusiness: Bool?
}

/// `POST /user/login`
struct LoginRequest: Decodable {
    struct DeviceInfo: Decodable {
        var userAgent: String?
    }
    var email: String
    var password: String
    var deviceInfo: DeviceInfo?
}

/// `POST /user/refresh` and `POST /user/logout`: the refresh token, under either spelling the
/// public clients use.
struct RefreshTokenRequest: Decodable {
    var refreshToken: String?

    enum CodingKeys: String, CodingKey {
        case refreshToken, refresh_token
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.refreshToken =
            try container.decodeIfPresent(String.self, forKey: .refreshToken)
            ?? container.decodeIfPresent(String.self, forKey: .refresh_token)
    }
}

/// The user as register and login describe them.
struct AuthUserResponse: Encodable {
    var id: String
    var email: String
    var name: String
    var orgId: String
    var orgRole: Int

    init(_ user: User) {
        self.id = user.id.canonical
        self.email = user.email
        self.name = user.firstName
        self.orgId = user.orgId.canonical
        self.orgRole = user.orgRole.rawValue
    }
}

/// The answer to register and login: a new session and its first tokens.
struct SessionResponse: ResponseEncodable {
    var success = true
    var accessToken: String
    var refreshToken: String
    var tokenId: String
    /// Expiry of the access token, in seconds since 1970.
    var expiresAt: Int64
    var user: AuthUserResponse
}

/// The answer to refresh: the next pair of tokens.
struct RefreshResponse: ResponseEncodable {
    var success = true
    var accessToken: String
    var refreshToken: String
    var expiresAt: Int64
}

/// `GET /user/profile`
struct ProfileResponse: ResponseEncodable {
    struct Profile: Encodable {
        var id: String
        var name: String
        var lastName: String
        var email: String
        var orgId: String
        var orgRole: Int
        var orgRoleDescription: String
        var orgRoles: [Int]
        var validated: Bool
    }
    var success = true
    var data: Profile

    init(_ user: User) {
        self.data = Profile(
            id: user.id.canonical, name: user.firstName, lastName: user.lastName, email: user.email, orgId: user.orgId.canonical,
            orgRole: user.orgRole.rawValue, orgRoleDescription: user.orgRole.name, orgRoles: user.orgRole.heldLevels,
            validated: user.validated
        )
    }
}

/// `GET /token`
struct TokenListResponse: ResponseEncodable {
    struct Token: Encodable {
        var id: String
        var createdAt: Date
        var expiresAt: Date
        @Nullable var lastUsedAt: Date?
        @Nullable var userAgent: String?

        init(_ session: Session) {
            self.id = session.id.canonical
            self.createdAt = session.createdAt
            self.expiresAt = session.expiresAt
            self.lastUsedAt = session.lastUsedAt
            self.userAgent = session.userAgent
        }
    }
    var success = true
    var tokens: [Token]
}

/// `{"success": true}`
struct SuccessResponse: ResponseEncodable {
    var success = true
}
