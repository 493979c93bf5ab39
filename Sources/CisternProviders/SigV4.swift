import CisternCore
import Crypto
import Foundation

/// The parts of AWS Signature Version 4 that signing a request (`SigV4Signer`, towards providers)
/// and verifying one (the gateway, from clients) share: the canonical request, the string to
/// sign, the signing key and the signatures of streamed chunks and trailers. Both directions are
/// tested against botocore's signatures (`Tests/CisternProvidersTests/Fixtures/sigv4.json`).
public enum SigV4 {
    public static let algorithm = "AWS4-HMAC-SHA256"
    public static let emptyPayloadSHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// The credential scope: `20261128/us-east-1/s3/aws4_request`.
    public struct Scope: Sendable, Equatable {
        /// `yyyyMMdd`
        public var day: String
        public var region: String
        public var service: String

        public init(day: String, region: String, service: String) {
            self.day = day
            self.region = region
            self.service = service
        }

        public var text: String { "\(self.day)/\(self.region)/\(self.service)/aws4_request" }
    }

    /// The canonical request. `path` and `query` are decoded (this encodes them as SigV4 requires,
    /// without normalising the path, as S3 does); `headers` are the signed ones, with lowercase
    /// names, in any order.
    public static func canonicalRequest(
        method: String, path: String, query: [(name: String, value: String)], headers: [(name: String, value: String)], payloadHash: String
    ) -> String {
        let sortedHeaders = headers.sorted { $0.name < $1.name }
        var encodedQuery: [(name: String, value: String)] = query.map { (Self.encode($0.name), Self.encode($0.value)) }
        encodedQuery.sort { $0.name == $1.name ? $0.value < $1.value : $0.name < $1.name }
        let canonicalQuery: String = encodedQuery.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
        let canonicalHeaders: String = sortedHeaders.map { "\($0.name):\(Self.normalizeHeaderValue($0.value))\n" }.joined()
        let signedHeaders: String = sortedHeaders.map(\.name).joined(separator: ";")
        let canonicalPath: String = Self.encode(path.isEmpty ? "/" : path, keepingSlashes: true)
        return [method.uppercased(), canonicalPath, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash].joined(separator: "\n")
    }

    /// What the seed signature signs.
    public static func stringToSign(timestamp: String, scope: Scope, canonicalRequest: String) -> String {
        [Self.algorithm, timestamp, scope.text, Self.hex(SHA256.hash(data: Data(canonicalRequest.utf8)))].joined(separator: "\n")
    }

    /// What the signature of one chunk of a `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` body signs: each
    /// chunk's signature chains from the previous one (the first from the seed signature).
    public static func chunkStringToSign(timestamp: String, scope: Scope, previousSignature: String, chunkSHA256: String) -> String {
        ["AWS4-HMAC-SHA256-PAYLOAD", timestamp, scope.text, previousSignature, Self.emptyPayloadSHA256, chunkSHA256]
            .joined(separator: "\n")
    }

    /// What the signature of a streamed body's trailing headers signs (`x-amz-trailer-signature`).
    public static func trailerStringToSign(timestamp: String, scope: Scope, previousSignature: String, trailerSHA256: String) -> String {
        ["AWS4-HMAC-SHA256-TRAILER", timestamp, scope.text, previousSignature, trailerSHA256].joined(separator: "\n")
    }

    /// The key derived from a secret for one day, region and service.
    public static func signingKey(secret: SecretValue, scope: Scope) -> SymmetricKey {
        var key = SymmetricKey(data: Data("AWS4\(secret.revealed)".utf8))
        for part in [scope.day, scope.region, scope.service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        return key
    }

    /// The hex signature of `stringToSign`.
    public static func signature(_ stringToSign: String, key: SymmetricKey) -> String {
        Self.hex(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: key))
    }

    /// RFC 3986 percent-encoding of everything but unreserved characters (and `/` in paths),
    /// as SigV4 requires: `a b+c` → `a%20b%2Bc`.
    public static func encode(_ text: String, keepingSlashes: Bool = false) -> String {
        var result: [UInt8] = []
        result.reserveCapacity(text.utf8.count + 16)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                result.append(byte)
            case UInt8(ascii: "/") where keepingSlashes:
                result.append(byte)
            default:
                result.append(UInt8(ascii: "%"))
                result.append(Self.upperHexDigits[Int(byte >> 4)])
                result.append(Self.upperHexDigits[Int(byte & 0x0f)])
            }
        }
        return String(decoding: result, as: UTF8.self)
    }

    /// `20261128T123456Z`. Plain arithmetic (`CivilDate`): every request is stamped, and every signed
    /// one read, this way.
    public static func timestamp(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let second = seconds - days * 86_400
        let (year, month, day) = CivilDate.date(daysSince1970: days)
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let yearText = year >= 1000 ? "\(year)" : String(repeating: "0", count: 4 - "\(max(year, 0))".count) + "\(max(year, 0))"
        return "\(yearText)\(two(Int64(month)))\(two(Int64(day)))T\(two(second / 3600))\(two(second % 3600 / 60))\(two(second % 60))Z"
    }

    /// The instant of a `20261128T123456Z` timestamp; nil for anything else.
    public static func date(fromTimestamp text: String) -> Date? {
        let digits = Array(text.utf8)
        guard digits.count == 16, digits[8] == UInt8(ascii: "T"), digits[15] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for index in range {
                guard digits[index] >= UInt8(ascii: "0"), digits[index] <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int64(digits[index] - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(4..<6), let day = number(6..<8), let hour = number(9..<11),
            let minute = number(11..<13), let second = number(13..<15), (1...12).contains(month), hour < 24, minute < 60, second < 60
        else { return nil }
        let days = CivilDate.days(year: year, month: Int(month), day: Int(day))
        // A day past the month's end (20260231) comes back as another date: refuse it.
        guard CivilDate.date(daysSince1970: days) == (year, Int(month), Int(day)) else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(days * 86_400 + hour * 3600 + minute * 60 + second))
    }

    /// Header values are signed trimmed, with runs of spaces collapsed to one.
    static func normalizeHeaderValue(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }

    /// Lowercase hex.
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        HexDigit.lowercase(bytes)
    }

    private static let upperHexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)
}
