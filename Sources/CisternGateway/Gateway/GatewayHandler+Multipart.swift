import AsyncHTTPClient
import CisternCore
import CisternProviders
import CisternStore
import Foundation
import HTTPTypes
import HummingbirdCore
import NIOCore

/// Multipart uploads, DeleteObjects and copies, through the members' stores with every key moved
/// into the folder on the way in and out of it on the way back.
/// Decision: the upload id the client sees is the primary member's own; the bucket name in each
/// request already says which member (and so which provider) it belongs to. A MIRROR's other
/// members' upload ids are rows (`ReplicationStore.recordUpload`).
extension GatewayHandler {
    /// The largest request document read (CompleteMultipartUpload, DeleteObjects).
    static let maximumRequestDocument = 2 * 1024 * 1024

    func createMultipartUpload(_ call: Call, targets: Targets, name: String) async throws -> GatewayResponse {
        let attributes = Self.attributes(call.request)
        let key = call.key ?? ""
        let started = await self.each(targets.all, "CreateMultipartUpload") { store, route in
            try await store.createUpload(route.member.providerKey(key), attributes: attributes)
        }
        var mirrorUploads: [UUID: String] = [:]
        for (mirror, result) in zip(targets.mirrors, started.dropFirst()) {
            if case .success(let id) = result { mirrorUploads[mirror.bucket.id] = id }
        }
        let uploadId: String
        do {
            uploadId = try started[0].get()
            try await self.replication.recordUpload(
                repositoryId: call.credential.repository.id, uploadId: uploadId, key: key, memberUploads: mirrorUploads, now: self.timeSource.now
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
        writer.element("Key", key)
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
        let number = try Self.partNumber(call)
        let checks = try BodyChecks(call.request, signature: call.signature)
        let ids = try await self.memberUploadIds(call, targets)
        let routes = targets.all.filter { ids[$0.bucket.id] != nil }
        let key = call.key ?? ""
        let checksums = Self.checksums(call.request)
        let checked = CheckedBody(source: body, checks: checks)
        let payload: Payload
        if checks.length <= Self.partSize || routes.count > 1 {
            guard checks.length <= Self.maximumMirrorPart else {
                throw S3Error("EntityTooLarge", "Parts of a MIRROR repository's uploads may be at most 64 MiB", status: 400)
            }
            // Read and checked first, like a small PutObject: a provider may keep a part cut short.
            var pieces = checked.makeAsyncIterator()
            payload = Payload.whole(try await Self.collectRest(checks.length, from: &pieces), checksums: checksums)
        } else {
            // A large part for one member streams, its last piece held back until every check has passed.
            payload = Payload(content: .stream(.stream(checked, length: .known(Int64(checks.length)))), length: checks.length, checksums: checksums)
        }
        let results = await self.each(routes, "UploadPart") { store, route in
            try await store.uploadPart(route.member.providerKey(key), uploadId: ids[route.bucket.id]!, number: number, payload)
        }
        do {
            return Self.stored(try results[0].get())
        } catch {
            throw checked.failure.value ?? error
        }
    }

    /// The part number of UploadPart and UploadPartCopy: 1 to 10,000, with an upload id.
    static func partNumber(_ call: Call) throws(S3Error) -> Int {
        guard let number = call.query.first(where: { $0.name == "partNumber" }).flatMap({ Int($0.value) }), (1...10_000).contains(number),
            call.query.contains(where: { $0.name == "uploadId" })
        else {
            throw S3Error("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive", status: 400)
        }
        return number
    }

    /// CompleteMultipartUpload. The primary completes the client's parts; each mirror completes
    /// the same part numbers with its own parts' ETags (read from its part list), and one that
    /// cannot is left to the repairer.
    func completeMultipartUpload(_ call: Call, targets: Targets, name: String, body: RequestBody) async throws -> GatewayResponse {
        let document = try await self.requestDocument(call, body: body)
        guard let request = XMLNode.parse(Array(buffer: document)), request.name == "CompleteMultipartUpload" else { throw Self.malformed }
        let parts = try request.children("Part").map { part throws(S3Error) -> (number: Int, etag: String) in
            guard let number = part.value("PartNumber").flatMap({ Int($0) }), let etag = part.value("ETag") else { throw Self.malformed }
            return (number, etag)
        }
        let ids = try await self.memberUploadIds(call, targets)
        let key = call.key ?? ""
        let primary = targets.primary.bucket.id
        let results = await self.each(targets.all, "CompleteMultipartUpload") { store, route -> String in
            guard let uploadId = ids[route.bucket.id] else { throw S3Error("NoSuchUpload", "The mirror holds no such upload", status: 404) }
            let providerKey = route.member.providerKey(key)
            guard route.bucket.id != primary else { return try await store.completeUpload(providerKey, uploadId: uploadId, parts: parts) }
            let etags = try await Self.partETags(providerKey, uploadId: uploadId, in: store)
            let mine = try parts.map { part in
                guard let etag = etags[part.number] else { throw S3Error("InvalidPart", "The mirror lacks part \(part.number)", status: 400) }
                return (number: part.number, etag: etag)
            }
            return try await store.completeUpload(providerKey, uploadId: uploadId, parts: mine)
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

    static let malformed = S3Error(
        "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema", status: 400)

    /// A member's uploaded parts: ETag by part number, every page of its part list.
    static func partETags(_ key: String, uploadId: String, in store: any ObjectStore) async throws -> [Int: String] {
        var etags: [Int: String] = [:]
        var marker = 0
        while true {
            let page = try await store.listParts(key, uploadId: uploadId, marker: marker, maxParts: 1000)
            for part in page.parts { etags[part.number] = part.etag }
            guard let next = page.nextMarker, next > marker else { return etags }
            marker = next
        }
    }

    func abortMultipartUpload(_ call: Call, targets: Targets) async throws -> GatewayResponse {
        let ids = try await self.memberUploadIds(call, targets)
        let key = call.key ?? ""
        let results = await self.each(targets.all.filter { ids[$0.bucket.id] != nil }, "AbortMultipartUpload") { store, route in
            try await store.abortUpload(route.member.providerKey(key), uploadId: ids[route.bucket.id]!)
        }
        try results[0].get()
        if !targets.mirrors.isEmpty, let uploadId = ids[targets.primary.bucket.id] {
            try? await self.replication.forgetUpload(repositoryId: call.credential.repository.id, uploadId: uploadId)
        }
        return GatewayResponse(status: .noContent)
    }

    func listParts(_ call: Call, route: MemberRoute, name: String) async throws -> GatewayResponse {
        func value(_ name: String) -> String? { call.query.first { $0.name == name }?.value }
        let uploadId = value("uploadId") ?? ""
        guard let marker = Int(value("part-number-marker") ?? "0"), marker >= 0, let maxParts = Int(value("max-parts") ?? "1000"), maxParts >= 0
        else { throw S3Error("InvalidArgument", "part-number-marker and max-parts must be whole numbers", status: 400) }
        let key = call.key ?? ""
        let page = try await self.member(route, "ListParts") {
            try await $0.listParts(route.member.providerKey(key), uploadId: uploadId, marker: marker, maxParts: min(maxParts, 1000))
        }
        var writer = XMLWriter()
        writer.open("ListPartsResult", namespace: true)
        writer.element("Bucket", name)
        writer.element("Key", key)
        writer.element("UploadId", uploadId)
        writer.element("PartNumberMarker", String(marker))
        writer.element("NextPartNumberMarker", String(page.nextMarker ?? page.parts.last?.number ?? marker))
        writer.element("MaxParts", String(min(maxParts, 1000)))
        writer.element("IsTruncated", page.nextMarker == nil ? "false" : "true")
        for part in page.parts {
            writer.open("Part")
            writer.element("PartNumber", String(part.number))
            writer.element("LastModified", part.lastModified.map(Self.iso8601))
            writer.element("ETag", part.etag)
            writer.element("Size", String(part.size))
            writer.close("Part")
        }
        writer.close("ListPartsResult")
        return .xml(writer)
    }

    func listMultipartUploads(_ call: Call, route: MemberRoute, name: String) async throws -> GatewayResponse {
        let member = route.member
        func value(_ name: String) -> String? { call.query.first { $0.name == name }?.value }
        let prefix = value("prefix") ?? ""
        try S3Error.requireNoDotSegments(prefix, in: "Prefixes")
        let keyMarker = value("key-marker").flatMap { $0.isEmpty ? nil : $0 }
        try S3Error.requireNoDotSegments(keyMarker ?? "", in: "Markers")
        guard let maxUploads = Int(value("max-uploads") ?? "1000"), maxUploads >= 0 else {
            throw S3Error("InvalidArgument", "max-uploads must be a whole number", status: 400)
        }
        let request = UploadsRequest(
            prefix: member.providerKey(prefix), delimiter: value("delimiter").flatMap { $0.isEmpty ? nil : $0 },
            keyMarker: keyMarker.map(member.providerKey), uploadIdMarker: value("upload-id-marker").flatMap { $0.isEmpty ? nil : $0 },
            maxUploads: min(maxUploads, 1000)
        )
        let page = maxUploads == 0 ? UploadsPage() : try await self.member(route, "ListMultipartUploads") { try await $0.listUploads(request) }
        var writer = XMLWriter()
        writer.open("ListMultipartUploadsResult", namespace: true)
        writer.element("Bucket", name)
        writer.element("KeyMarker", keyMarker ?? "")
        writer.element("UploadIdMarker", request.uploadIdMarker ?? "")
        if let next = page.next {
            writer.element("NextKeyMarker", member.repositoryKey(next.keyMarker) ?? "")
            writer.element("NextUploadIdMarker", next.uploadIdMarker)
        }
        writer.element("Prefix", prefix)
        writer.element("Delimiter", request.delimiter)
        writer.element("MaxUploads", String(request.maxUploads))
        writer.element("IsTruncated", page.next == nil ? "false" : "true")
        for upload in page.uploads {
            guard let key = member.repositoryKey(upload.key), !key.isEmpty else { continue }
            writer.open("Upload")
            writer.element("Key", key)
            writer.element("UploadId", upload.uploadId)
            writer.element("Initiated", upload.initiated.map(Self.iso8601))
            writer.close("Upload")
        }
        for common in page.prefixes {
            guard let inside = member.repositoryKey(common) else { continue }
            writer.open("CommonPrefixes")
            writer.element("Prefix", inside)
            writer.close("CommonPrefixes")
        }
        writer.close("ListMultipartUploadsResult")
        return .xml(writer)
    }

    static func iso8601(_ date: Date) -> String { CivilDate.iso8601Milliseconds(secondsSince1970: date.timeIntervalSince1970) }

    /// DeleteObjects: the listed keys move into the folder, the answer's keys out of it.
    func deleteObjects(_ call: Call, targets: Targets, body: RequestBody) async throws -> GatewayResponse {
        let document = try await self.requestDocument(call, body: body)
        guard let request = XMLNode.parse(Array(buffer: document)), request.name == "Delete" else { throw Self.malformed }
        let objects = request.children("Object")
        guard (1...1000).contains(objects.count) else {
            throw S3Error("MalformedXML", "A DeleteObjects request names 1 to 1000 objects", status: 400)
        }
        let keys = try objects.map { object throws(S3Error) -> String in
            guard let key = object.value("Key"), !key.isEmpty else {
                throw S3Error("MalformedXML", "Every Object of a DeleteObjects request needs a Key", status: 400)
            }
            try S3Error.requireNoDotSegments(key, in: "Object keys")
            return key
        }
        // A mirror that reports any key as not deleted is repaired on every key of the request.
        let primary = targets.primary.bucket.id
        let failed = try await self.fanOut(call, targets, "DeleteObjects", repair: keys, as: .delete) { store, route in
            let failed = try await store.delete(keys.map(route.member.providerKey))
            if route.bucket.id != primary, !failed.isEmpty { throw S3Error("InternalError", "The mirror did not delete every key", status: 500) }
            return failed.compactMap { failure in route.member.repositoryKey(failure.key).map { (key: $0, error: failure.error) } }
        }
        var writer = XMLWriter()
        writer.open("DeleteResult", namespace: true)
        if request.value("Quiet") != "true" {
            for key in keys where !failed.contains(where: { $0.key == key }) {
                writer.open("Deleted")
                writer.element("Key", key)
                writer.close("Deleted")
            }
        }
        for failure in failed {
            writer.open("Error")
            writer.element("Key", failure.key)
            writer.element("Code", failure.error.code)
            writer.element("Message", failure.error.message)
            writer.close("Error")
        }
        writer.close("DeleteResult")
        return .xml(writer)
    }

    /// CopyObject and UploadPartCopy. The source must be an object of the same repository (any
    /// member: the bucket in `x-amz-copy-source` routes like any request). A MIRROR's members
    /// each copy within their own bucket, as does a NORMAL member copying from itself; a copy
    /// from another member of a NORMAL repository, at whatever provider, streams through the
    /// gateway.
    func copy(_ call: Call, targets: Targets) async throws -> GatewayResponse {
        let (sourceRoute, sourceKey) = try self.copySource(call)
        let isPart = call.operation == .uploadPartCopy
        let number = isPart ? try Self.partNumber(call) : 0
        let ids = isPart ? try await self.memberUploadIds(call, targets) : [:]
        let replace = call.request.header("x-amz-metadata-directive")?.uppercased() == "REPLACE"
        let attributes = replace ? Self.attributes(call.request) : nil
        let conditions = Self.readConditions.compactMap { name in
            call.request.header("x-amz-copy-source-" + name).map { ("x-amz-copy-source-" + name, $0) }
        }
        let range = isPart ? call.request.header("x-amz-copy-source-range") : nil
        let key = call.key ?? ""
        let copied: CopiedObject
        do {
            if targets.mirrors.isEmpty && sourceRoute.bucket.id != targets.primary.bucket.id {
                copied = try await self.copyThrough(
                    from: sourceRoute, sourceKey, to: targets.primary, key, attributes: attributes, conditions: conditions, range: range,
                    part: isPart ? (ids[targets.primary.bucket.id] ?? "", number) : nil
                )
            } else {
                let copy: @Sendable (any ObjectStore, MemberRoute) async throws -> CopiedObject = { store, route in
                    let source = route.member.providerKey(sourceKey)
                    let destination = route.member.providerKey(key)
                    guard isPart else { return try await store.copy(from: source, to: destination, attributes: attributes, conditions: conditions) }
                    return try await store.copyPart(
                        from: source, range: range, to: destination, uploadId: ids[route.bucket.id] ?? "", number: number, conditions: conditions)
                }
                if isPart {
                    // A mirror that misses a part is found out at completion, like UploadPart's.
                    copied = try await self.each(targets.all.filter { ids[$0.bucket.id] != nil }, "UploadPartCopy", copy)[0].get()
                } else {
                    copied = try await self.fanOut(call, targets, "CopyObject", repair: [key], as: .put, copy)
                }
            }
        } catch let error as S3Error where error.status == 304 {
            // A copy's source conditions fail with 412, whichever failed.
            throw Preconditions.failed
        }
        let root = isPart ? "CopyPartResult" : "CopyObjectResult"
        var writer = XMLWriter()
        writer.open(root, namespace: true)
        writer.element("LastModified", Self.iso8601(copied.lastModified ?? self.timeSource.now))
        writer.element("ETag", copied.etag)
        writer.close(root)
        return .xml(writer)
    }

    /// A copy between members of a NORMAL repository: the source read (its conditions checked,
    /// the range for a part) and written to the destination like a client's body.
    private func copyThrough(
        from source: MemberRoute, _ sourceKey: String, to destination: MemberRoute, _ key: String, attributes: [(String, String)]?,
        conditions: [(String, String)], range: String?, part: (uploadId: String, number: Int)?
    ) async throws -> CopiedObject {
        let request = ReadRequest(range: range, conditions: Preconditions.readConditions(conditions))
        let read = try await self.member(source, "GetObject") { try await $0.read(source.member.providerKey(sourceKey), request) }
        let (body, length) = try read.copySource()
        if let part {
            let stored = try await self.member(destination, "UploadPart") {
                try await $0.uploadPart(
                    destination.member.providerKey(key), uploadId: part.uploadId, number: part.number, .streaming(body, length: length))
            }
            return CopiedObject(etag: stored.etag, lastModified: self.timeSource.now)
        }
        var pieces = ProviderPieces(body)
        let stored = try await self.storeObject(
            key, NewObject(attributes: attributes ?? Self.storedAttributes(read.headers)), length: length, pieces: &pieces,
            on: Targets(primary: destination, mirrors: [])
        ) { primary, _ in try primary.get() }
        return CopiedObject(etag: stored.etag, lastModified: self.timeSource.now)
    }

    /// The attributes an object's read answer carries: what a copy or a repair takes along.
    static func storedAttributes(_ headers: [(String, String)]) -> [(String, String)] {
        headers.filter { ObjectAttributes.standard.contains($0.0) || $0.0.hasPrefix(ObjectAttributes.metadataPrefix) }
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

    /// A request's XML document, checked like any body, at most `maximumRequestDocument` bytes.
    func requestDocument(_ call: Call, body: RequestBody) async throws -> ByteBuffer {
        let checks = try BodyChecks(call.request, signature: call.signature)
        guard checks.length <= Self.maximumRequestDocument else {
            throw S3Error("MaxMessageLengthExceeded", "Your request was too big.", status: 400)
        }
        var pieces = CheckedBody(source: body, checks: checks).makeAsyncIterator()
        return try await Self.collectRest(checks.length, from: &pieces)
    }

    /// Copies the provider's headers whose (lowercase) names `include` accepts.
    static func pass(_ headers: [(String, String)], into response: inout GatewayResponse, where include: (String) -> Bool) {
        for (name, value) in headers {
            let name = name.lowercased()
            guard include(name), let field = HTTPField.Name(name) else { continue }
            response.headers.append(HTTPField(name: field, value: value))
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
