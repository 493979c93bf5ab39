import AsyncHTTPClient
import CisternBootstrap
import CisternCore
import CisternProviders
import CisternStore
import Foundation
import HTTPTypes
import HummingbirdCore
import Logging
import Metrics
import NIOCore

/// Answers one S3 request: verifies its signature with the repository key's secret, checks the
/// key's access, finds the members the bucket name routes to, and calls each member's provider
/// with the member's own credentials, streaming bodies both ways.
struct GatewayHandler: Sendable {
    let credentials: CredentialCache
    let stores: ObjectStores
    let replication: any ReplicationStore
    /// Where each request's traffic is counted.
    let traffic: TrafficMeter
    /// Where the request and provider metrics go.
    let telemetry: Telemetry
    let timeSource: any TimeSource
    let logger: Logger
    /// The most one upstream request may take in all; each read is bounded by the HTTP client.
    var upstreamDeadline = TimeAmount.hours(12)
    /// The most a mirror's share of a write (one buffered body or part) may take before the
    /// mirror is cut loose and left to the repairer.
    var mirrorTimeout = TimeAmount.seconds(60)

    /// A request whose signature and access are verified.
    struct Call: Sendable {
        var request: ReceivedRequest
        var credential: Credential
        var signature: VerifiedSignature
        var operation: S3Operation
        var bucket: String?
        var key: String?
        var query: [(name: String, value: String)]
        /// The members the bucket name reaches (nil: no bucket, or none of that name).
        var targets: Targets?
    }

    func respond(to request: Request, writer: consuming ResponseWriter) async throws {
        let started = ContinuousClock.now
        let requestId = Self.requestId()
        let received = ReceivedRequest(request.head)
        var response: GatewayResponse
        var call: Call?
        do {
            let authorized = try await self.authorize(received)
            call = authorized
            if received.header("expect")?.lowercased() == "100-continue" {
                try await writer.writeInformationalHead(HTTPResponse(status: .continue))
            }
            response = try await self.perform(authorized, body: request.body)
        } catch let error as S3Error {
            response = .error(error, resource: received.path, requestId: requestId)
        } catch {
            self.logger.error("gateway request failed", metadata: ["requestId": "\(requestId)", "error": "\(error)"])
            let failure = S3Error("InternalError", "We encountered an internal error. Please try again.", status: 500)
            response = .error(failure, resource: received.path, requestId: requestId)
        }
        response.headers[.amzRequestId] = requestId
        var sent = 0
        defer { self.finish(received, call, status: response.status, sent: sent, requestId: requestId, duration: ContinuousClock.now - started) }
        try await Self.write(response, omittingBody: received.method == "HEAD", to: writer, sent: &sent)
    }

    /// What a finished request leaves behind: its metrics and access-log line (requests refused
    /// before their operation was known count under `Unauthenticated`), and its traffic, added to
    /// the counters of its repository and the bucket its name routes to. Uploaded bytes count
    /// when the write was taken, and a stored object's length is its size change; deletes change
    /// sizes by what the gateway does not know (0).
    func finish(_ request: ReceivedRequest, _ call: Call?, status: HTTPResponse.Status, sent: Int, requestId: String, duration: Duration) {
        let received = Int(request.header("x-amz-decoded-content-length") ?? request.header("content-length") ?? "0") ?? 0
        let name = call?.operation.name ?? "Unauthenticated"
        self.telemetry.finishRequest(
            listener: "gateway", route: name, method: request.method, status: status.code, duration: duration, bytes: sent, requestId: requestId,
            logger: self.logger
        )
        if received > 0 { self.telemetry.counter("cistern_gateway_bytes_total", [("operation", name), ("direction", "in")]).increment(by: received) }
        if sent > 0 { self.telemetry.counter("cistern_gateway_bytes_total", [("operation", name), ("direction", "out")]).increment(by: sent) }
        guard let call, let targets = call.targets else { return }
        var counts = TrafficCounts(requests: 1, downloadBytes: Int64(sent), latencyMilliseconds: duration.nanoseconds / 1_000_000)
        if status.kind == .successful, call.operation == .putObject || call.operation == .uploadPart {
            counts.uploadBytes = Int64(received)
            if call.operation == .putObject { counts.sizeChange = Int64(received) }
        }
        self.traffic.add(
            counts, to: TrafficKey(at: self.timeSource.now, repositoryId: call.credential.repository.id, bucketId: targets.primary.bucket.id))
    }

