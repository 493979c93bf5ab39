import CisternCore
import CisternGateway
import CisternProviders
import CisternTestSupport
import Foundation
import Testing

/// The verifier accepts exactly what botocore signs (the signer's own reference requests, and
/// presigned URLs of both versions), and refuses a changed request, a wrong secret, a stale or
/// expired one, each with the code S3 gives.
@Suite("SigV4 verifier")
struct SigV4VerifierTests {
    struct PresignedFixtures: Decodable {
        struct Case: Decodable, CustomTestStringConvertible {
            var name: String
            var method: String
            var host: String
            var path: String
            var query: String
            var testDescription: String { self.name }
        }
        var secretKey: String
        var date: String
        var expires: Int
        var cases: [Case]
    }

    static let headerFixtures = SigV4Fixtures.botocore
    static let presignedFixtures = loadFixture("presigned.json", as: PresignedFixtures.self)
    static let signedAt = ISO8601DateFormatter().date(from: "2026-11-28T12:34:56Z")!

    /// The request botocore would have sent for a header-signed fixture.
    static func received(_ fixture: SigV4Fixtures.Case, changing change: (inout ReceivedRequest) -> Void = { _ in }) -> ReceivedRequest {
        let url = URLComponents(string: fixture.expectedURL)!
        var headers = [
            ("host", url.port.map { "\(url.host!):\($0)" } ?? url.host!), ("x-amz-date", fixture.expectedDate),
            ("x-amz-content-sha256", fixture.expectedContentSHA256), ("authorization", fixture.expectedAuthorization),
        ]
        headers += fixture.headers.map { ($0.key, $0.value) }
        var request = ReceivedRequest(
            method: fixture.method, path: url.percentEncodedPath, query: url.percentEncodedQuery ?? "", headers: headers
        )
        change(&request)
        return request
    }

    static func verify(_ request: ReceivedRequest, secret: String, at now: Date) throws(S3Error) -> VerifiedSignature {
        guard let claim = try SigV4Verifier.claim(of: request, now: now) else { throw S3Error.accessDenied("no signature") }
        return try SigV4Verifier.verify(claim, of: request, secret: SecretValue(secret))
    }

    static func code(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as S3Error {
            return error.code
        } catch {
            return "\(error)"
        }
    }

    @Test(arguments: headerFixtures.cases)
    func botocoresHeaderSignedRequestsVerify(_ fixture: SigV4Fixtures.Case) throws {
        let request = Self.received(fixture)
        let verified = try Self.verify(request, secret: Self.headerFixtures.secretKey, at: Self.signedAt)
        #expect(verified.payload != .unsigned)
        #expect(Self.code { _ = try Self.verify(request, secret: "another secret", at: Self.signedAt) } == "SignatureDoesNotMatch")
        let otherPath = Self.received(fixture) { $0.path += "x" }
        #expect(Self.code { _ = try Self.verify(otherPath, secret: Self.headerFixtures.secretKey, at: Self.signedAt) } == "SignatureDoesNotMatch")
        let otherMethod = Self.received(fixture) { $0.method = $0.method == "GET" ? "DELETE" : "GET" }
        #expect(Self.code { _ = try Self.verify(otherMethod, secret: Self.headerFixtures.secretKey, at: Self.signedAt) } == "SignatureDoesNotMatch")
    }

