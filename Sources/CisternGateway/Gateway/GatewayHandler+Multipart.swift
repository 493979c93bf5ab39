import AsyncHTTPClient
import CisternCore
import CisternProviders
import HTTPTypes
import HummingbirdCore
import NIOCore
import NIOHTTP1

/// Multipart uploads and DeleteObjects for a NORMAL member: passed through to the member's
/// provider with every key moved into the folder on the way up and out of it on the way back.
/// Decision: the upload id the client sees is the provider's own; the bucket name in each
/// request already says which member (and so which provider) it belongs to.
extension GatewayHandler {
    /// The largest request document read (CompleteMultipartUpload, DeleteObjects).
    static let maximumRequestDocument = 2 * 1024 * 1024

    func createMultipartUpload(_ call: Call, route: MemberRoute, name: String) async throws -> GatewayResponse {
        var headers = self.objectHeaders(call.request)
        headers.removeAll { $0.0 == "content-md5" || $0.0.hasPrefix("x-amz-checksum-") }
        let upstream = try await self.upstream("POST", route, key: call.key, query: [("uploads", "")], headers: headers)
        let answer = try await Self.document(upstream)
        guard answer.name == "InitiateMultipartUploadResult", let uploadId = answer.value("UploadId") else { throw Self.unreadable }
        var writer = XMLWriter()
        writer.open("InitiateMultipartUploadResult", namespace: true)
        writer.element("Bucket", name)
        writer.element("Key", call.key ?? "")
        writer.element("UploadId", uploadId)
        writer.close("InitiateMultipartUploadResult")
        return .xml(writer)
    }

    func uploadPart(_ call: Call, route: MemberRoute, body: RequestBody) async throws -> GatewayResponse {
        guard let number = call.query.first(where: { $0.name == "partNumber" }).flatMap({ Int($0.value) }), (1...10_000).contains(number),
            let uploadId = call.query.first(where: { $0.name == "uploadId" })?.value
        else {
            throw S3Error("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive", status: 400)
        }
        let checks = try BodyChecks(call.request, signature: call.signature)
        let query = [("partNumber", String(number)), ("uploadId", uploadId)]
        var headers = ChecksumAlgorithm.allCases.compactMap { algorithm in
            call.request.header(algorithm.headerName).map { (algorithm.headerName, $0) }
        }
        let checked = CheckedBody(source: body, checks: checks)
        let upstream: HTTPClientResponse
        if checks.length <= Self.partSize {
            // Read and checked first, like a small PutObject: a provider may keep a part cut short.
            var pieces = checked.makeAsyncIterator()
            upstream = try await self.sendWhole("PUT", route, key: call.key, query: query, headers: headers, length: checks.length, pieces: &pieces)
        } else {
            // A large part streams, its last piece held back until every check has passed.
            headers.append(("content-length", String(checks.length)))
            do {
                upstream = try await self.upstream(
                    "PUT", route, key: call.key, query: query, headers: headers, body: .stream(checked, length: .known(Int64(checks.length)))
                )
            } catch {
                throw checked.failure.value ?? error
            }
        }
        return try await Self.stored(upstream)
    }

    func completeMultipartUpload(_ call: Call, route: MemberRoute, name: String, body: RequestBody) async throws -> GatewayResponse {
        let document = try await self.requestDocument(call, body: body)
        let upstream = try await self.upstream(
            "POST", route, key: call.key, query: call.query.filter { $0.name == "uploadId" }.map { ($0.name, $0.value) }, headers: [],
            body: .bytes(document)
        )
        let answer = try await Self.document(upstream)
        guard answer.name == "CompleteMultipartUploadResult" else { throw Self.unreadable }
        var writer = XMLWriter()
        writer.open("CompleteMultipartUploadResult", namespace: true)
        writer.element("Location", "/\(name)/\(call.key ?? "")")
        writer.element("Bucket", name)
        writer.element("Key", call.key ?? "")
        writer.element("ETag", answer.value("ETag"))
        writer.close("CompleteMultipartUploadResult")
        return .xml(writer)
    }

    func abortMultipartUpload(_ call: Call, route: MemberRoute) async throws -> GatewayResponse {
        let query = call.query.filter { $0.name == "uploadId" }.map { ($0.name, $0.value) }
        try await Self.requireSuccess(try await self.upstream("DELETE", route, key: call.key, query: query, headers: []))
        return GatewayResponse(status: .noContent)
    }

    func listParts(_ call: Call, route: MemberRoute, name: String) async throws -> GatewayResponse {
        let passed = ["uploadId", "max-parts", "part-number-marker"]
        let query = call.query.filter { passed.contains($0.name) }.map { ($0.name, $0.value) }
        let answer = try await Self.document(try await self.upstream("GET", route, key: call.key, query: query, headers: []))
        guard answer.name == "ListPartsResult" else { throw Self.unreadable }
        var writer = XMLWriter()
        writer.open("ListPartsResult", namespace: true)
        writer.element("Bucket", name)
        writer.element("Key", call.key ?? "")
        for child in answer.children where child.name != "Bucket" && child.name != "Key" { XMLWriter.copy(child, into: &writer) }
        writer.close("ListPartsResult")
        return .xml(writer)
    }

