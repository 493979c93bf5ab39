import AsyncHTTPClient
import CisternCore
import Foundation
import NIOCore
import NIOHTTP1

/// The stored attributes of a GCS object that S3 has headers for.
public struct GCSAttributes: Sendable, Equatable {
    public var contentType: String?
    public var cacheControl: String?
    public var contentDisposition: String?
    public var contentEncoding: String?
    public var contentLanguage: String?
    public var metadata: [String: String]

    public init(
        contentType: String? = nil, cacheControl: String? = nil, contentDisposition: String? = nil, contentEncoding: String? = nil,
        contentLanguage: String? = nil, metadata: [String: String] = [:]
    ) {
        self.contentType = contentType
        self.cacheControl = cacheControl
        self.contentDisposition = contentDisposition
        self.contentEncoding = contentEncoding
        self.contentLanguage = contentLanguage
        self.metadata = metadata
    }

    static let fields: [(json: String, path: any WritableKeyPath<GCSAttributes, String?> & Sendable)] = [
        ("contentType", \.contentType), ("cacheControl", \.cacheControl), ("contentDisposition", \.contentDisposition),
        ("contentEncoding", \.contentEncoding), ("contentLanguage", \.contentLanguage),
    ]

    init(json: [String: Any]) {
        self.init(metadata: (json["metadata"] as? [String: String]) ?? [:])
        for field in Self.fields { self[keyPath: field.path] = json[field.json] as? String }
    }

    /// The object resource's fields for them.
    var json: [String: Any] {
        var json: [String: Any] = [:]
        for field in Self.fields { if let value = self[keyPath: field.path] { json[field.json] = value } }
        if !self.metadata.isEmpty { json["metadata"] = self.metadata }
        return json
    }
}

/// One object as GCS's JSON API describes it, in the terms an S3 front end needs.
public struct GCSObject: Sendable, Equatable {
    public var name: String
    public var size: Int64
    /// Base64 MD5 of the content; absent for composed objects.
    public var md5: String?
    /// Base64 big-endian CRC32C of the content.
    public var crc32c: String?
    public var attributes: GCSAttributes
    public var generation: String
    public var updated: Date?
    public var storageClass: String?

    public var contentType: String? { self.attributes.contentType }
    public var metadata: [String: String] { self.attributes.metadata }

    /// The S3 `ETag` for it: the content's MD5 in hex when GCS has one (what S3 gives a single-part
    /// upload), else the generation, which changes exactly when the content does.
    public var etag: String {
        if let md5, let bytes = Data(base64Encoded: md5), bytes.count == 16 {
            return "\"\(HexDigit.lowercase(bytes))\""
        }
        return "\"g\(self.generation)\""
    }

    init(json: [String: Any]) throws(ProviderError) {
        guard let name = json["name"] as? String, let size = (json["size"] as? String).flatMap(Int64.init),
            let generation = json["generation"] as? String
        else { throw ProviderError(status: .offline, reason: "GCS answered an object without its name, size or generation") }
        self.name = name
        self.size = size
        self.md5 = json["md5Hash"] as? String
        self.crc32c = json["crc32c"] as? String
        self.attributes = GCSAttributes(json: json)
        self.generation = generation
        self.storageClass = json["storageClass"] as? String
        self.updated =
            (json["updated"] as? String).flatMap { try? Date($0, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true)) }
            ?? (json["updated"] as? String).flatMap { try? Date($0, strategy: .iso8601) }
    }
}

/// A page of a GCS listing: objects, the common prefixes under a delimiter, and the token of the
/// next page.
public struct GCSListing: Sendable {
    public var objects: [GCSObject]
    public var prefixes: [String]
    public var nextPageToken: String?
}

/// Objects of a GCS bucket through the JSON API, with the service account's token (or none, for
/// emulators): what the S3 gateway's GCS members are made of (issue 21). `preconditions` are
/// GCS's query parameters (`ifGenerationMatch`, `ifSourceGenerationMatch`...).
public struct GCSObjects: Sendable {
    let provider: GCSProvider
    /// The most one object request may take (the token exchange keeps the provider's own bound).
    var timeout: TimeAmount

    public init(_ provider: GCSProvider) {
        self.provider = provider
        self.timeout = provider.timeout
    }

