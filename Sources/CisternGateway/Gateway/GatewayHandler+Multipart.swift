import AsyncHTTPClient
import CisternCore
import CisternProviders
import CisternStore
import Foundation
import HTTPTypes
import HummingbirdCore
import NIOCore
import NIOHTTP1

/// Multipart uploads, DeleteObjects and copies: passed through to the members' providers with
/// every key moved into the folder on the way up and out of it on the way back.
/// Decision: the upload id the client sees is the primary member's own; the bucket name in each
/// request already says which member (and so which provider) it belongs to. A MIRROR's other
/// members' upload ids are rows (`ReplicationStore.recordUpload`).
extension GatewayHandler {
    /// The largest request document read (CompleteMultipartUpload, DeleteObjects).
    static let maximumRequestDocument = 2 * 1024 * 1024

    func createMultipartUpload(_ call: Call, targets: Targets, name: String) async throws -> GatewayResponse {
        let headers = self.objectHeaders(call.request).filter { $0.0 != "content-md5" && !$0.0.hasPrefix("x-amz-checksum-") }
        let key = call.key
        let started = await self.each(targets.all) { route, timeout in
            let upstream = try await self.upstream("POST", route, key: key, query: [("uploads", "")], headers: headers, timeout: timeout)
            let answer = try await Self.document(upstream)
            guard answer.name == "InitiateMultipartUploadResult", let uploadId = answer.value("UploadId") else { throw Self.unreadable }
            return uploadId
        }
        var mirrorUploads: [UUID: String] = [:]
        for (mirror, result) in zip(targets.mirrors, started.dropFirst()) {
            if case .success(let id) = result { mirrorUploads[mirror.bucket.id] = id }
        }
        let uploadId: String
        do {
            uploadId = try started[0].get()
            try await self.replication.recordUpload(
                repositoryId: call.credential.repository.id, uploadId: uploadId, key: key ?? "", memberUploads: mirrorUploads,
                now: self.timeSource.now
            )
        } catch {
            for (route, result) in zip(targets.all, started) {
                if case .success(let id) = result { await self.abandon(key, id, on: route) }
            }
            throw error
        }
        var writer = XMLWriter()
        writer.open("InitiateMultipartUploadResult", namespace: true)
        writer.element("Bucket", name)
        writer.element("Key", key ?? "")
        writer.element("UploadId", uploadId)
        writer.close("InitiateMultipartUploadResult")
        return .xml(writer)
    }

    /// The largest part a MIRROR repository takes: each part is read once, whole, and sent to
    /// every member, so this bounds a request's memory.
    static let maximumMirrorPart = 64 * 1024 * 1024

    /// UploadPart. On a MIRROR repository the part goes to every member that holds the upload; a
    /// mirror that misses it is found out at completion (its part list lacks it) and repaired.
    func uploadPart(_ call: Call, targets: Targets, body: RequestBody) async throws -> GatewayResponse {
        guard let number = call.query.first(where: { $0.name == "partNumber" }).flatMap({ Int($0.value) }), (1...10_000).contains(number),
            call.query.contains(where: { $0.name == "uploadId" })
        else {
            throw S3Error("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive", status: 400)
        }
        let checks = try BodyChecks(call.request, signature: call.signature)
        let ids = try await self.memberUploadIds(call, targets)
        let routes = targets.all.filter { ids[$0.bucket.id] != nil }
        let query: @Sendable (MemberRoute) -> [(String, String)] = { route in [("partNumber", String(number)), ("uploadId", ids[route.bucket.id]!)] }
        var headers = ChecksumAlgorithm.allCases.compactMap { algorithm in
            call.request.header(algorithm.headerName).map { (algorithm.headerName, $0) }
        }
        let checked = CheckedBody(source: body, checks: checks)
        if checks.length <= Self.partSize || routes.count > 1 {
            guard checks.length <= Self.maximumMirrorPart else {
                throw S3Error("EntityTooLarge", "Parts of a MIRROR repository's uploads may be at most 64 MiB", status: 400)
            }
            // Read and checked first, like a small PutObject: a provider may keep a part cut short.
            var pieces = checked.makeAsyncIterator()
            let results = try await self.sendWhole(
                "PUT", routes, key: call.key, query: query, headers: headers, length: checks.length, pieces: &pieces
            )
            return try await Self.stored(try results[0].get())
        }
        // A large part for one member streams, its last piece held back until every check has passed.
        headers.append(("content-length", String(checks.length)))
        do {
            let upstream = try await self.upstream(
                "PUT", routes[0], key: call.key, query: query(routes[0]), headers: headers,
                body: .stream(checked, length: .known(Int64(checks.length)))
            )
            return try await Self.stored(upstream)
        } catch {
            throw checked.failure.value ?? error
        }
    }

