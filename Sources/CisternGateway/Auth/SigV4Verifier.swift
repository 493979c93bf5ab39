import CisternCore
import CisternProviders
import Crypto
import Foundation

/// How a request's body is covered by its signature (`x-amz-content-sha256`).
public enum PayloadMode: Sendable, Equatable {
    /// The hex SHA-256 of the whole body, checked once the body is read.
    case sha256(String)
    /// `UNSIGNED-PAYLOAD`: the body is not signed (presigned URLs, TLS uploads).
    case unsigned
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: signed `aws-chunked` chunks.
    case streamingSigned
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: signed chunks, then signed trailers.
    case streamingSignedTrailer
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: unsigned chunks, then trailers (a checksum).
    case streamingUnsignedTrailer

    init?(_ value: String) {
        switch value {
        case "UNSIGNED-PAYLOAD": self = .unsigned
        case "STREAMING-AWS4-HMAC-SHA256-PAYLOAD": self = .streamingSigned
        case "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER": self = .streamingSignedTrailer
        case "STREAMING-UNSIGNED-PAYLOAD-TRAILER": self = .streamingUnsignedTrailer
        default:
            guard value.utf8.count == 64, value.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else { return nil }
            self = .sha256(value)
        }
    }

    /// Whether the body comes `aws-chunked`.
    public var isChunked: Bool {
        switch self {
        case .streamingSigned, .streamingSignedTrailer, .streamingUnsignedTrailer: true
        case .sha256, .unsigned: false
        }
    }
}

/// Who claims to have signed a request, and how: read before the key is looked up.
public struct SignatureClaim: Sendable {
    public enum Form: Sendable, Equatable {
        /// `Authorization: AWS4-HMAC-SHA256 ...`
        case header
        /// `X-Amz-Algorithm=AWS4-HMAC-SHA256&...` in the query.
        case presignedV4
        /// `AWSAccessKeyId=...&Expires=...&Signature=...` in the query (HMAC-SHA1).
        case presignedV2
    }

    public var form: Form
    public var accessKey: String
    /// Version 4: the request's time (as signed, and read), its scope, the signed headers and the signature.
    var timestamp = ""
    var signedAt = Date(timeIntervalSince1970: 0)
    var scope = SigV4.Scope(day: "", region: "", service: "")
    var signedHeaders: [String] = []
    var signature: String
    /// Version 2: when the URL expires (its text, as signed).
    var expires = ""
    public var payload: PayloadMode
}

/// What a verified signature lets the body reader do: check chunk signatures from the seed.
public struct VerifiedSignature: Sendable {
    public var payload: PayloadMode
    /// For `.streamingSigned` and `.streamingSignedTrailer`.
    public var chunkSigner: AWSChunkedDecoder.ChunkSigner?
}

/// Verifies AWS signatures on requests to the gateway by recomputing them from the request as
/// received (decoded, then encoded as SigV4 requires, as S3 itself does) with the key's secret,
/// and comparing in constant time. Version 4 in the `Authorization` header or the query;
/// version 2 only in presigned URLs, which `aws s3 presign` and boto3 still make.
public enum SigV4Verifier {
    /// How far a request's time may be from the server's.
    public static let allowedSkew: TimeInterval = 15 * 60
    /// The longest a presigned URL may live (7 days).
    public static let maximumExpiry = 604_800

    /// The signature a request claims, or nil when it carries none (an anonymous request).
    /// Throws the S3 error of a malformed, unsupported, expired or badly timed signature.
    public static func claim(of request: ReceivedRequest, now: Date) throws(S3Error) -> SignatureClaim? {
        if let authorization = request.header("authorization") {
            return try Self.headerClaim(authorization, request, now: now)
        }
        guard let parameters = request.queryParameters else {
            throw S3Error.authorizationQueryParametersError("The query string is not correctly percent-encoded")
        }
        let names = Set(parameters.map(\.name))
        if names.contains("X-Amz-Algorithm") || names.contains("X-Amz-Signature") || names.contains("X-Amz-Credential") {
            return try Self.presignedV4Claim(parameters, request, now: now)
        }
        if names.contains("AWSAccessKeyId") || names.contains("Signature") {
            return try Self.presignedV2Claim(parameters, now: now)
        }
        return nil
    }