    @Test func theClockMayBeFifteenMinutesOffEitherWayAndNoMore() throws {
        let request = Self.received(Self.headerFixtures.cases[0])
        let secret = Self.headerFixtures.secretKey
        for offset: TimeInterval in [-15 * 60, 15 * 60, 0] {
            _ = try Self.verify(request, secret: secret, at: Self.signedAt.addingTimeInterval(offset))
        }
        for offset: TimeInterval in [-15 * 60 - 1, 15 * 60 + 1, 86_400] {
            #expect(
                Self.code { _ = try Self.verify(request, secret: secret, at: Self.signedAt.addingTimeInterval(offset)) } == "RequestTimeTooSkewed")
        }
    }

    @Test(arguments: presignedFixtures.cases)
    func botocoresPresignedURLsVerifyUntilTheyExpire(_ fixture: PresignedFixtures.Case) throws {
        let request = ReceivedRequest(method: fixture.method, path: fixture.path, query: fixture.query, headers: [("Host", fixture.host)])
        let secret = Self.presignedFixtures.secretKey
        let verified = try Self.verify(request, secret: secret, at: Self.signedAt.addingTimeInterval(60))
        #expect(verified.payload == .unsigned)
        let lastSecond = Self.signedAt.addingTimeInterval(TimeInterval(Self.presignedFixtures.expires))
        _ = try Self.verify(request, secret: secret, at: lastSecond)
        #expect(Self.code { _ = try Self.verify(request, secret: secret, at: lastSecond.addingTimeInterval(1)) } == "AccessDenied")
        #expect(Self.code { _ = try Self.verify(request, secret: "another secret", at: Self.signedAt) } == "SignatureDoesNotMatch")
        var otherObject = request
        otherObject.path += "2"
        #expect(Self.code { _ = try Self.verify(otherObject, secret: secret, at: Self.signedAt) } == "SignatureDoesNotMatch")
    }

    @Test func malformedOrUnsupportedSignaturesGetS3sCodes() {
        let fixture = Self.headerFixtures.cases[0]
        let secret = Self.headerFixtures.secretKey
        func code(_ change: (inout ReceivedRequest) -> Void) -> String? {
            Self.code { _ = try Self.verify(Self.received(fixture, changing: change), secret: secret, at: Self.signedAt) }
        }
        func replaceAuthorization(_ transform: @escaping (String) -> String) -> (inout ReceivedRequest) -> Void {
            { request in
                request.headers = request.headers.map { $0.name == "authorization" ? ($0.name, transform($0.value)) : $0 }
            }
        }
        #expect(code(replaceAuthorization { _ in "AWS AKIDEXAMPLE:c2lnbmF0dXJl" }) == "InvalidRequest")
        #expect(code(replaceAuthorization { _ in "Bearer abc" }) == "AuthorizationHeaderMalformed")
        #expect(code(replaceAuthorization { $0.replacingOccurrences(of: "/s3/", with: "/ec2/") }) == "AuthorizationHeaderMalformed")
        #expect(code(replaceAuthorization { $0.replacingOccurrences(of: "/20261128/", with: "/20261127/") }) == "AuthorizationHeaderMalformed")
        #expect(
            code(replaceAuthorization { $0.replacingOccurrences(of: "SignedHeaders=host;", with: "SignedHeaders=") })
                == "AuthorizationHeaderMalformed")
        #expect(code(replaceAuthorization { $0.components(separatedBy: ", Signature=")[0] }) == "AuthorizationHeaderMalformed")
        #expect(code { $0.headers.removeAll { $0.name == "x-amz-date" } } == "AccessDenied")
        #expect(code { $0.headers.removeAll { $0.name == "x-amz-content-sha256" } } == "InvalidRequest")
        // A signed header changed on the way.
        #expect(code { $0.headers = $0.headers.map { $0.name == "host" ? ($0.name, "evil.example") : $0 } } == "SignatureDoesNotMatch")
    }

    @Test func presignedVersion4ParametersAreChecked() {
        let fixture = Self.presignedFixtures.cases[0]
        let secret = Self.presignedFixtures.secretKey
        func code(_ query: String) -> String? {
            let request = ReceivedRequest(method: fixture.method, path: fixture.path, query: query, headers: [("host", fixture.host)])
            return Self.code { _ = try Self.verify(request, secret: secret, at: Self.signedAt) }
        }
        #expect(
            code(fixture.query.replacingOccurrences(of: "X-Amz-Expires=3600", with: "X-Amz-Expires=604801")) == "AuthorizationQueryParametersError")
        #expect(code(fixture.query.replacingOccurrences(of: "X-Amz-Expires=3600&", with: "")) == "AuthorizationQueryParametersError")
        #expect(code(fixture.query.replacingOccurrences(of: "AWS4-HMAC-SHA256", with: "AWS4-HMAC-SHA1")) == "AuthorizationQueryParametersError")
        #expect(code(fixture.query + "&extra=1") == "SignatureDoesNotMatch")
        #expect(code(fixture.query.replacingOccurrences(of: "%2F", with: "%ZZ")) == "AuthorizationQueryParametersError")
    }

    @Test func anUnsignedRequestClaimsNothing() throws {
        let request = ReceivedRequest(method: "GET", path: "/b/k", query: "list-type=2", headers: [("host", "h")])
        #expect(try SigV4Verifier.claim(of: request, now: Self.signedAt) == nil)
    }
}