    /// CompleteMultipartUpload. The primary completes the client's document as it is; each
    /// mirror completes the same part numbers with its own parts' ETags (read from its part
    /// list), and one that cannot is left to the repairer.
    func completeMultipartUpload(_ call: Call, targets: Targets, name: String, body: RequestBody) async throws -> GatewayResponse {
        let document = try await self.requestDocument(call, body: body)
        let ids = try await self.memberUploadIds(call, targets)
        let numbers = XMLNode.parse(Array(buffer: document))?.children("Part").compactMap { $0.value("PartNumber").flatMap { Int($0) } } ?? []
        let key = call.key ?? ""
        let primary = targets.primary.bucket.id
        let results = await self.each(targets.all) { route, timeout -> String? in
            guard let uploadId = ids[route.bucket.id] else { throw S3Error("NoSuchUpload", "The mirror holds no such upload", status: 404) }
            if route.bucket.id != primary {
                let etags = try await self.partETags(key, route: route, uploadId: uploadId)
                let mine = try numbers.map { number in
                    guard let etag = etags[number] else { throw S3Error("InvalidPart", "The mirror lacks part \(number)", status: 400) }
                    return etag
                }
                _ = try await self.complete(key, route: route, uploadId: uploadId, numbers: numbers, etags: mine, timeout: timeout)
                return nil
            }
            let upstream = try await self.upstream("POST", route, key: key, query: [("uploadId", uploadId)], headers: [], body: .bytes(document))
            let answer = try await Self.document(upstream)
            guard answer.name == "CompleteMultipartUploadResult" else { throw Self.unreadable }
            return answer.value("ETag")
        }
        for (route, result) in zip(targets.all, results).dropFirst() where !result.isSuccess {
            if let uploadId = ids[route.bucket.id] {
                await self.abandon(key, uploadId, on: route)
            }
        }
        let mirrors = zip(targets.mirrors, results.dropFirst()).map { (route: $0, succeeded: $1.isSuccess) }
        let etag = try await self.settle(call, primary: results[0], mirrors: mirrors, repair: [key], as: .put)
        if !targets.mirrors.isEmpty, let uploadId = ids[primary] {
            try? await self.replication.forgetUpload(repositoryId: call.credential.repository.id, uploadId: uploadId)
        }
        var writer = XMLWriter()
        writer.open("CompleteMultipartUploadResult", namespace: true)
        writer.element("Location", "/\(name)/\(key)")
        writer.element("Bucket", name)
        writer.element("Key", key)
        writer.element("ETag", etag)
        writer.close("CompleteMultipartUploadResult")
        return .xml(writer)
    }

    /// A member's uploaded parts: ETag by part number, every page of its part list.
    func partETags(_ key: String, route: MemberRoute, uploadId: String) async throws -> [Int: String] {
        var etags: [Int: String] = [:]
        var marker = "0"
        while true {
            let answer = try await Self.document(
                try await self.upstream("GET", route, key: key, query: [("uploadId", uploadId), ("part-number-marker", marker)], headers: [])
            )
            for part in answer.children("Part") {
                if let number = part.value("PartNumber").flatMap({ Int($0) }), let etag = part.value("ETag") { etags[number] = etag }
            }
            guard answer.value("IsTruncated") == "true", let next = answer.value("NextPartNumberMarker"), next != marker else { return etags }
            marker = next
        }
    }