    // MARK: Authorization

    func authorize(_ request: ReceivedRequest) async throws -> Call {
        guard let claim = try SigV4Verifier.claim(of: request, now: self.timeSource.now) else {
            throw S3Error.accessDenied("Anonymous requests are not served: sign them with a repository key")
        }
        guard let credential = try await self.credentials.credential(claim.accessKey) else { throw S3Error.invalidAccessKeyId }
        let signature = try SigV4Verifier.verify(claim, of: request, secret: credential.secret)
        guard !credential.repository.disabled else { throw S3Error.accessDenied("The repository is disabled") }
        guard let path = request.decodedPath, let query = request.queryParameters else {
            throw S3Error("InvalidURI", "Couldn't parse the specified URI.", status: 400)
        }
        let parts = path.dropFirst().split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let bucket = parts.first.map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        let key = parts.count > 1 ? String(parts[1]) : nil
        if let key { try S3Error.requireNoDotSegments(key, in: "Object keys") }
        let operation = S3Operation(method: request.method, bucket: bucket, key: key, query: query, request: request)
        guard credential.key.access >= operation.requiredAccess else {
            throw S3Error.accessDenied("This key has \(credential.key.access.rawValue) access")
        }
        return Call(
            request: request, credential: credential, signature: signature, operation: operation, bucket: bucket, key: key, query: query,
            targets: bucket.flatMap(credential.targets)
        )
    }

    // MARK: Operations

    func perform(_ call: Call, body: RequestBody) async throws -> GatewayResponse {
        if case .notImplemented(let what) = call.operation {
            throw S3Error("NotImplemented", "A header or query you provided implies functionality that is not implemented (\(what)).", status: 501)
        }
        if call.operation == .listBuckets { return self.listBuckets(call.credential) }
        guard let name = call.bucket, let targets = call.targets else {
            throw S3Error("NoSuchBucket", "The specified bucket does not exist", status: 404)
        }
        let route = targets.primary
        switch call.operation {
        case .headBucket:
            var response = GatewayResponse(status: .ok)
            response.headers[.amzBucketRegion] = S3Provider.defaultRegion
            return response
        case .getBucketLocation:
            var writer = XMLWriter()
            writer.open("LocationConstraint", namespace: true)
            writer.close("LocationConstraint")
            return .xml(writer)
        case .getBucketVersioning:
            // Never versioned through the gateway: S3's answer for a bucket that never was.
            var writer = XMLWriter()
            writer.open("VersioningConfiguration", namespace: true)
            writer.close("VersioningConfiguration")
            return .xml(writer)
        case .createBucket:
            // The bucket exists already: it is the repository's.
            var response = GatewayResponse(status: .ok)
            response.headers[.location] = "/\(name)"
            return response
        case .deleteBucket:
            throw S3Error.accessDenied("Buckets are managed through Cistern's management API")
        case .listObjects(let version):
            return try await self.failingOver(targets) { route in
                try await self.list(version == 2 ? .version2 : .version1, name: name, route: route, query: call.query)
            }
        case .listObjectVersions:
            return try await self.failingOver(targets) { route in try await self.list(.versions, name: name, route: route, query: call.query) }
        case .getObject, .headObject:
            return try await self.read(call, targets: targets)
        case .putObject:
            return try await self.write(call, targets: targets, body: body)
        case .deleteObject:
            let key = call.key ?? ""
            try await self.fanOut(call, targets, "DeleteObject", repair: [key], as: .delete) { store, route in
                try await store.delete(route.member.providerKey(key))
            }
            return GatewayResponse(status: .noContent)
        case .deleteObjects:
            return try await self.deleteObjects(call, targets: targets, body: body)
        case .copyObject, .uploadPartCopy:
            return try await self.copy(call, targets: targets)
        case .createMultipartUpload:
            return try await self.createMultipartUpload(call, targets: targets, name: name)
        case .uploadPart:
            return try await self.uploadPart(call, targets: targets, body: body)
        case .completeMultipartUpload:
            return try await self.completeMultipartUpload(call, targets: targets, name: name, body: body)
        case .abortMultipartUpload:
            return try await self.abortMultipartUpload(call, targets: targets)
        case .listParts:
            return try await self.listParts(call, route: route, name: name)
        case .listMultipartUploads:
            return try await self.listMultipartUploads(call, route: route, name: name)
        case .listBuckets, .notImplemented:
            preconditionFailure("answered above")
        }
    }

