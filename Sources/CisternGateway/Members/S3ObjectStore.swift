import AsyncHTTPClient
import CisternCore
import CisternProviders
import Foundation
import NIOCore
import NIOHTTP1

/// An S3 or S3-compatible bucket (GCS through HMAC keys included): every operation is the S3
/// request of the same name, signed with the bucket's credentials, its body streamed.
struct S3ObjectStore: ObjectStore {
    let provider: S3Provider
    let connection: BucketConnection
    /// The most one request may take; each read is bounded by the HTTP client.
    let timeout: TimeAmount

    /// The largest listing or error document read from a provider.
    static let maximumDocument = 16 * 1024 * 1024

    func read(_ key: String, _ request: ReadRequest) async throws -> ObjectRead {
        var headers = request.conditions + (request.range.map { [("range", $0)] } ?? [])
        if request.checksums { headers.append(("x-amz-checksum-mode", "ENABLED")) }
        let upstream = try await self.send(request.head ? "HEAD" : "GET", key: key, headers: headers)
        guard (200..<300).contains(upstream.status.code) || upstream.status == .notModified else {
            try await Self.requireSuccess(upstream, head: request.head)
            preconditionFailure("requireSuccess throws for every failure")
        }
        return ObjectRead(
            status: Int(upstream.status.code), headers: upstream.headers.map { ($0.name.lowercased(), $0.value) },
            body: request.head || upstream.status == .notModified ? nil : upstream.body
        )
    }

    func put(_ key: String, _ body: Payload, attributes: [(String, String)], conditions: [(String, String)]) async throws -> StoredObject {
        try await Self.stored(
            try await self.send("PUT", key: key, headers: attributes + conditions + body.checksums + Self.length(body), body: body.body)
        )
    }

    func delete(_ key: String) async throws {
        try await Self.requireSuccess(try await self.send("DELETE", key: key))
    }

    func delete(_ keys: [String]) async throws -> [(key: String, error: S3Error)] {
        var document = XMLWriter()
        document.open("Delete", namespace: true)
        document.element("Quiet", "true")
        for key in keys {
            document.open("Object")
            document.element("Key", key)
            document.close("Object")
        }
        document.close("Delete")
        let body = ByteBuffer(string: document.text)
        let answer = try await Self.document(
            try await self.send("POST", query: [("delete", "")], headers: [("content-md5", ObjectAttributes.md5(body))], body: .bytes(body))
        )
        guard answer.name == "DeleteResult" else { throw Self.unreadable }
        return answer.children("Error").compactMap { error in
            guard let key = error.value("Key") else { return nil }
            let code = error.value("Code") ?? "InternalError"
            return (key, S3Error(code, error.value("Message") ?? code, status: code == "AccessDenied" ? 403 : 500))
        }
    }

    func list(_ request: ListRequest) async throws -> ListPage {
        var query = [("list-type", "2"), ("prefix", request.prefix), ("max-keys", String(request.maxKeys))]
        if let delimiter = request.delimiter { query.append(("delimiter", delimiter)) }
        if let token = request.token {
            query.append(("continuation-token", token))
        } else if let startAfter = request.startAfter {
            query.append(("start-after", startAfter))
        }
        let answer = try await Self.document(try await self.send("GET", query: query))
        guard answer.name == "ListBucketResult" else { throw Self.unreadable }
        let objects = answer.children("Contents").compactMap { contents -> ObjectSummary? in
            guard let key = contents.value("Key") else { return nil }
            return ObjectSummary(
                key: key, size: contents.value("Size").flatMap { Int64($0) } ?? 0, etag: contents.value("ETag") ?? "",
                lastModified: contents.value("LastModified").flatMap(Self.date), storageClass: contents.value("StorageClass")
            )
        }
        let truncated = answer.value("IsTruncated") == "true"
        return ListPage(
            objects: objects, prefixes: answer.children("CommonPrefixes").compactMap { $0.value("Prefix") },
            nextToken: truncated ? answer.value("NextContinuationToken").flatMap { $0.isEmpty ? nil : $0 } : nil
        )
    }

    func copy(from source: String, to key: String, attributes: [(String, String)]?, conditions: [(String, String)]) async throws -> CopiedObject {
        var headers = conditions + [("x-amz-copy-source", self.copySource(source))]
        if let attributes { headers += attributes + [("x-amz-metadata-directive", "REPLACE")] }
        return try await self.copied(try await self.send("PUT", key: key, headers: headers))
    }