    func listMultipartUploads(_ call: Call, route: MemberRoute, name: String) async throws -> GatewayResponse {
        let member = route.member
        func value(_ name: String) -> String? { call.query.first { $0.name == name }?.value }
        let prefix = value("prefix") ?? ""
        try S3Error.requireNoDotSegments(prefix, in: "Prefixes")
        try S3Error.requireNoDotSegments(value("key-marker") ?? "", in: "Markers")
        var query: [(String, String)] = [("uploads", ""), ("prefix", member.providerKey(prefix))]
        if let keyMarker = value("key-marker"), !keyMarker.isEmpty { query.append(("key-marker", member.providerKey(keyMarker))) }
        for passed in ["upload-id-marker", "delimiter", "max-uploads"] { if let given = value(passed) { query.append((passed, given)) } }
        let answer = try await Self.document(try await self.upstream("GET", route, key: nil, query: query, headers: []))
        guard answer.name == "ListMultipartUploadsResult" else { throw Self.unreadable }
        var writer = XMLWriter()
        writer.open("ListMultipartUploadsResult", namespace: true)
        writer.element("Bucket", name)
        writer.element("Prefix", prefix)
        for child in answer.children {
            switch child.name {
            case "Bucket", "Prefix":
                continue
            case "KeyMarker", "NextKeyMarker":
                writer.element(child.name, member.repositoryKey(child.text) ?? "")
            case "Upload":
                guard let key = child.value("Key").flatMap(member.repositoryKey), !key.isEmpty else { continue }
                writer.open("Upload")
                writer.element("Key", key)
                for part in child.children where part.name != "Key" { XMLWriter.copy(part, into: &writer) }
                writer.close("Upload")
            case "CommonPrefixes":
                guard let inside = child.value("Prefix").flatMap(member.repositoryKey) else { continue }
                writer.open("CommonPrefixes")
                writer.element("Prefix", inside)
                writer.close("CommonPrefixes")
            default:
                XMLWriter.copy(child, into: &writer)
            }
        }
        writer.close("ListMultipartUploadsResult")
        return .xml(writer)
    }

    /// DeleteObjects: the listed keys move into the folder, the answer's keys out of it.
    func deleteObjects(_ call: Call, route: MemberRoute, body: RequestBody) async throws -> GatewayResponse {
        let member = route.member
        let document = try await self.requestDocument(call, body: body)
        guard let request = XMLNode.parse(Array(buffer: document)), request.name == "Delete" else {
            throw S3Error("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema", status: 400)
        }
        let objects = request.children("Object")
        guard (1...1000).contains(objects.count) else {
            throw S3Error("MalformedXML", "A DeleteObjects request names 1 to 1000 objects", status: 400)
        }
        var upstreamDocument = XMLWriter()
        upstreamDocument.open("Delete", namespace: true)
        if let quiet = request.value("Quiet") { upstreamDocument.element("Quiet", quiet) }
        for object in objects {
            guard let key = object.value("Key"), !key.isEmpty else {
                throw S3Error("MalformedXML", "Every Object of a DeleteObjects request needs a Key", status: 400)
            }
            try S3Error.requireNoDotSegments(key, in: "Object keys")
            upstreamDocument.open("Object")
            upstreamDocument.element("Key", member.providerKey(key))
            upstreamDocument.close("Object")
        }
        upstreamDocument.close("Delete")
        let upstreamBody = ByteBuffer(string: upstreamDocument.text)
        let answer = try await Self.document(
            try await self.upstream(
                "POST", route, key: nil, query: [("delete", "")], headers: [("content-md5", Self.md5(upstreamBody))], body: .bytes(upstreamBody)
            )
        )
        guard answer.name == "DeleteResult" else { throw Self.unreadable }
        var writer = XMLWriter()
        writer.open("DeleteResult", namespace: true)
        for entry in answer.children where entry.name == "Deleted" || entry.name == "Error" {
            guard let key = entry.value("Key").flatMap(member.repositoryKey) else { continue }
            writer.open(entry.name)
            writer.element("Key", key)
            for part in entry.children where part.name != "Key" { XMLWriter.copy(part, into: &writer) }
            writer.close(entry.name)
        }
        writer.close("DeleteResult")
        return .xml(writer)
    }

