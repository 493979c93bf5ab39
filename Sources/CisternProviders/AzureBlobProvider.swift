import AsyncHTTPClient
import CisternCore
import Foundation
import NIOCore
import NIOHTTP1

/// Azure Blob Storage, over AsyncHTTPClient with Shared Key authorization. A bucket is a
/// container; `key` is the storage account and `secret` its base64 account key.
///
/// Addressing: `https://{account}.blob.core.windows.net/{container}` by default; with a custom
/// `endpoint` (an emulator such as `http://127.0.0.1:10000/{account}`, or a sovereign cloud's
/// blob host) the container is appended to it.
public struct AzureBlobProvider: StorageProvider {
    let http: HTTPClient
    let timeout: TimeAmount
    static let version = "2021-08-06"

    public init(http: HTTPClient, timeout: TimeAmount = .seconds(5)) {
        self.http = http
        self.timeout = timeout
    }

    /// Get Container Properties: a container-level request under the account's key.
    public func probe(_ connection: BucketConnection) async -> ProbeResult {
        await ProviderResponse.probe { try await self.send("GET", connection, query: [("restype", "container")]) }
    }

    public func hasObjects(_ connection: BucketConnection, prefix: String) async throws -> Bool {
        let response = try await self.send(
            "GET", connection, query: [("restype", "container"), ("comp", "list"), ("prefix", prefix), ("maxresults", "1")]
        )
        if let failure = response.failure { throw failure }
        return response.body.contains("<Blob>")
    }

    /// Sends one signed request to the container and reads the answer.
    public func send(
        _ method: String, _ connection: BucketConnection, query: [(String, String)], date: Date = Date()
    ) async throws
        -> ProviderResponse
    {
        let target = try Self.target(connection)
        let headers = [(name: "x-ms-date", value: SharedKeySigner.httpDate(date)), (name: "x-ms-version", value: Self.version)]
        let authorization = try SharedKeySigner.authorization(
            method: method, encodedPath: target.encodedPath, query: query.map { (name: $0.0, value: $0.1) }, headers: headers,
            account: connection.key, key: connection.secret
        )
        var request = HTTPClientRequest(url: target.origin + target.encodedPath + ProviderEndpoint.queryString(query))
        request.method = HTTPMethod(rawValue: method)
        for header in headers { request.headers.add(name: header.name, value: header.value) }
        request.headers.add(name: "Authorization", value: authorization)
        return try await ProviderResponse.fetch(request, with: self.http, timeout: self.timeout)
    }

    /// A request for the container (or `blob` in it), signed with the account's key: `headers`
    /// are sent and signed as given (with `x-ms-date` and `x-ms-version` added), and a body of
    /// `contentLength` bytes is signed with that length, which the HTTP client then declares.
    public static func request(
        _ method: String, _ connection: BucketConnection, blob: String?, query: [(String, String)] = [], headers: [(String, String)] = [],
        contentLength: Int = 0, date: Date = Date()
    ) throws(ProviderError) -> HTTPClientRequest {
        let target = try Self.target(connection)
        let path = target.encodedPath + (blob.map { "/" + SigV4.encode($0, keepingSlashes: true) } ?? "")
        var signed = headers.map { (name: $0.0.lowercased(), value: $0.1) }
        signed += [(name: "x-ms-date", value: SharedKeySigner.httpDate(date)), (name: "x-ms-version", value: Self.version)]
        var signing = signed
        if contentLength > 0 { signing.append((name: "content-length", value: String(contentLength))) }
        let authorization = try SharedKeySigner.authorization(
            method: method, encodedPath: path, query: query.map { (name: $0.0, value: $0.1) }, headers: signing, account: connection.key,
            key: connection.secret
        )
        var request = HTTPClientRequest(url: target.origin + path + ProviderEndpoint.queryString(query))
        request.method = HTTPMethod(rawValue: method)
        for header in signed { request.headers.add(name: header.name, value: header.value) }
        request.headers.add(name: "Authorization", value: authorization)
        return request
    }

    /// Where a container's requests go: scheme and host, and the percent-encoded path.
    static func target(_ connection: BucketConnection) throws(ProviderError) -> (origin: String, encodedPath: String) {
        guard let endpoint = connection.endpoint else {
            guard connection.key.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber) }), !connection.key.isEmpty else {
                throw ProviderError(status: .disconnected, reason: "the storage account name must be lower-case letters and digits")
            }
            return ("https://\(connection.key).blob.core.windows.net", SigV4.encode("/" + connection.bucket, keepingSlashes: true))
        }
        let parsed = try ProviderEndpoint(endpoint)
        return (parsed.origin, SigV4.encode("\(parsed.basePath)/\(connection.bucket)", keepingSlashes: true))
    }
}
