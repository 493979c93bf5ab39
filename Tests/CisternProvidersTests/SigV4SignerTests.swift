import CisternCore
import CisternProviders
import CisternTestSupport
import Foundation
import Testing

/// Our signer against botocore's signatures for the same requests (see scripts/sigv4-fixtures.py).
@Suite("SigV4 signer")
struct SigV4SignerTests {
    static let fixtures = SigV4Fixtures.botocore

    @Test(arguments: fixtures.cases)
    func matchesBotocore(fixture: SigV4Fixtures.Case) throws {
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

    @Test func timestampsMatchTheCalendarBothWays() throws {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        // From 1601 to 9999, every 997 days and 12,345 seconds.
        for step in stride(from: Int64(-11_644_473_600), through: 253_402_300_799, by: 997 * 86_400 + 12_345) {
            let date = Date(timeIntervalSince1970: TimeInterval(step))
            let text = SigV4.timestamp(date)
            #expect(text == formatter.string(from: date), "\(step)")
            #expect(SigV4.date(fromTimestamp: text) == date, "\(text)")
        }
        for bad in ["20260231T000000Z", "20261301T000000Z", "20261128T240000Z", "20261128 123456Z", "2026112T123456Z", "20261128T123456"] {
            #expect(SigV4.date(fromTimestamp: bad) == nil, "\(bad)")
        }
    }
}