    /// CopyObject and UploadPartCopy. The source must be an object of the same repository (any
    /// member: the bucket in `x-amz-copy-source` routes like any request), and, since the copy
    /// happens at the provider, a member the destination's credentials reach at the same endpoint.
    func copy(_ call: Call, route: MemberRoute) async throws -> GatewayResponse {
        let (sourceRoute, sourceKey) = try self.copySource(call)
        let source = sourceRoute.connection
        guard source.endpoint == route.connection.endpoint, source.key == route.connection.key, source.region == route.connection.region else {
            throw S3Error("NotImplemented", "Copies between members reached with different credentials are not served yet.", status: 501)
        }
        var headers = self.objectHeaders(call.request)
        headers.removeAll { $0.0 == "content-md5" || $0.0.hasPrefix("x-amz-checksum-") }
        let upstreamSource = "/" + sourceRoute.bucket.bucket + "/" + SigV4.encode(sourceRoute.member.providerKey(sourceKey), keepingSlashes: true)
        headers.append(("x-amz-copy-source", upstreamSource))
        let passed = [
            "x-amz-metadata-directive", "x-amz-copy-source-if-match", "x-amz-copy-source-if-none-match", "x-amz-copy-source-if-modified-since",
            "x-amz-copy-source-if-unmodified-since", "x-amz-copy-source-range",
        ]
        headers += passed.compactMap { name in call.request.header(name).map { (name, $0) } }
        var query: [(String, String)] = []
        if call.operation == .uploadPartCopy {
            query = call.query.filter { $0.name == "partNumber" || $0.name == "uploadId" }.map { ($0.name, $0.value) }
        }
        let answer = try await Self.document(try await self.upstream("PUT", route, key: call.key, query: query, headers: headers))
        guard answer.name == "CopyObjectResult" || answer.name == "CopyPartResult" else { throw Self.unreadable }
        var writer = XMLWriter()
        writer.open(answer.name, namespace: true)
        for child in answer.children { XMLWriter.copy(child, into: &writer) }
        writer.close(answer.name)
        return .xml(writer)
    }

    /// The member and key `x-amz-copy-source` names (`[/]bucket/key`, percent-encoded).
    private func copySource(_ call: Call) throws -> (MemberRoute, String) {
        var text = call.request.header("x-amz-copy-source") ?? ""
        if text.hasPrefix("/") { text.removeFirst() }
        if text.contains("?versionId=") {
            throw S3Error("NotImplemented", "Copying a version is not served: buckets are not versioned through the gateway.", status: 501)
        }
        guard let decoded = PercentDecoding.decode(text), let slash = decoded.firstIndex(of: "/") else {
            throw S3Error("InvalidArgument", "Copy Source must mention the source bucket and key: sourcebucket/sourcekey", status: 400)
        }
        let bucket = String(decoded[..<slash])
        let key = String(decoded[decoded.index(after: slash)...])
        guard !key.isEmpty else {
            throw S3Error("InvalidArgument", "Copy Source must mention the source bucket and key: sourcebucket/sourcekey", status: 400)
        }
        try S3Error.requireNoDotSegments(key, in: "Object keys")
        guard let route = call.credential.route(bucket) else { throw S3Error("NoSuchBucket", "The specified bucket does not exist", status: 404) }
        return (route, key)
    }

    // MARK: Helpers

    static let unreadable = S3Error(
        "ServiceUnavailable", "The bucket's provider gave an answer that could not be read. Please try again.", status: 503)

    /// A request's XML document, checked like any body, at most `maximumRequestDocument` bytes.
    func requestDocument(_ call: Call, body: RequestBody) async throws -> ByteBuffer {
        let checks = try BodyChecks(call.request, signature: call.signature)
        guard checks.length <= Self.maximumRequestDocument else {
            throw S3Error("MaxMessageLengthExceeded", "Your request was too big.", status: 400)
        }
        var pieces = CheckedBody(source: body, checks: checks).makeAsyncIterator()
        return try await Self.collectRest(checks.length, from: &pieces)
    }

    /// The XML document of a provider's successful answer (S3 may report a failure inside a 200).
    static func document(_ upstream: HTTPClientResponse) async throws -> XMLNode {
        try await Self.requireSuccess(upstream)
        guard let root = XMLNode.parse(Array(buffer: try await upstream.body.collect(upTo: Self.maximumDocument))) else { throw Self.unreadable }
        if root.name == "Error" {
            throw S3Error(root.value("Code") ?? "InternalError", root.value("Message") ?? "The provider failed", status: 400)
        }
        return root
    }

    /// Copies the provider's headers whose (lowercase) names `include` accepts.
    static func pass(_ headers: HTTPHeaders, into response: inout GatewayResponse, where include: (String) -> Bool) {
        for header in headers {
            let name = header.name.lowercased()
            guard include(name), let field = HTTPField.Name(name) else { continue }
            response.headers.append(HTTPField(name: field, value: header.value))
        }
    }
}

extension XMLWriter {
    /// `node` and everything in it, as it was.
    static func copy(_ node: XMLNode, into writer: inout XMLWriter) {
        if node.children.isEmpty {
            writer.element(node.name, node.text)
        } else {
            writer.open(node.name)
            for child in node.children { Self.copy(child, into: &writer) }
            writer.close(node.name)
        }
    }
}
