import CisternCore
import Crypto
import Foundation

/// One HTTP request to an S3-style endpoint, before signing. `path` is decoded (`/bucket/a file`);
/// the signer encodes it.
public struct SigV4Request: Sendable, Equatable {
    public var method: String
    public var scheme: String
    public var host: String
    public var port: Int?
    public var path: String
    public var query: [(name: String, value: String)]
    /// Headers to send and sign besides `host`, `x-amz-date` and `x-amz-content-sha256`.
    public var headers: [(name: String, value: String)]
    /// Hex SHA-256 of the body.
    public var payloadSHA256: String

    public init(
        method: String, scheme: String, host: String, port: Int? = nil, path: String, query: [(name: String, value: String)] = [],
        headers: [(name: String, value: String)] = [], payloadSHA256: String = SigV4Signer.emptyPayloadSHA256
    ) {
        self.method = method
        self.scheme = scheme
        self.host = host
        self.port = port
        self.path = path
        self.query = query
        self.headers = headers
        self.payloadSHA256 = payloadSHA256
    }

    /// The `Host` header: the host, with the port unless it is the scheme's default.
    public var hostHeader: String {
        guard let port, !(self.scheme == "http" && port == 80), !(self.scheme == "https" && port == 443) else { return self.host }
        return "\(self.host):\(port)"
    }

    /// The URL to send, with the path and query encoded exactly as they are signed.
    public var url: String {
        "\(self.scheme)://\(self.hostHeader)\(SigV4Signer.encode(self.path, keepingSlashes: true))"
            + ProviderEndpoint.queryString(self.query.map { ($0.name, $0.value) })
    }

    public static func == (lhs: SigV4Request, rhs: SigV4Request) -> Bool {
        lhs.url == rhs.url && lhs.method == rhs.method && lhs.payloadSHA256 == rhs.payloadSHA256
            && lhs.headers.map { "\($0.name):\($0.value)" } == rhs.headers.map { "\($0.name):\($0.value)" }
    }
}

/// AWS Signature Version 4, header signing (the `Authorization: AWS4-HMAC-SHA256 ...` form).
/// Checked against botocore's signatures in `Tests/CisternProvidersTests/Fixtures/sigv4.json`.
public enum SigV4Signer {
    public static let emptyPayloadSHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// The headers to add to `request`: `x-amz-date`, `x-amz-content-sha256` and `authorization`.
    public static func sign(
        _ request: SigV4Request, accessKey: String, secret: SecretValue, region: String, service: String = "s3", date: Date
    ) -> [(name: String, value: String)] {
        let amzDate = Self.timestamp(date)
        let day = String(amzDate.prefix(8))
        var headers: [(String, String)] = [
            ("host", request.hostHeader), ("x-amz-content-sha256", request.payloadSHA256), ("x-amz-date", amzDate),
        ]
        headers += request.headers.map { ($0.name.lowercased(), Self.normalizeHeaderValue($0.value)) }
        headers.sort { $0.0 < $1.0 }
        let signedHeaders = headers.map(\.0).joined(separator: ";")
        let encodedQuery: [(String, String)] = request.query.map { (Self.encode($0.name), Self.encode($0.value)) }
        let sortedQuery = encodedQuery.sorted { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }
        let canonicalQuery: String = sortedQuery.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        let canonicalPath: String = Self.encode(request.path.isEmpty ? "/" : request.path, keepingSlashes: true)
        let canonicalHeaders: String = headers.map { "\($0.0):\($0.1)\n" }.joined()
        let method: String = request.method.uppercased()
        let canonicalRequest: String = [method, canonicalPath, canonicalQuery, canonicalHeaders, signedHeaders, request.payloadSHA256]
            .joined(separator: "\n")
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, Self.hex(SHA256.hash(data: Data(canonicalRequest.utf8)))]
            .joined(separator: "\n")
        var key = SymmetricKey(data: Data("AWS4\(secret.revealed)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        let signature = Self.hex(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: key))
        return [
            ("x-amz-date", amzDate),
            ("x-amz-content-sha256", request.payloadSHA256),
            ("authorization", "AWS4-HMAC-SHA256 Credential=\(accessKey)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"),
        ]
    }

    /// RFC 3986 percent-encoding of everything but unreserved characters (and `/` in paths),
    /// as SigV4 requires: `a b+c` → `a%20b%2Bc`.
    public static func encode(_ text: String, keepingSlashes: Bool = false) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "/") where keepingSlashes:
                result.append("/")
            default:
                result += String(format: "%%%02X", byte)
            }
        }
        return result
    }

    /// `20261128T123456Z`
    static func timestamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d%02d%02dT%02d%02d%02dZ", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
    }

    /// Header values are signed trimmed, with runs of spaces collapsed to one.
    static func normalizeHeaderValue(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}
