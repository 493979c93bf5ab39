import CisternCore
import CisternProviders
import Foundation
import Testing

/// Our signer against botocore's signatures for the same requests (see scripts/sigv4-fixtures.py).
@Suite("SigV4 signer")
struct SigV4SignerTests {
    struct Fixtures: Decodable {
        struct Case: Decodable, CustomTestStringConvertible {
            var name: String
            var method: String
            var origin: String
            var path: String
            var query: [[String]]
            var headers: [String: String]
            var region: String
            var expectedURL: String
            var expectedAuthorization: String
            var expectedDate: String
            var expectedContentSHA256: String
            var bodySHA256: String
            var testDescription: String { self.name }
        }
        var accessKey: String
        var secretKey: String
        var date: String
        var service: String
        var cases: [Case]
    }

    static let fixtures = loadFixture("sigv4.json", as: Fixtures.self)

    @Test(arguments: fixtures.cases)
    func matchesBotocore(fixture: Fixtures.Case) throws {
        let origin = try #require(URLComponents(string: fixture.origin))
        let request = SigV4Request(
            method: fixture.method, scheme: origin.scheme!, host: origin.host!, port: origin.port, path: fixture.path,
            query: fixture.query.map { ($0[0], $0[1]) }, headers: fixture.headers.map { ($0.key, $0.value) },
            payloadSHA256: fixture.bodySHA256
        )
        #expect(request.url == fixture.expectedURL)
        let date = try #require(ISO8601DateFormatter().date(from: Self.fixtures.date))
        let signed = SigV4Signer.sign(
            request, accessKey: Self.fixtures.accessKey, secret: SecretValue(Self.fixtures.secretKey), region: fixture.region,
            service: Self.fixtures.service, date: date
        )
        let headers = Dictionary(uniqueKeysWithValues: signed.map { ($0.name, $0.value) })
        #expect(headers["authorization"] == fixture.expectedAuthorization)
        #expect(headers["x-amz-date"] == fixture.expectedDate)
        #expect(headers["x-amz-content-sha256"] == fixture.expectedContentSHA256)
    }

    @Test func aDifferentSecretGivesADifferentSignature() throws {
        let fixture = Self.fixtures.cases[0]
        let request = SigV4Request(method: "GET", scheme: "http", host: "127.0.0.1", port: 8333, path: fixture.path)
        let date = Date(timeIntervalSince1970: 0)
        let a = SigV4Signer.sign(request, accessKey: "AK", secret: SecretValue("one"), region: "us-east-1", date: date)
        let b = SigV4Signer.sign(request, accessKey: "AK", secret: SecretValue("two"), region: "us-east-1", date: date)
        #expect(a.last!.value != b.last!.value)
        #expect(!a.last!.value.contains("one"))
    }

    @Test func encodingKeepsOnlyUnreservedCharacters() {
        #expect(SigV4.encode("a b+c/d~e_f.g-h") == "a%20b%2Bc%2Fd~e_f.g-h")
        #expect(SigV4.encode("/a b/ü", keepingSlashes: true) == "/a%20b/%C3%BC")
    }
}