    /// The same client with each object request bounded by `timeout`.
    public func timed(_ timeout: TimeAmount) -> GCSObjects {
        var timed = self
        timed.timeout = timeout
        return timed
    }

    /// Stores `body` as `name` in one request (`uploadType=multipart`: attributes and content);
    /// `md5` (base64), when given, is checked by GCS.
    public func put(
        _ connection: BucketConnection, name: String, body: ByteBuffer, attributes: GCSAttributes = GCSAttributes(), md5: String? = nil,
        preconditions: [(String, String)] = []
    ) async throws -> GCSObject {
        var resource = attributes.json
        resource["name"] = name
        if let md5 { resource["md5Hash"] = md5 }
        let boundary = "cistern-\(UUID().uuidString)"
        var payload = ByteBuffer()
        payload.writeString("--\(boundary)\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n")
        payload.writeBytes(try JSONSerialization.data(withJSONObject: resource, options: [.sortedKeys]))
        payload.writeString("\r\n--\(boundary)\r\nContent-Type: \(attributes.contentType ?? "application/octet-stream")\r\n\r\n")
        payload.writeImmutableBuffer(body)
        payload.writeString("\r\n--\(boundary)--\r\n")
        let response = try await self.call(
            connection, "POST", upload: true, path: "/o", query: [("uploadType", "multipart")] + preconditions,
            headers: [("Content-Type", "multipart/related; boundary=\(boundary)")], body: .bytes(payload)
        )
        return try GCSObject(json: try Self.json(response))
    }

    /// Stores a body (streamed with its length known) as `name` (`uploadType=media`), with no attributes.
    public func upload(_ connection: BucketConnection, name: String, body: HTTPClientRequest.Body) async throws -> GCSObject {
        let response = try await self.call(
            connection, "POST", upload: true, path: "/o", query: [("uploadType", "media"), ("name", name)],
            headers: [("Content-Type", "application/octet-stream")], body: body
        )
        return try GCSObject(json: try Self.json(response))
    }

    /// The object's description; nil when there is none.
    public func head(_ connection: BucketConnection, name: String) async throws -> GCSObject? {
        let response = try await self.call(connection, "GET", path: "/o/\(SigV4.encode(name))", accepting: [404])
        return response.status == 404 ? nil : try GCSObject(json: try Self.json(response))
    }

    /// The content (or the byte range `range`, as an HTTP `Range` value) of the object, of
    /// `generation` when given, streamed; the answer's headers carry `X-Goog-Hash`,
    /// `X-Goog-Generation` and `Content-Range`. A missing object is nil.
    public func get(
        _ connection: BucketConnection, name: String, range: String? = nil, generation: String? = nil
    ) async throws
        -> HTTPClientResponse?
    {
        var query = [("alt", "media")]
        if let generation { query.append(("ifGenerationMatch", generation)) }
        let request = try await self.request(
            connection, "GET", path: "/o/\(SigV4.encode(name))", query: query, headers: range.map { [("Range", $0)] } ?? []
        )
        let response = try await self.provider.http.execute(request, timeout: self.timeout)
        switch response.status.code {
        case 404:
            return nil
        case 200..<300:
            return response
        default:
            let body = String(buffer: try await response.body.collect(upTo: 64 * 1024))
            let answer = ProviderResponse(status: Int(response.status.code), headers: [], body: body)
            throw answer.failure ?? ProviderError(status: .offline, reason: answer.summary)
        }
    }

    /// Deletes the object; false when there was none.
    @discardableResult
    public func delete(_ connection: BucketConnection, name: String) async throws -> Bool {
        try await self.call(connection, "DELETE", path: "/o/\(SigV4.encode(name))", accepting: [404]).status != 404
    }

