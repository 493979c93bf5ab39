import Foundation

/// botocore's reference signatures (`scripts/sigv4-fixtures.py` writes them to
/// `Tests/CisternProvidersTests/Fixtures/sigv4.json`): the requests our signer must sign exactly
/// as botocore does, and that the gateway's verifier must accept.
public struct SigV4Fixtures: Decodable, Sendable {
    public struct Case: Decodable, Sendable, CustomStringConvertible {
        public var name: String
        public var method: String
        /// `scheme://host[:port]`
        public var origin: String
        /// Decoded.
        public var path: String
        /// Decoded name and value pairs.
        public var query: [[String]]
        public var headers: [String: String]
        public var region: String
        public var expectedURL: String
        public var expectedAuthorization: String
        public var expectedDate: String
        public var expectedContentSHA256: String
        public var bodySHA256: String
        public var description: String { self.name }
    }

    public var accessKey: String
    public var secretKey: String
    /// ISO 8601: when botocore signed them.
    public var date: String
    public var service: String
    public var cases: [Case]

    public static let botocore: SigV4Fixtures = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Tests/CisternProvidersTests/Fixtures/sigv4.json")
        return try! JSONDecoder().decode(SigV4Fixtures.self, from: Data(contentsOf: url))
    }()
}