    private func listBuckets(_ credential: Credential) -> GatewayResponse {
        var writer = XMLWriter()
        writer.open("ListAllMyBucketsResult", namespace: true)
        writer.open("Owner")
        writer.element("ID", credential.repository.id.canonical)
        writer.element("DisplayName", credential.repository.name)
        writer.close("Owner")
        writer.open("Buckets")
        // A MIRROR repository is one bucket, named as its master.
        let shown = credential.repository.mode == .mirror ? credential.members.filter { $0.route.member.isMaster } : credential.members
        for (name, route) in shown {
            writer.open("Bucket")
            writer.element("Name", name)
            writer.element("CreationDate", CivilDate.iso8601Milliseconds(secondsSince1970: route.bucket.createdAt.timeIntervalSince1970))
            writer.close("Bucket")
        }
        writer.close("Buckets")
        writer.close("ListAllMyBucketsResult")
        return .xml(writer)
    }

    private func list(
        _ kind: Listing.Kind, name: String, route: MemberRoute, query: [(name: String, value: String)]
    ) async throws
        -> GatewayResponse
    {
        let listing = try Listing(kind, member: route.member, bucketName: name, query: query)
        let page = listing.maxKeys == 0 ? ListPage() : try await self.member(route, "ListObjects") { try await $0.list(listing.request) }
        return .xml(listing.render(page))
    }

    /// Request headers a read passes on as conditions.
    static let readConditions = ["if-match", "if-none-match", "if-modified-since", "if-unmodified-since"]
    /// Query parameters that override answer headers (`response-content-type`...).
    static let responseOverrides = [
        "response-cache-control", "response-content-disposition", "response-content-encoding", "response-content-language",
        "response-content-type", "response-expires",
    ]
    /// Answer headers that come back from the provider as they are.
    static let passedHeaders: Set<String> = [
        "accept-ranges", "cache-control", "content-disposition", "content-encoding", "content-language", "content-length", "content-range",
        "content-type", "etag", "expires", "last-modified", "x-amz-storage-class", "x-amz-checksum-crc32", "x-amz-checksum-crc32c",
        "x-amz-checksum-crc64nvme", "x-amz-checksum-sha1", "x-amz-checksum-sha256", "x-amz-mp-parts-count",
    ]

    /// GetObject and HeadObject, from the first member that can serve them. On a MIRROR
    /// repository the answer says whether every mirror holds the object (`x-amz-replication-status`).
    private func read(_ call: Call, targets: Targets) async throws -> GatewayResponse {
        let request = ReadRequest(
            head: call.operation == .headObject, range: call.request.header("range"),
            conditions: Self.readConditions.compactMap { name in call.request.header(name).map { (name, $0) } },
            checksums: call.request.header("x-amz-checksum-mode")?.uppercased() == "ENABLED"
        )
        let key = call.key ?? ""
        var response = try await self.failingOver(targets) { route in
            let read = try await self.member(route, request.head ? "HeadObject" : "GetObject") {
                try await $0.read(route.member.providerKey(key), request)
            }
            var response = GatewayResponse(status: HTTPResponse.Status(code: read.status))
            Self.pass(read.headers, into: &response) { Self.passedHeaders.contains($0) || $0.hasPrefix(ObjectAttributes.metadataPrefix) }
            if let body = read.body { response.body = .upstream(body) }
            return response
        }
        for (name, value) in call.query where Self.responseOverrides.contains(name) {
            if let field = HTTPField.Name(String(name.dropFirst("response-".count))) { response.headers[field] = value }
        }
        if !targets.mirrors.isEmpty {
            // A status that cannot be read leaves the header out rather than failing the read.
            if let state = try? await self.replication.state(repositoryId: call.credential.repository.id, key: key) {
                response.headers[.amzReplicationStatus] = state.rawValue
            }
        }
        return response
    }

