import AsyncHTTPClient
import CisternCore
import Crypto
import Foundation
import NIOCore
import NIOHTTP1

/// S3 and S3-compatible providers, over AsyncHTTPClient with SigV4 header signing.
///
/// Addressing: a bucket with a custom `endpoint` is addressed path-style (`endpoint/bucket/key`),
/// which every S3-compatible service accepts; a bucket on AWS itself (no endpoint) is addressed
/// virtual-hosted (`bucket.s3.region.amazonaws.com/key`) when its name allows, else path-style.
public struct S3Provider: StorageProvider {
    let http: HTTPClient
    /// The most one request may take, connection included.
    let timeout: TimeAmount

    public init(http: HTTPClient, timeout: TimeAmount = .seconds(5)) {
        self.http = http
        self.timeout = timeout
    }

    public func probe(_ connection: BucketConnection) async -> ProbeResult {
        await ProviderResponse.probe { try await self.send("GET", connection, query: [("list-type", "2"), ("max-keys", "1")]) }
    }

    public func hasObjects(_ connection: BucketConnection, prefix: String) async throws -> Bool {
        let response = try await self.send("GET", connection, query: [("list-type", "2"), ("prefix", prefix), ("max-keys", "1")])
        if let failure = response.failure { throw failure }
        if let count = XMLText.first("KeyCount", in: response.body).flatMap(Int.init) { return count > 0 }
        return XMLText.first("Key", in: response.body) != nil
    }

    /// Sends one signed request to the bucket (or to `key` in it) and reads the answer.
    public func send(
        _ method: String, _ connection: BucketConnection, key: String? = nil, query: [(String, String)] = [],
        headers: [(String, String)] = [], body: Data = Data()
    ) async throws -> ProviderResponse {
        var request = try Self.signedRequest(
            method, connection, key: key, query: query, headers: headers, payloadSHA256: SigV4.hex(SHA256.hash(data: body))
        )
        if !body.isEmpty { request.body = .bytes(ByteBuffer(bytes: body)) }
        return try await ProviderResponse.fetch(request, with: self.http, timeout: self.timeout)
    }

    /// Sends one request whose body streams (signed `UNSIGNED-PAYLOAD`, as S3 allows) and returns
    /// the answer with its body unread, for the caller to stream on. Transport failures throw.
    public func stream(
        _ method: String, _ connection: BucketConnection, key: String?, query: [(String, String)] = [], headers: [(String, String)] = [],
        body: HTTPClientRequest.Body? = nil, timeout: TimeAmount
    ) async throws -> HTTPClientResponse {
        var request = try Self.signedRequest(method, connection, key: key, query: query, headers: headers, payloadSHA256: "UNSIGNED-PAYLOAD")
        request.body = body
        return try await self.http.execute(request, timeout: timeout)
    }

    /// A request to the bucket (or `key` in it), its headers signed with the bucket's credentials.
    static func signedRequest(
        _ method: String, _ connection: BucketConnection, key: String?, query: [(String, String)], headers: [(String, String)],
        payloadSHA256: String
    ) throws -> HTTPClientRequest {
        var signing = try Self.request(method, connection, key: key, query: query)
        signing.headers = headers.map { (name: $0.0, value: $0.1) }
        signing.payloadSHA256 = payloadSHA256
        let signed = SigV4Signer.sign(
            signing, accessKey: connection.key, secret: connection.secret, region: connection.region ?? S3Provider.defaultRegion,
            date: Date()
        )
        var request = HTTPClientRequest(url: signing.url)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in signing.headers { request.headers.add(name: name, value: value) }
        for (name, value) in signed { request.headers.add(name: name, value: value) }
        return request
    }

    public static let defaultRegion = "us-east-1"

    /// Where a request for `connection` (and `key`) goes: host, port and decoded path.
    static func request(
        _ method: String, _ connection: BucketConnection, key: String?, query: [(String, String)]
    ) throws
        -> SigV4Request
    {
        let region = connection.region ?? Self.defaultRegion
        let objectPath = key.map { "/" + $0 } ?? ""
        let queryItems = query.map { (name: $0.0, value: $0.1) }
        if let endpoint = connection.endpoint {
            let endpoint = try ProviderEndpoint(endpoint)
            return SigV4Request(
                method: method, scheme: endpoint.scheme, host: endpoint.host, port: endpoint.port,
                path: "\(endpoint.basePath)/\(connection.bucket)\(objectPath)", query: queryItems
            )
        }
        if Self.isVirtualHostable(connection.bucket) {
            return SigV4Request(
                method: method, scheme: "https", host: "\(connection.bucket).s3.\(region).amazonaws.com",
                path: objectPath.isEmpty ? "/" : objectPath, query: queryItems
            )
        }
        return SigV4Request(
            method: method, scheme: "https", host: "s3.\(region).amazonaws.com", path: "/\(connection.bucket)\(objectPath)", query: queryItems
        )
    }

    /// Whether a bucket name can be a DNS label under TLS: lowercase letters, digits and hyphens, 3 to 63.
    static func isVirtualHostable(_ bucket: String) -> Bool {
        (3...63).contains(bucket.count)
            && bucket.allSatisfy { ($0.isASCII && $0.isLowercase) || $0.isNumber || $0 == "-" }
            && !bucket.hasPrefix("-") && !bucket.hasSuffix("-")
    }

}

/// Just enough XML reading for S3 answers: the text of the first element with a name.
enum XMLText {
    static func first(_ element: String, in xml: String) -> String? {
        guard let open = xml.range(of: "<\(element)>"), let close = xml.range(of: "</\(element)>", range: open.upperBound..<xml.endIndex)
        else { return nil }
        return String(xml[open.upperBound..<close.lowerBound])
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}
