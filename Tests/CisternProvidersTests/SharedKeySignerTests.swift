import CisternCore
import Foundation
import Testing

@testable import CisternProviders

/// Our Shared Key signer against Microsoft's Python SDK (see scripts/sharedkey-fixtures.py).
@Suite("Azure Shared Key signer")
struct SharedKeySignerTests {
    struct Fixtures: Decodable {
        struct Case: Decodable, CustomTestStringConvertible {
            var name: String
            var method: String
            var origin: String
            var path: String
            var query: [[String]]
            var headers: [String: String]
            var expectedURL: String
            var expectedAuthorization: String
            var testDescription: String { self.name }
        }
        var account: String
        var key: String
        var date: String
        var version: String
        var cases: [Case]
    }

    static let fixtures = loadFixture("sharedkey.json", as: Fixtures.self)

    @Test(arguments: fixtures.cases)
    func matchesMicrosoftsSDK(fixture: Fixtures.Case) throws {
        let encodedPath = SigV4.encode(fixture.path, keepingSlashes: true)
        var url = fixture.origin + encodedPath
        if !fixture.query.isEmpty {
            url += "?" + fixture.query.map { "\(SigV4.encode($0[0]))=\(SigV4.encode($0[1]))" }.joined(separator: "&")
        }
        #expect(url == fixture.expectedURL)
        let headers = [("x-ms-date", Self.fixtures.date), ("x-ms-version", Self.fixtures.version)] + fixture.headers.map { ($0.key, $0.value) }
        let authorization = try SharedKeySigner.authorization(
            method: fixture.method, encodedPath: encodedPath, query: fixture.query.map { ($0[0], $0[1]) },
            headers: headers.map { (name: $0.0, value: $0.1) }, account: Self.fixtures.account, key: SecretValue(Self.fixtures.key)
        )
        #expect(authorization == fixture.expectedAuthorization)
    }

    @Test func aKeyThatIsNotBase64IsRefusedWithoutEchoingIt() {
        #expect {
            try SharedKeySigner.authorization(
                method: "GET", encodedPath: "/c", query: [], headers: [], account: "a", key: SecretValue("%%not-base64%%")
            )
        } throws: { error in
            (error as? ProviderError)?.status == .disconnected && !"\(error)".contains("not-base64%%")
        }
    }

    @Test func httpDatesAreRFC1123InGMT() {
        #expect(SharedKeySigner.httpDate(Date(timeIntervalSince1970: 1_795_869_296)) == "Sat, 28 Nov 2026 12:34:56 GMT")
    }
}
