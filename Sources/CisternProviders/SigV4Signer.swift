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
        "\(self.scheme)://\(self.hostHeader)\(SigV4.encode(self.path, keepingSlashes: true))"
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
    public static let emptyPayloadSHA256 = SigV4.emptyPayloadSHA256

    /// The headers to add to `request`: `x-amz-date`, `x-amz-content-sha256` and `authorization`.
    public static func sign(
        _ request: SigV4Request, accessKey: String, secret: SecretValue, region: String, service: String = "s3", date: Date
    ) -> [(name: String, value: String)] {
        let timestamp = SigV4.timestamp(date)
        let scope = SigV4.Scope(day: String(timestamp.prefix(8)), region: region, service: service)
        let headers =
            [("host", request.hostHeader), ("x-amz-content-sha256", request.payloadSHA256), ("x-amz-date", timestamp)]
            + request.headers.map { ($0.name.lowercased(), $0.value) }
        let canonicalRequest = SigV4.canonicalRequest(
            method: request.method, path: request.path, query: request.query, headers: headers, payloadHash: request.payloadSHA256
        )
        let signature = SigV4.signature(
            SigV4.stringToSign(timestamp: timestamp, scope: scope, canonicalRequest: canonicalRequest),
            key: SigV4.signingKey(secret: secret, scope: scope)
        )
        let signedHeaders = headers.map(\.0).sorted().joined(separator: ";")
        return [
            ("x-amz-date", timestamp),
            ("x-amz-content-sha256", request.payloadSHA256),
            ("authorization", "\(SigV4.algorithm) Credential=\(accessKey)/\(scope.text), SignedHeaders=\(signedHeaders), Signature=\(signature)"),
        ]
    }
}