    /// Checks `claim` against the request with the key's `secret`.
    public static func verify(_ claim: SignatureClaim, of request: ReceivedRequest, secret: SecretValue) throws(S3Error) -> VerifiedSignature {
        switch claim.form {
        case .header, .presignedV4:
            let key = SigV4.signingKey(secret: secret, scope: claim.scope)
            let expected = SigV4.signature(
                SigV4.stringToSign(timestamp: claim.timestamp, scope: claim.scope, canonicalRequest: try Self.canonicalRequest(claim, request)),
                key: key
            )
            guard ConstantTime.equal(claim.signature, expected) else { throw S3Error.signatureDoesNotMatch }
            var verified = VerifiedSignature(payload: claim.payload)
            if claim.payload == .streamingSigned || claim.payload == .streamingSignedTrailer {
                verified.chunkSigner = AWSChunkedDecoder.ChunkSigner(
                    key: key, timestamp: claim.timestamp, scope: claim.scope, seedSignature: expected
                )
            }
            return verified
        case .presignedV2:
            let stringToSign = Self.version2StringToSign(claim, request)
            let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Data(stringToSign.utf8), using: SymmetricKey(data: Data(secret.revealed.utf8)))
            guard ConstantTime.equal(claim.signature, Data(mac).base64EncodedString()) else { throw S3Error.signatureDoesNotMatch }
            return VerifiedSignature(payload: .unsigned)
        }
    }

    // MARK: Version 4

    private static func headerClaim(_ authorization: String, _ request: ReceivedRequest, now: Date) throws(S3Error) -> SignatureClaim {
        guard authorization.hasPrefix(SigV4.algorithm + " ") else {
            if authorization.hasPrefix("AWS ") {
                throw S3Error.invalidRequest("The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.")
            }
            throw S3Error.authorizationHeaderMalformed("The authorization header is malformed; it must start with AWS4-HMAC-SHA256")
        }
        var fields: [String: String] = [:]
        for part in authorization.dropFirst(SigV4.algorithm.count + 1).split(separator: ",") {
            let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { throw S3Error.authorizationHeaderMalformed("The authorization header is malformed: '\(part)'") }
            fields[String(pair[0])] = String(pair[1])
        }
        guard let credential = fields["Credential"], let signedHeaders = fields["SignedHeaders"], let signature = fields["Signature"] else {
            throw S3Error.authorizationHeaderMalformed("The authorization header needs Credential, SignedHeaders and Signature")
        }
        guard let timestamp = request.header("x-amz-date") else {
            throw S3Error.accessDenied("AWS authentication requires a valid Date or x-amz-date header")
        }
        guard let contentHash = request.header("x-amz-content-sha256") else {
            throw S3Error.invalidRequest("Missing required header for this request: x-amz-content-sha256")
        }
        guard let payload = PayloadMode(contentHash) else {
            throw S3Error.invalidRequest("x-amz-content-sha256 must be a hex SHA-256, UNSIGNED-PAYLOAD or a STREAMING- mode")
        }
        let claim = try Self.version4Claim(
            form: .header, credential: credential, timestamp: timestamp, signedHeaders: signedHeaders, signature: signature, payload: payload,
            malformed: S3Error.authorizationHeaderMalformed
        )
        guard abs(claim.signedAt.timeIntervalSince(now)) <= Self.allowedSkew else { throw S3Error.requestTimeTooSkewed }
        return claim
    }

    private static func presignedV4Claim(
        _ parameters: [(name: String, value: String)], _ request: ReceivedRequest, now: Date
    ) throws(S3Error) -> SignatureClaim {
        func parameter(_ name: String) throws(S3Error) -> String {
            guard let value = parameters.first(where: { $0.name == name })?.value else {
                throw S3Error.authorizationQueryParametersError("Query-string authentication version 4 requires \(name)")
            }
            return value
        }
        guard try parameter("X-Amz-Algorithm") == SigV4.algorithm else {
            throw S3Error.authorizationQueryParametersError("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")
        }
        let expiresText = try parameter("X-Amz-Expires")
        guard let expires = Int(expiresText), (1...Self.maximumExpiry).contains(expires) else {
            throw S3Error.authorizationQueryParametersError("X-Amz-Expires must be a number of seconds from 1 to 604800")
        }
        var payload = PayloadMode.unsigned
        if let contentHash = request.header("x-amz-content-sha256") {
            guard let mode = PayloadMode(contentHash), !mode.isChunked else {
                throw S3Error.invalidRequest("x-amz-content-sha256 must be a hex SHA-256 or UNSIGNED-PAYLOAD on a presigned request")
            }
            payload = mode
        }
        let claim = try Self.version4Claim(
            form: .presignedV4, credential: try parameter("X-Amz-Credential"), timestamp: try parameter("X-Amz-Date"),
            signedHeaders: try parameter("X-Amz-SignedHeaders"), signature: try parameter("X-Amz-Signature"), payload: payload,
            malformed: S3Error.authorizationQueryParametersError
        )
        if claim.signedAt.timeIntervalSince(now) > Self.allowedSkew { throw S3Error.accessDenied("Request is not valid yet") }
        if now.timeIntervalSince(claim.signedAt) > TimeInterval(expires) { throw S3Error.accessDenied("Request has expired") }
        return claim
    }

    private static func version4Claim(
        form: SignatureClaim.Form, credential: String, timestamp: String, signedHeaders: String, signature: String, payload: PayloadMode,
        malformed: (String) -> S3Error
    ) throws(S3Error) -> SignatureClaim {
        let parts = credential.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5, !parts[0].isEmpty, parts[4] == "aws4_request" else {
            throw malformed("The credential is malformed; expecting \"<key>/<YYYYMMDD>/<region>/s3/aws4_request\"")
        }
        guard parts[3] == "s3" else { throw malformed("The credential's service must be s3, not '\(parts[3])'") }
        guard let signedAt = SigV4.date(fromTimestamp: timestamp) else {
            throw malformed("The request time must be of the form YYYYMMDD'T'HHMMSS'Z', not '\(timestamp)'")
        }
        guard parts[1] == String(timestamp.prefix(8)) else {
            throw malformed("The credential's date \(parts[1]) is not the request's date \(timestamp.prefix(8))")
        }
        let headers = signedHeaders.split(separator: ";").map { String($0) }
        guard headers.contains("host") else { throw malformed("The signed headers must include host") }
        guard headers == headers.map({ $0.lowercased() }) else { throw malformed("The signed headers must be lowercase") }
        guard signature.utf8.count == 64 else { throw malformed("The signature must be 64 hex digits") }
        return SignatureClaim(
            form: form, accessKey: parts[0], timestamp: timestamp, signedAt: signedAt,
            scope: SigV4.Scope(day: parts[1], region: parts[2], service: parts[3]),
            signedHeaders: headers, signature: signature, payload: payload
        )
    }

    /// The canonical request of a version 4 claim: the path and query decoded and encoded again,
    /// the presigned signature itself left out, the signed headers as received.
    private static func canonicalRequest(_ claim: SignatureClaim, _ request: ReceivedRequest) throws(S3Error) -> String {
        guard let path = request.decodedPath, var query = request.queryParameters else {
            throw S3Error.signatureDoesNotMatch
        }
        if claim.form == .presignedV4 { query.removeAll { $0.name == "X-Amz-Signature" } }
        let headers = claim.signedHeaders.map { (name: $0, value: request.header($0) ?? "") }
        let payloadHash: String =
            switch claim.payload {
            case .sha256(let hash): hash
            case .unsigned: "UNSIGNED-PAYLOAD"
            case .streamingSigned: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
            case .streamingSignedTrailer: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
            case .streamingUnsignedTrailer: "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
            }
        return SigV4.canonicalRequest(method: request.method, path: path, query: query, headers: headers, payloadHash: payloadHash)
    }

    // MARK: Version 2 (presigned URLs only)

    /// The query parameters version 2 signs as sub-resources.
    static let version2SubResources: Set<String> = [
        "acl", "cors", "delete", "lifecycle", "location", "logging", "notification", "partNumber", "policy", "requestPayment",
        "response-cache-control", "response-content-disposition", "response-content-encoding", "response-content-language",
        "response-content-type", "response-expires", "restore", "tagging", "torrent", "uploadId", "uploads", "versionId", "versioning",
        "versions", "website",
    ]

    private static func presignedV2Claim(_ parameters: [(name: String, value: String)], now: Date) throws(S3Error) -> SignatureClaim {
        func parameter(_ name: String) throws(S3Error) -> String {
            guard let value = parameters.first(where: { $0.name == name })?.value, !value.isEmpty else {
                throw S3Error.authorizationQueryParametersError("Query-string authentication requires AWSAccessKeyId, Expires and Signature")
            }
            return value
        }
        let expires = try parameter("Expires")
        guard let expiry = Int(expires) else { throw S3Error.authorizationQueryParametersError("Expires must be a number of seconds since 1970") }
        guard TimeInterval(expiry) >= now.timeIntervalSince1970 else { throw S3Error.accessDenied("Request has expired") }
        guard TimeInterval(expiry) - now.timeIntervalSince1970 <= TimeInterval(Self.maximumExpiry) + Self.allowedSkew else {
            throw S3Error.authorizationQueryParametersError("Expires must be at most 7 days ahead")
        }
        return SignatureClaim(
            form: .presignedV2, accessKey: try parameter("AWSAccessKeyId"), signature: try parameter("Signature"), expires: expires,
            payload: .unsigned
        )
    }

    /// `METHOD\nContent-MD5\nContent-Type\nExpires\n` + the `x-amz-*` headers + the resource: the
    /// path as sent and the sub-resources of the query, sorted, decoded.
    static func version2StringToSign(_ claim: SignatureClaim, _ request: ReceivedRequest) -> String {
        let amzHeaders = Dictionary(grouping: request.headers.filter { $0.name.hasPrefix("x-amz-") }, by: \.name)
            .map { "\($0.key):\($0.value.map { $0.value.trimmingSpaces() }.joined(separator: ","))\n" }
            .sorted()
            .joined()
        let subResources = (request.queryParameters ?? []).filter { Self.version2SubResources.contains($0.name) }
            .sorted { $0.name < $1.name }
            .map { $0.value.isEmpty ? $0.name : "\($0.name)=\($0.value)" }
        let resource = request.path + (subResources.isEmpty ? "" : "?" + subResources.joined(separator: "&"))
        return [request.method.uppercased(), request.header("content-md5") ?? "", request.header("content-type") ?? "", claim.expires]
            .joined(separator: "\n") + "\n" + amzHeaders + resource
    }
}