    /// One page of the objects under `prefix`, rolled up at `delimiter`, from `startOffset` (included) on.
    public func list(
        _ connection: BucketConnection, prefix: String, delimiter: String?, pageToken: String?, maxResults: Int, startOffset: String? = nil
    ) async throws -> GCSListing {
        var query = [("prefix", prefix), ("maxResults", String(maxResults))]
        if let delimiter { query.append(("delimiter", delimiter)) }
        if let pageToken { query.append(("pageToken", pageToken)) }
        if let startOffset { query.append(("startOffset", startOffset)) }
        let json = try Self.json(try await self.call(connection, "GET", path: "/o", query: query))
        let items = (json["items"] as? [[String: Any]]) ?? []
        return GCSListing(
            objects: try items.map { item throws(ProviderError) in try GCSObject(json: item) }, prefixes: (json["prefixes"] as? [String]) ?? [],
            nextPageToken: (json["nextPageToken"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        )
    }

    /// Copies `source` to `destination` in the same bucket (`rewriteTo`, repeated until done),
    /// with `attributes` in place of the source's when given.
    public func copy(
        _ connection: BucketConnection, from source: String, to destination: String, attributes: GCSAttributes? = nil,
        preconditions: [(String, String)] = []
    ) async throws -> GCSObject {
        var token: String?
        let resource = try JSONSerialization.data(withJSONObject: attributes?.json ?? [:], options: [.sortedKeys])
        while true {
            let response = try await self.call(
                connection, "POST", path: "/o/\(SigV4.encode(source))/rewriteTo/b/\(SigV4.encode(connection.bucket))/o/\(SigV4.encode(destination))",
                query: (token.map { [("rewriteToken", $0)] } ?? []) + preconditions, headers: [("Content-Type", "application/json")],
                body: .bytes(ByteBuffer(bytes: resource))
            )
            let json = try Self.json(response)
            if json["done"] as? Bool == true, let resource = json["resource"] as? [String: Any] { return try GCSObject(json: resource) }
            guard let next = json["rewriteToken"] as? String, !next.isEmpty else {
                throw ProviderError(status: .offline, reason: "GCS left a copy unfinished without a token to go on")
            }
            token = next
        }
    }

    /// Joins `sources` (at most 32, in order) into `destination`: how S3 multipart parts become one object.
    public func compose(
        _ connection: BucketConnection, sources: [String], into destination: String, attributes: GCSAttributes = GCSAttributes()
    ) async throws -> GCSObject {
        let document: [String: Any] = ["sourceObjects": sources.map { ["name": $0] }, "destination": attributes.json]
        let response = try await self.call(
            connection, "POST", path: "/o/\(SigV4.encode(destination))/compose", headers: [("Content-Type", "application/json")],
            body: .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])))
        )
        return try GCSObject(json: try Self.json(response))
    }

    // MARK: Requests

    func request(
        _ connection: BucketConnection, _ method: String, upload: Bool = false, path: String, query: [(String, String)] = [],
        headers: [(String, String)] = [], body: HTTPClientRequest.Body? = nil
    ) async throws -> HTTPClientRequest {
        let endpoint = try ProviderEndpoint(connection.endpoint ?? GCSProvider.defaultEndpoint)
        var request = HTTPClientRequest(
            url: "\(endpoint.origin)\(endpoint.basePath)\(upload ? "/upload" : "")/storage/v1/b/\(SigV4.encode(connection.bucket))\(path)"
                + ProviderEndpoint.queryString(query)
        )
        request.method = .init(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = body }
        if let tokenURL = self.provider.tokenURL {
            let token = try await self.provider.tokens.token(
                for: connection, tokenURL: tokenURL, http: self.provider.http, timeout: self.provider.timeout)
            request.headers.add(name: "Authorization", value: "Bearer \(token.revealed)")
        }
        return request
    }

    /// A request whose answer is a JSON document; a failure (other than the `accepting` statuses)
    /// throws the provider's error.
    func call(
        _ connection: BucketConnection, _ method: String, upload: Bool = false, path: String, query: [(String, String)] = [],
        headers: [(String, String)] = [], body: HTTPClientRequest.Body? = nil, accepting: Set<Int> = []
    ) async throws -> ProviderResponse {
        let request = try await self.request(connection, method, upload: upload, path: path, query: query, headers: headers, body: body)
        let response = try await ProviderResponse.fetch(request, with: self.provider.http, timeout: self.timeout, limit: 16 * 1024 * 1024)
        if !accepting.contains(response.status), let failure = response.failure { throw failure }
        return response
    }

    static func json(_ response: ProviderResponse) throws(ProviderError) -> [String: Any] {
        guard let json = try? JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any] else {
            throw ProviderError(status: .offline, reason: "GCS answered something other than JSON")
        }
        return json
    }
}
