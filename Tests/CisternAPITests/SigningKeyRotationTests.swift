import AsyncHTTPClient
import CisternCore
import CisternTestSupport
import Crypto
import Foundation
import JWTKit
import Testing

@testable import CisternAPI

/// Rotating the JWT signing key logs nobody out: tokens carry their key's id (`kid`), and keys in
/// `CISTERN_JWT_SECRET_PREVIOUS` verify what they signed but never sign.
@Suite("JWT signing key rotation", .timeLimit(.minutes(3)))
struct SigningKeyRotationTests {
    static func header(_ token: String) throws -> [String: Any] { try jwtSection(token, 0) }

    static let user = User(
        id: UUID(), orgId: UUID(), email: "a@example.com", firstName: "A", lastName: "B", orgRole: .owner, validated: true, active: true,
        createdAt: Date()
    )

    static func service(_ key: KeyMaterial, previous: [KeyMaterial] = []) async -> TokenService {
        await TokenService(
            signingKey: key, previousSigningKeys: previous, accessTokenLifetime: 900, refreshTokenLifetime: 86_400, timeSource: SystemTimeSource()
        )
    }

    @Test func tokensOfAPreviousKeyVerifyAndNewOnesNameTheCurrentKey() async throws {
        let (old, new) = (KeyMaterial.generate().material, KeyMaterial.generate().material)
        let session = UUID()
        let issued = try await Self.service(old).accessToken(for: Self.user, sessionId: session).token
        // A token from before keys had ids: no `kid` at all.
        let legacyKeys = JWTKeyCollection()
        await legacyKeys.add(hmac: HMACKey(key: old.key), digestAlgorithm: .sha256)
        let legacy = try await legacyKeys.sign(
            AccessClaims(
                sub: SubjectClaim(value: Self.user.id.canonical), userId: Self.user.id.canonical, email: Self.user.email,
                orgId: Self.user.orgId.canonical, sid: session.canonical, type: "access", iat: IssuedAtClaim(value: Date()),
                exp: ExpirationClaim(value: Date().addingTimeInterval(900))
            )
        )
        #expect(try Self.header(legacy)["kid"] == nil)

        let rotated = await Self.service(new, previous: [old])
        #expect(await rotated.verifyAccessToken(issued)?.sessionId == session)
        #expect(await rotated.verifyAccessToken(legacy)?.sessionId == session)
        let fresh = try await rotated.accessToken(for: Self.user, sessionId: session).token
        #expect(try Self.header(fresh)["kid"] as? String == TokenService.keyId(new).string)
        #expect(try Self.header(issued)["kid"] as? String == TokenService.keyId(old).string)

        // Once the previous key is dropped, what it signed is refused; a stranger's key never verifies.
        let retired = await Self.service(new)
        #expect(await retired.verifyAccessToken(issued) == nil)
        #expect(await retired.verifyAccessToken(legacy) == nil)
        #expect(await Self.service(KeyMaterial.generate().material, previous: [new]).verifyAccessToken(issued) == nil)
        #expect(await retired.verifyAccessToken(fresh)?.sessionId == session)
    }

    @Test func aServerRestartedOnANewKeyKeepsItsSessions() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cistern-jwt-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var environment = try await ReplicaTests.sharedEnvironment(in: directory)
        let (old, new) = (KeyMaterial.generate(), KeyMaterial.generate())
        environment["CISTERN_JWT_SECRET"] = old.base64
        let http = HTTPClient.shared
        var server = try await Replica.healthy(http, environment: environment, dataDirectory: directory + "/data")
        let registered = try await server.call(
            http, "POST", "/user/register",
            ["email": "ada@example.com", "password": "Passw0rd!", "firstName": "A", "lastName": "L", "companyName": "Keys"])
        let token = try #require(registered.json["accessToken"] as? String)
        let refresh = try #require(registered.json["refreshToken"] as? String)
        server.stop()

        environment["CISTERN_JWT_SECRET"] = new.base64
        environment["CISTERN_JWT_SECRET_PREVIOUS"] = old.base64
        server = try await Replica.healthy(http, environment: environment, dataDirectory: directory + "/data")
        #expect(try await server.call(http, "GET", "/user/profile", token: token).status == 200, "signed by the previous key")
        let renewed = try await server.call(http, "POST", "/user/refresh", ["refreshToken": refresh])
        let next = try #require(renewed.json["accessToken"] as? String)
        #expect(try Self.header(next)["kid"] as? String == TokenService.keyId(new.material).string)
        server.stop()

        environment["CISTERN_JWT_SECRET_PREVIOUS"] = nil
        server = try await Replica.healthy(http, environment: environment, dataDirectory: directory + "/data")
        defer { server.stop() }
        #expect(try await server.call(http, "GET", "/user/profile", token: token).status == 401, "the retired key's token")
        #expect(try await server.call(http, "GET", "/user/profile", token: next).status == 200)

        // A previous key that is not 32 bytes of base64 stops the start, naming the setting.
        environment["CISTERN_JWT_SECRET_PREVIOUS"] = "not-a-key"
        let broken = try Replica(environment: environment, dataDirectory: directory + "/other")
        let (status, output) = try await broken.waitForExit(seconds: 30)
        #expect(status != 0 && output.contains("CISTERN_JWT_SECRET_PREVIOUS"), "\(output)")
    }
}