    func createUpload(_ key: String, attributes: [(String, String)]) async throws -> String {
        let answer = try await Self.document(try await self.send("POST", key: key, query: [("uploads", "")], headers: attributes))
        guard answer.name == "InitiateMultipartUploadResult", let uploadId = answer.value("UploadId"), !uploadId.isEmpty else {
            throw Self.unreadable
        }
        return uploadId
    }

    func uploadPart(_ key: String, uploadId: String, number: Int, _ body: Payload) async throws -> StoredObject {
        try await Self.stored(
            try await self.send(
                "PUT", key: key, query: [("partNumber", String(number)), ("uploadId", uploadId)], headers: body.checksums + Self.length(body),
                body: body.body
            )
        )
    }

    func copyPart(
        from source: String, range: String?, to key: String, uploadId: String, number: Int, conditions: [(String, String)]
    ) async throws -> CopiedObject {
        var headers = conditions + [("x-amz-copy-source", self.copySource(source))]
        if let range { headers.append(("x-amz-copy-source-range", range)) }
        return try await self.copied(
            try await self.send("PUT", key: key, query: [("partNumber", String(number)), ("uploadId", uploadId)], headers: headers)
        )
    }

    func completeUpload(_ key: String, uploadId: String, parts: [(number: Int, etag: String)]) async throws -> String {
        var document = XMLWriter()
        document.open("CompleteMultipartUpload", namespace: true)
        for part in parts {
            document.open("Part")
            document.element("PartNumber", String(part.number))
            document.element("ETag", part.etag)
            document.close("Part")
        }
        document.close("CompleteMultipartUpload")
        let completed = try await self.send("POST", key: key, query: [("uploadId", uploadId)], body: .bytes(ByteBuffer(string: document.text)))
        // S3 may report a failed completion inside a 200: `document` throws its error.
        let answer = try await Self.document(completed)
        guard answer.name == "CompleteMultipartUploadResult", let etag = answer.value("ETag") ?? completed.headers.first(name: "etag") else {
            throw Self.unreadable
        }
        return etag
    }

    func abortUpload(_ key: String, uploadId: String) async throws {
        try await Self.requireSuccess(try await self.send("DELETE", key: key, query: [("uploadId", uploadId)]))
    }

    func listParts(_ key: String, uploadId: String, marker: Int, maxParts: Int) async throws -> PartsPage {
        let answer = try await Self.document(
            try await self.send(
                "GET", key: key, query: [("uploadId", uploadId), ("part-number-marker", String(marker)), ("max-parts", String(maxParts))]
            )
        )
        guard answer.name == "ListPartsResult" else { throw Self.unreadable }
        let parts = answer.children("Part").compactMap { part -> PartSummary? in
            guard let number = part.value("PartNumber").flatMap({ Int($0) }), let etag = part.value("ETag") else { return nil }
            return PartSummary(
                number: number, etag: etag, size: part.value("Size").flatMap { Int64($0) } ?? 0,
                lastModified: part.value("LastModified").flatMap(Self.date)
            )
        }
        let truncated = answer.value("IsTruncated") == "true"
        return PartsPage(parts: parts, nextMarker: truncated ? answer.value("NextPartNumberMarker").flatMap { Int($0) } ?? parts.last?.number : nil)
    }

    func listUploads(_ request: UploadsRequest) async throws -> UploadsPage {
        var query: [(String, String)] = [("uploads", ""), ("prefix", request.prefix), ("max-uploads", String(request.maxUploads))]
        if let delimiter = request.delimiter { query.append(("delimiter", delimiter)) }
        if let keyMarker = request.keyMarker { query.append(("key-marker", keyMarker)) }
        if let uploadIdMarker = request.uploadIdMarker { query.append(("upload-id-marker", uploadIdMarker)) }
        let answer = try await Self.document(try await self.send("GET", query: query))
        guard answer.name == "ListMultipartUploadsResult" else { throw Self.unreadable }
        var page = UploadsPage()
        page.uploads = answer.children("Upload").compactMap { upload in
            guard let key = upload.value("Key"), let id = upload.value("UploadId") else { return nil }
            return UploadSummary(key: key, uploadId: id, initiated: upload.value("Initiated").flatMap(Self.date))
        }
        page.prefixes = answer.children("CommonPrefixes").compactMap { $0.value("Prefix") }
        if answer.value("IsTruncated") == "true" {
            page.next = (answer.value("NextKeyMarker") ?? "", answer.value("NextUploadIdMarker") ?? "")
        }
        return page
    }

    // MARK: Requests and answers

    func send(
        _ method: String, key: String? = nil, query: [(String, String)] = [], headers: [(String, String)] = [],
        body: HTTPClientRequest.Body? = nil
    ) async throws -> HTTPClientResponse {
        try await self.provider.stream(method, self.connection, key: key, query: query, headers: headers, body: body, timeout: self.timeout)
    }

