import AsyncHTTPClient
import CisternCore
import Foundation
import JWTKit
import NIOCore
import NIOHTTP1

/// Google Cloud Storage. Two kinds of credential:
/// - a service account: `key` is its client e-mail, `secret` its private key (PEM). A signed RS256
///   JWT is exchanged at the token endpoint for an OAuth2 access token (cached until a minute
///   before it expires), which authorizes JSON API requests (`GET /storage/v1/b/{bucket}`);
/// - an HMAC interoperability key (`key` starting with `GOOG`): requests go to the S3-compatible
///   XML API, signed with SigV4, through `S3Provider`.
///
/// `endpoint` replaces `https://storage.googleapis.com` (GCS-compatible services, emulators).
/// With no token endpoint (`tokenURL` nil) service-account requests are sent without a token:
/// for emulators such as fake-gcs-server, which accept anonymous requests.
public struct GCSProvider: StorageProvider {
    let http: HTTPClient
    let timeout: TimeAmount
    let tokenURL: String?
    let tokens: GCSTokenCache
    let hmac: S3Provider

    public static let defaultEndpoint = "https://storage.googleapis.com"
    public static let defaultTokenURL = "https://oauth2.googleapis.com/token"

    public init(http: HTTPClient, timeout: TimeAmount = .seconds(5), tokenURL: String? = GCSProvider.defaultTokenURL) {
        self.http = http
        self.timeout = timeout
        self.tokenURL = tokenURL
        self.tokens = GCSTokenCache()
        self.hmac = S3Provider(http: http, timeout: timeout)
    }

    public func probe(_ connection: BucketConnection) async -> ProbeResult {
        if Self.isHMAC(connection) { return await self.hmac.probe(Self.xmlAPI(connection)) }
        return await ProviderResponse.probe { try await self.send(connection, path: "") }
    }

    public func hasObjects(_ connection: BucketConnection, prefix: String) async throws -> Bool {
        if Self.isHMAC(connection) { return try await self.hmac.hasObjects(Self.xmlAPI(connection), prefix: prefix) }
        let response = try await self.send(connection, path: "/o", query: [("prefix", prefix), ("maxResults", "1")])
        if let failure = response.failure { throw failure }
        let list = try? JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any]
        return !((list?["items"] as? [Any]) ?? []).isEmpty
    }

    /// A JSON API request about the bucket (`path` after `/storage/v1/b/{bucket}`).
    func send(_ connection: BucketConnection, path: String, query: [(String, String)] = []) async throws -> ProviderResponse {
        let endpoint = try ProviderEndpoint(connection.endpoint ?? Self.defaultEndpoint)
        var request = HTTPClientRequest(
            url: "\(endpoint.origin)\(endpoint.basePath)/storage/v1/b/\(SigV4.encode(connection.bucket))\(path)"
                + ProviderEndpoint.queryString(query)
        )
        if let tokenURL = self.tokenURL {
            let token = try await self.tokens.token(for: connection, tokenURL: tokenURL, http: self.http, timeout: self.timeout)
            request.headers.add(name: "Authorization", value: "Bearer \(token.revealed)")
        }
        return try await ProviderResponse.fetch(request, with: self.http, timeout: self.timeout)
    }

    public static func isHMAC(_ connection: BucketConnection) -> Bool { connection.key.hasPrefix("GOOG") }

    /// The same bucket through the S3-compatible XML API.
    public static func xmlAPI(_ connection: BucketConnection) -> BucketConnection {
        var xml = connection
        xml.endpoint = connection.endpoint ?? Self.defaultEndpoint
        xml.region = connection.region ?? "auto"
        return xml
    }

    /// The RS256 assertion a service account presents at the token endpoint.
    static func assertion(for connection: BucketConnection, tokenURL: String, now: Date) async throws(ProviderError) -> String {
        let keys = JWTKeyCollection()
        do {
            await keys.add(rsa: try Insecure.RSA.PrivateKey(pem: connection.secret.revealed), digestAlgorithm: .sha256)
        } catch {
            throw ProviderError(status: .disconnected, reason: "the secret is not a PEM private key")
        }
        let claims = ServiceAccountClaims(
            iss: IssuerClaim(value: connection.key), scope: "https://www.googleapis.com/auth/devstorage.read_write",
            aud: AudienceClaim(value: tokenURL), iat: IssuedAtClaim(value: now), exp: ExpirationClaim(value: now.addingTimeInterval(3600))
        )
        do {
            return try await keys.sign(claims)
        } catch {
            throw ProviderError(status: .disconnected, reason: "the private key cannot sign")
        }
    }
}

/// The claims of a service account's token request.
struct ServiceAccountClaims: JWTPayload {
    var iss: IssuerClaim
    var scope: String
    var aud: AudienceClaim
    var iat: IssuedAtClaim
    var exp: ExpirationClaim

    func verify(using algorithm: some JWTAlgorithm) throws {
        try self.exp.verifyNotExpired()
    }
}

/// Access tokens by service account, kept until a minute before they expire.
actor GCSTokenCache {
    private var tokens: [String: (token: SecretValue, expires: Date)] = [:]

    func token(for connection: BucketConnection, tokenURL: String, http: HTTPClient, timeout: TimeAmount) async throws -> SecretValue {
        let cacheKey = "\(tokenURL)|\(connection.key)|\(connection.secret.revealed.hashValue)"
        if let cached = self.tokens[cacheKey], cached.expires > Date() { return cached.token }
        let now = Date()
        let assertion = try await GCSProvider.assertion(for: connection, tokenURL: tokenURL, now: now)
        var request = HTTPClientRequest(url: tokenURL)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        let form = "grant_type=\(SigV4.encode("urn:ietf:params:oauth:grant-type:jwt-bearer"))&assertion=\(assertion)"
        request.body = .bytes(ByteBuffer(string: form))
        let response = try await ProviderResponse.fetch(request, with: http, timeout: timeout)
        let json = try? JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any]
        guard response.status == 200, let token = json?["access_token"] as? String else {
            // OAuth's `error` is a code (`invalid_grant`); its description is free text, kept for the log.
            let code = ProviderResponse.errorCode(json?["error"] as? String)
            throw ProviderError(
                status: response.status >= 500 ? .offline : .disconnected, reason: "token exchange refused: \(code ?? "HTTP \(response.status)")",
                detail: (json?["error_description"] as? String).map { String($0.prefix(300)) }
            )
        }
        let lifetime = (json?["expires_in"] as? Double) ?? 3600
        self.tokens[cacheKey] = (SecretValue(token), now.addingTimeInterval(max(0, lifetime - 60)))
        return SecretValue(token)
    }
}
