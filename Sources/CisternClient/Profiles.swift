import CisternWire
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Where the command line keeps its logins: `$XDG_CONFIG_HOME/cistern/config.json` (or
/// `~/.config/cistern/config.json`), mode 0600 in a 0700 directory, one entry per profile.
///
/// A profile holds the server's URL, the session's refresh token, and the current access token
/// with its expiry: commands use the access token while it lasts and trade the refresh token for
/// a new pair when it does not, under an exclusive lock on the file, so commands run at once never
/// present one refresh token twice (which the server takes for theft and answers by ending the
/// session).
public struct ProfileStore: Sendable {
    public let path: String

    public struct Profile: Codable, Sendable, Equatable {
        public var url: String
        public var email: String?
        public var refreshToken: String?
        public var accessToken: String?
        /// Seconds since 1970.
        public var accessTokenExpiresAt: Int64?

        public init(url: String, email: String? = nil, refreshToken: String? = nil, accessToken: String? = nil, accessTokenExpiresAt: Int64? = nil) {
            self.url = url
            self.email = email
            self.refreshToken = refreshToken
            self.accessToken = accessToken
            self.accessTokenExpiresAt = accessTokenExpiresAt
        }
    }

    struct Contents: Codable {
        var profiles: [String: Profile] = [:]
    }

    public init(path: String) {
        self.path = path
    }

    /// The store the environment points at.
    public init(environment: [String: String]) {
        let base =
            environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"] ?? NSHomeDirectory()) as NSString).appendingPathComponent(".config")
        self.init(path: ((base as NSString).appendingPathComponent("cistern") as NSString).appendingPathComponent("config.json"))
    }

    /// The profiles, none when the file does not exist.
    public func profiles() throws -> [String: Profile] {
        guard FileManager.default.fileExists(atPath: self.path) else { return [:] }
        do {
            return try JSONDecoder().decode(Contents.self, from: Data(contentsOf: URL(fileURLWithPath: self.path))).profiles
        } catch {
            throw APIError(status: 0, message: "\(self.path) is not a configuration this client reads: \(error)")
        }
    }

    /// Runs `body` on the profiles under an exclusive lock and writes what it leaves (the whole
    /// file replaced at once, never readable by others).
    public func update<T: Sendable>(_ body: (inout [String: Profile]) async throws -> T) async throws -> T {
        let directory = (self.path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let lock = open(self.path + ".lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard lock >= 0 else { throw APIError(status: 0, message: "cannot open \(self.path).lock") }
        defer { close(lock) }
        guard flock(lock, LOCK_EX) == 0 else { throw APIError(status: 0, message: "cannot lock \(self.path).lock") }
        defer { flock(lock, LOCK_UN) }
        var profiles = try self.profiles()
        let before = profiles
        let result = try await body(&profiles)
        if profiles != before { try self.write(profiles) }
        return result
    }

    private func write(_ profiles: [String: Profile]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(Contents(profiles: profiles))
        let temporary = self.path + ".new"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw APIError(status: 0, message: "cannot write \(temporary)")
        }
        guard rename(temporary, self.path) == 0 else { throw APIError(status: 0, message: "cannot replace \(self.path)") }
    }
}

/// How a command reaches the API: `CISTERN_URL` with `CISTERN_TOKEN` (an access token, for CI),
/// or else a profile's login.
public enum ClientSession {
    /// An access token this close to its expiry is renewed first.
    static let margin: TimeInterval = 30

    public static func client(
        profile name: String, environment: [String: String], store: ProfileStore, now: Date = Date()
    ) async throws -> CisternClient {
        if let url = environment["CISTERN_URL"], !url.isEmpty, let token = environment["CISTERN_TOKEN"], !token.isEmpty {
            return CisternClient(baseURL: url, accessToken: token)
        }
        return try await store.update { profiles in
            guard var profile = profiles[name], let refreshToken = profile.refreshToken else {
                throw APIError(status: 0, message: "not logged in (profile \(name)): run `cistern login URL --email EMAIL`")
            }
            if let access = profile.accessToken, let expiry = profile.accessTokenExpiresAt,
                Double(expiry) - now.timeIntervalSince1970 > Self.margin
            {
                return CisternClient(baseURL: profile.url, accessToken: access)
            }
            let anonymous = CisternClient(baseURL: profile.url)
            let renewed: RefreshResponse
            do {
                renewed = try await anonymous.call(
                    .POST, "/user/refresh", body: RefreshTokenRequest(refreshToken: refreshToken), as: RefreshResponse.self
                )
                .value
            } catch let error as APIError where error.status == 401 {
                throw APIError(status: 401, message: "the session of profile \(name) has ended: run `cistern login \(profile.url)` again")
            }
            profile.refreshToken = renewed.refreshToken
            profile.accessToken = renewed.accessToken
            profile.accessTokenExpiresAt = renewed.expiresAt
            profiles[name] = profile
            return CisternClient(baseURL: profile.url, accessToken: renewed.accessToken)
        }
    }
}