    /// A streamed body goes up with its length declared (S3 refuses chunked uploads).
    static func length(_ body: Payload) -> [(String, String)] {
        if case .whole = body.content { return [] }
        return [("content-length", String(body.length))]
    }

    func copySource(_ key: String) -> String { "/" + self.connection.bucket + "/" + SigV4.encode(key, keepingSlashes: true) }

    func copied(_ upstream: HTTPClientResponse) async throws -> CopiedObject {
        let answer = try await Self.document(upstream)
        guard answer.name == "CopyObjectResult" || answer.name == "CopyPartResult", let etag = answer.value("ETag") else { throw Self.unreadable }
        return CopiedObject(etag: etag, lastModified: answer.value("LastModified").flatMap(Self.date))
    }

    /// A write the provider took: its ETag and checksums.
    static func stored(_ upstream: HTTPClientResponse) async throws -> StoredObject {
        try await Self.requireSuccess(upstream)
        guard let etag = upstream.headers.first(name: "etag") else {
            throw S3Error("ServiceUnavailable", "The bucket's provider did not confirm the write. Please try again.", status: 503)
        }
        let checksums = upstream.headers.filter { $0.name.lowercased().hasPrefix("x-amz-checksum-") }.map { ($0.name.lowercased(), $0.value) }
        return StoredObject(etag: etag, checksums: checksums)
    }

    static let unreadable = S3Error(
        "ServiceUnavailable", "The bucket's provider gave an answer that could not be read. Please try again.", status: 503)

    /// Throws the S3 error a provider's failed answer stands for: its own code when it concerns
    /// the object, `ServiceUnavailable` when the provider itself failed.
    static func requireSuccess(_ upstream: HTTPClientResponse, head: Bool = false) async throws {
        let status = Int(upstream.status.code)
        guard status >= 300 else { return }
        let document = head ? ByteBuffer() : (try? await upstream.body.collect(upTo: Self.maximumDocument)) ?? ByteBuffer()
        let root = XMLNode.parse(Array(buffer: document))
        if status >= 500 {
            throw S3Error(
                "ServiceUnavailable", "The bucket's provider failed (\(root?.value("Code") ?? "HTTP \(status)")). Please try again.", status: 503)
        }
        if let code = root?.value("Code"), !code.isEmpty {
            throw S3Error(code, root?.value("Message") ?? code, status: status)
        }
        throw S3Error.forStatus(status)
    }

    /// The XML document of a provider's successful answer (S3 may report a failure inside a 200).
    static func document(_ upstream: HTTPClientResponse) async throws -> XMLNode {
        try await Self.requireSuccess(upstream)
        guard let root = XMLNode.parse(Array(buffer: try await upstream.body.collect(upTo: Self.maximumDocument))) else { throw Self.unreadable }
        if root.name == "Error" {
            let code = root.value("Code") ?? "InternalError"
            if code == "InternalError" || code == "ServiceUnavailable" || code == "SlowDown" {
                throw S3Error("ServiceUnavailable", "The bucket's provider failed (\(code)). Please try again.", status: 503)
            }
            throw S3Error(code, root.value("Message") ?? code, status: 400)
        }
        return root
    }

    /// S3's `2026-11-30T12:00:00.000Z`.
    static func date(_ text: String) -> Date? {
        (try? Date(text, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true))) ?? (try? Date(text, strategy: .iso8601))
    }
}

extension S3Error {
    /// The error a bare HTTP status stands for when the provider said no more.
    static func forStatus(_ status: Int, missing: String = "NoSuchKey") -> S3Error {
        switch status {
        case 304: S3Error("NotModified", "Not Modified", status: 304)
        case 401, 403: S3Error.accessDenied("The bucket's provider refused the request")
        case 404:
            missing == "NoSuchUpload"
                ? S3Error("NoSuchUpload", "The specified multipart upload does not exist.", status: 404)
                : S3Error("NoSuchKey", "The specified key does not exist.", status: 404)
        case 409: S3Error("ConditionalRequestConflict", "A conflicting operation occurred. Please try again.", status: 409)
        case 412: S3Error("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", status: 412)
        case 416: S3Error("InvalidRange", "The requested range is not satisfiable", status: 416)
        case 500...: S3Error("ServiceUnavailable", "The bucket's provider failed (HTTP \(status)). Please try again.", status: 503)
        default: S3Error("InvalidRequest", "The bucket's provider refused the request (HTTP \(status))", status: status)
        }
    }
}