    /// The stored headers a new object takes from the request: its type, the other standard
    /// headers, the storage class and user metadata. `aws-chunked` is how the body travelled
    /// here, not how it is stored.
    static func attributes(_ request: ReceivedRequest) -> [(String, String)] {
        var attributes: [(String, String)] = []
        for name in ObjectAttributes.standard + ["x-amz-storage-class"] {
            guard var value = request.header(name) else { continue }
            if name == "content-encoding" {
                value = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0 != "aws-chunked" && !$0.isEmpty }
                    .joined(separator: ",")
                if value.isEmpty { continue }
            }
            attributes.append((name, value))
        }
        return attributes + request.headers.filter { $0.name.hasPrefix(ObjectAttributes.metadataPrefix) }.map { ($0.name, $0.value) }
    }

    /// The checksums a request carries over its body (verified by `CheckedBody`).
    static func checksums(_ request: ReceivedRequest) -> [(String, String)] {
        ChecksumAlgorithm.allCases.compactMap { algorithm in request.header(algorithm.headerName).map { (algorithm.headerName, $0) } }
    }

    /// A write's conditions (`If-Match`, `If-None-Match`), the master's to evaluate.
    static func writeConditions(_ request: ReceivedRequest) -> [(String, String)] {
        ["if-match", "if-none-match"].compactMap { name in request.header(name).map { (name, $0) } }
    }

    /// Bodies up to this size are stored with one PUT, once checked; larger ones go up in parts
    /// of at least this size and become an object only once the whole body has passed its checks.
    static let partSize = 8 * 1024 * 1024

    /// PutObject. A provider may keep whatever arrived of a write cut short (SeaweedFS stores it),
    /// so nothing unchecked is ever sent as a whole object: a small body is read and checked
    /// first, a large one is sent as a multipart upload that is completed only after the last
    /// check and aborted on any failure. Memory stays at one part per upload.
    private func write(_ call: Call, targets: Targets, body: RequestBody) async throws -> GatewayResponse {
        let checks = try BodyChecks(call.request, signature: call.signature)
        var pieces = CheckedBody(source: body, checks: checks).makeAsyncIterator()
        let key = call.key ?? ""
        let stored = try await self.storeObject(
            key,
            NewObject(
                attributes: Self.attributes(call.request), conditions: Self.writeConditions(call.request), checksums: Self.checksums(call.request)),
            length: checks.length, pieces: &pieces, on: targets
        ) { primary, mirrors in try await self.settle(call, primary: primary, mirrors: mirrors, repair: [key], as: .put) }
        return Self.stored(stored)
    }

    /// What a new object is stored with besides its body.
    struct NewObject: Sendable {
        var attributes: [(String, String)]
        var conditions: [(String, String)] = []
        var checksums: [(String, String)] = []
    }

    /// Writes one object of `length` bytes from `pieces` to every member of `targets`, reading
    /// the body once. A body up to `partSize` is read and checked whole, then sent to each member
    /// with its Content-MD5; a larger one goes to each member as a multipart upload of parts read
    /// once, completed only after the last check. `settle` decides the outcome from the
    /// primary's result and which mirrors took the write.
    func storeObject(
        _ key: String, _ object: NewObject, length: Int, pieces: inout some BodyPieces, on targets: Targets,
        _ settled: (Result<StoredObject, any Error>, [(route: MemberRoute, succeeded: Bool)]) async throws -> StoredObject
    ) async throws -> StoredObject {
        if length <= Self.partSize {
            let whole = Payload.whole(try await Self.collectRest(length, from: &pieces), checksums: object.checksums)
            let put: @Sendable (any ObjectStore, MemberRoute, [(String, String)]) async throws -> StoredObject = { store, route, conditions in
                try await store.put(route.member.providerKey(key), whole, attributes: object.attributes, conditions: conditions)
            }
            guard !object.conditions.isEmpty, !targets.mirrors.isEmpty else {
                let results = await self.each(targets.all, "PutObject") { store, route in try await put(store, route, object.conditions) }
                return try await settled(results[0], zip(targets.mirrors, results.dropFirst()).map { ($0, $1.isSuccess) })
            }
            // A conditional write is the master's to decide: it goes there first, and to the
            // mirrors (without the condition) only once the master took it.
            let primary = await self.each([targets.primary], "PutObject") { store, route in try await put(store, route, object.conditions) }[0]
            guard primary.isSuccess else { return try await settled(primary, []) }
            let mirrors = await self.each(targets.mirrors, "PutObject") { store, route in try await put(store, route, []) }
            return try await settled(primary, zip(targets.mirrors, mirrors).map { ($0, $1.isSuccess) })
        }
        return try await self.writeInParts(key, targets: targets, attributes: object.attributes, length: length, pieces: &pieces, settled)
    }

    /// The answer to a write the provider took (PutObject, UploadPart): its ETag and checksums.
    static func stored(_ stored: StoredObject) -> GatewayResponse {
        var response = GatewayResponse(status: .ok)
        response.headers[.eTag] = stored.etag
        Self.pass(stored.checksums, into: &response) { $0.hasPrefix("x-amz-checksum-") }
        return response
    }

    /// A large object as one multipart upload per member, each part read once and sent to every
    /// member still in the write. A mirror that fails a step leaves the write (its upload is
    /// aborted); the primary's failure ends it for all. Nothing becomes an object before the
    /// whole body has passed its checks.
    private func writeInParts(
        _ key: String, targets: Targets, attributes: [(String, String)], length: Int, pieces: inout some BodyPieces,
        _ settled: (Result<StoredObject, any Error>, [(route: MemberRoute, succeeded: Bool)]) async throws -> StoredObject
    ) async throws -> StoredObject {
        let started = await self.each(targets.all, "CreateMultipartUpload") { store, route in
            try await store.createUpload(route.member.providerKey(key), attributes: attributes)
        }
        /// The members still in the write, the primary first, with their upload ids and part ETags.
        var uploads: [(route: MemberRoute, id: String, etags: [String])] = []
        for (route, result) in zip(targets.all, started) { if case .success(let id) = result { uploads.append((route, id, [])) } }
        var left: [MemberRoute] = targets.mirrors.filter { mirror in !uploads.contains { $0.route.bucket.id == mirror.bucket.id } }
        /// Drops the members whose step failed (aborting their uploads); throws if the primary's did.
        func keep(_ results: [Result<StoredObject, any Error>]) async throws {
            if case .failure(let error) = results[0] { throw error }
            var kept = [uploads[0]]
            for (upload, result) in zip(uploads, results).dropFirst() {
                switch result {
                case .success(let stored):
                    var upload = upload
                    upload.etags.append(stored.etag)
                    kept.append(upload)
                case .failure:
                    left.append(upload.route)
                    await self.abandon(key, upload.id, on: upload.route)
                }
            }
            kept[0].etags.append(try results[0].get().etag)
            uploads = kept
        }
        if case .failure(let error) = started[0] {
            for upload in uploads { await self.abandon(key, upload.id, on: upload.route) }
            throw error
        }
        do {
            // Parts of equal size, at most 10,000 of them, as S3 allows.
            let partSize = max(Self.partSize, (length + 9_999) / 10_000)
            var sent = 0
            while sent < length {
                let count = min(partSize, length - sent)
                let part = Payload.whole(
                    sent + count == length
                        ? try await Self.collectRest(count, from: &pieces) : try await Self.collect(upTo: count, from: &pieces)
                )
                sent += part.length
                let number = uploads[0].etags.count + 1
                let ids = Dictionary(uniqueKeysWithValues: uploads.map { ($0.route.bucket.id, $0.id) })
                try await keep(
                    await self.each(uploads.map(\.route), "UploadPart") { store, route in
                        try await store.uploadPart(route.member.providerKey(key), uploadId: ids[route.bucket.id]!, number: number, part)
                    }
                )
            }
        } catch {
            for upload in uploads { await self.abandon(key, upload.id, on: upload.route) }
            throw error
        }
        let live = uploads
        let completed = await self.each(live.map(\.route), "CompleteMultipartUpload") { store, route in
            let upload = live.first { $0.route.bucket.id == route.bucket.id }!
            let parts = upload.etags.enumerated().map { (number: $0.offset + 1, etag: $0.element) }
            return StoredObject(etag: try await store.completeUpload(route.member.providerKey(key), uploadId: upload.id, parts: parts))
        }
        for (upload, result) in zip(live, completed) where !result.isSuccess {
            await self.abandon(key, upload.id, on: upload.route)
        }
        var mirrors = left.map { (route: $0, succeeded: false) }
        mirrors += zip(live, completed).dropFirst().map { (route: $0.route, succeeded: $1.isSuccess) }
        return try await settled(completed[0], mirrors)
    }

    /// Aborts a member's multipart upload that will not be completed; a failure leaves it to the
    /// provider's own clean-up, which nothing here can do better.
    func abandon(_ key: String, _ uploadId: String, on route: MemberRoute) async {
        _ = try? await self.member(route, "AbortMultipartUpload") { try await $0.abortUpload(route.member.providerKey(key), uploadId: uploadId) }
    }

    /// The next `count` bytes of the body, as one buffer; a body that ends before is incomplete.
    static func collect(upTo count: Int, from pieces: inout some BodyPieces) async throws -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: count)
        while buffer.readableBytes < count {
            guard var piece = try await pieces.next() else { throw S3Error.incompleteBody("The body ended before its declared length") }
            let wanted = count - buffer.readableBytes
            if piece.readableBytes > wanted {
                buffer.writeImmutableBuffer(piece.readSlice(length: wanted)!)
                pieces.pushBack(piece)
            } else {
                buffer.writeImmutableBuffer(piece)
            }
        }
        return buffer
    }

    /// The last `count` bytes of the body, as one buffer: the body must end there, and by then
    /// every check has passed.
    static func collectRest(_ count: Int, from pieces: inout some BodyPieces) async throws -> ByteBuffer {
        let rest = try await Self.collect(upTo: count, from: &pieces)
        guard try await pieces.next() == nil else { throw S3Error.incompleteBody("The body is longer than its declared length") }
        return rest
    }

    // MARK: The members

    /// Runs `operation` on `route`'s store (each request bounded by `timeout`, by default the
    /// upstream deadline), timed per provider and operation. A provider that cannot be reached
    /// is `ServiceUnavailable`.
    func member<T>(
        _ route: MemberRoute, _ operation: String, timeout: TimeAmount? = nil, _ body: (any ObjectStore) async throws -> T
    ) async throws -> T {
        let store = self.stores.store(for: route.connection, timeout: timeout ?? self.upstreamDeadline)
        let started = ContinuousClock.now
        defer {
            self.telemetry.timer(
                "cistern_provider_request_duration_seconds", [("provider", route.bucket.storageType.rawValue), ("operation", operation)]
            )
            .recordNanoseconds((ContinuousClock.now - started).nanoseconds)
        }
        do {
            return try await body(store)
        } catch let error as S3Error {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            self.logger.info("provider unreachable", metadata: ["bucket": "\(route.bucket.id.canonical)", "error": "\(error)"])
            throw S3Error("ServiceUnavailable", "The bucket's provider did not answer. Please try again.", status: 503)
        }
    }

    // MARK: Writing the answer

    /// Writes `response`, adding the body bytes that left to `sent`.
    static func write(_ response: GatewayResponse, omittingBody: Bool, to writer: consuming ResponseWriter, sent: inout Int) async throws {
        var head = HTTPResponse(status: response.status, headerFields: response.headers)
        switch response.body {
        case .empty:
            if head.headerFields[.contentLength] == nil && !omittingBody { head.headerFields[.contentLength] = "0" }
            try await writer.writeResponse(head)
        case .bytes(let buffer):
            if omittingBody {
                try await writer.writeResponse(head)
            } else {
                head.headerFields[.contentLength] = String(buffer.readableBytes)
                try await writer.write(response: head, body: ResponseBody(byteBuffer: buffer))
                sent += buffer.readableBytes
            }
        case .upstream(let body):
            var bodyWriter = try await writer.writeHead(head)
            for try await buffer in body {
                try await bodyWriter.write(buffer)
                sent += buffer.readableBytes
            }
            try await bodyWriter.finish(nil)
        }
    }

    static func requestId() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<8).map { _ in String(format: "%02X", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
    }
}

extension ReceivedRequest {
    /// A request as Hummingbird parsed it: the target split at `?`, still encoded.
    init(_ head: HTTPRequest) {
        let target = head.path ?? "/"
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var headers = head.headerFields.map { (name: $0.name.canonicalName, value: $0.value) }
        if let authority = head.authority, !headers.contains(where: { $0.name == "host" }) { headers.append(("host", authority)) }
        self.init(method: head.method.rawValue, path: String(parts[0]), query: parts.count > 1 ? String(parts[1]) : "", headers: headers)
    }
}