    func abortMultipartUpload(_ call: Call, targets: Targets) async throws -> GatewayResponse {
        let ids = try await self.memberUploadIds(call, targets)
        let key = call.key
        let results = await self.each(targets.all.filter { ids[$0.bucket.id] != nil }) { route, timeout in
            try await Self.requireSuccess(
                try await self.upstream("DELETE", route, key: key, query: [("uploadId", ids[route.bucket.id]!)], headers: [], timeout: timeout)
            )
        }
        try results[0].get()
        if !targets.mirrors.isEmpty, let uploadId = ids[targets.primary.bucket.id] {
            try? await self.replication.forgetUpload(repositoryId: call.credential.repository.id, uploadId: uploadId)
        }
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
    func deleteObjects(_ call: Call, targets: Targets, body: RequestBody) async throws -> GatewayResponse {
        let member = targets.primary.member
        let document = try await self.requestDocument(call, body: body)
        guard let request = XMLNode.parse(Array(buffer: document)), request.name == "Delete" else {
            throw S3Error("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema", status: 400)
        }
        let objects = request.children("Object")
        guard (1...1000).contains(objects.count) else {
            throw S3Error("MalformedXML", "A DeleteObjects request names 1 to 1000 objects", status: 400)
        }
        var keys: [String] = []
        var upstreamDocument = XMLWriter()
        upstreamDocument.open("Delete", namespace: true)
        if let quiet = request.value("Quiet") { upstreamDocument.element("Quiet", quiet) }
        for object in objects {
            guard let key = object.value("Key"), !key.isEmpty else {
                throw S3Error("MalformedXML", "Every Object of a DeleteObjects request needs a Key", status: 400)
            }
            try S3Error.requireNoDotSegments(key, in: "Object keys")
            keys.append(key)
            upstreamDocument.open("Object")
            upstreamDocument.element("Key", member.providerKey(key))
            upstreamDocument.close("Object")
        }
        upstreamDocument.close("Delete")
        let upstreamBody = ByteBuffer(string: upstreamDocument.text)
        // Every member gets the same document (a MIRROR's members have no folder); a mirror that
        // reports any key as not deleted is repaired on every key of the request.
        let answer = try await self.fanOut(call, targets, repair: keys, as: .delete) { route, timeout in
            let answer = try await Self.document(
                try await self.upstream(
                    "POST", route, key: nil, query: [("delete", "")], headers: [("content-md5", Self.md5(upstreamBody))],
                    body: .bytes(upstreamBody), timeout: timeout
                )
            )
            guard answer.name == "DeleteResult" else { throw Self.unreadable }
            if route.bucket.id != targets.primary.bucket.id, !answer.children("Error").isEmpty {
                throw S3Error("InternalError", "The mirror did not delete every key", status: 500)
            }
            return answer
        }
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
    func copy(_ call: Call, targets: Targets) async throws -> GatewayResponse {
        let (sourceRoute, sourceKey) = try self.copySource(call)
        let mirrored = !targets.mirrors.isEmpty
        if !mirrored {
            let source = sourceRoute.connection
            let destination = targets.primary.connection
            guard source.endpoint == destination.endpoint, source.key == destination.key, source.region == destination.region else {
                throw S3Error("NotImplemented", "Copies between members reached with different credentials are not served yet.", status: 501)
            }
        }
        var copyHeaders = self.objectHeaders(call.request)
        copyHeaders.removeAll { $0.0 == "content-md5" || $0.0.hasPrefix("x-amz-checksum-") }
        let passed = [
            "x-amz-metadata-directive", "x-amz-copy-source-if-match", "x-amz-copy-source-if-none-match", "x-amz-copy-source-if-modified-since",
            "x-amz-copy-source-if-unmodified-since", "x-amz-copy-source-range",
        ]
        copyHeaders += passed.compactMap { name in call.request.header(name).map { (name, $0) } }
        let headers = copyHeaders
        let isPart = call.operation == .uploadPartCopy
        let ids = isPart ? try await self.memberUploadIds(call, targets) : [:]
        let partNumber = call.query.filter { $0.name == "partNumber" }.map { ($0.name, $0.value) }
        let key = call.key
        // A MIRROR's members each copy within their own bucket; a NORMAL member from the source's.
        let copy: @Sendable (MemberRoute, TimeAmount) async throws -> XMLNode = { route, timeout in
            let from = mirrored ? route : sourceRoute
            let source = "/" + from.bucket.bucket + "/" + SigV4.encode(from.member.providerKey(sourceKey), keepingSlashes: true)
            let query = isPart ? partNumber + [("uploadId", ids[route.bucket.id] ?? "")] : []
            let upstream = try await self.upstream(
                "PUT", route, key: key, query: query, headers: headers + [("x-amz-copy-source", source)], timeout: timeout)
            let answer = try await Self.document(upstream)
            guard answer.name == "CopyObjectResult" || answer.name == "CopyPartResult" else { throw Self.unreadable }
            return answer
        }
        let answer: XMLNode
        if isPart {
            // A mirror that misses a part is found out at completion, like UploadPart's.
            answer = try await self.each(targets.all.filter { ids[$0.bucket.id] != nil }, copy)[0].get()
        } else {
            answer = try await self.fanOut(call, targets, repair: [key ?? ""], as: .put, copy)
        }
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
