import CisternBootstrap
import CisternCore
import CisternProviders
import CisternStore
import CisternWire
import Foundation
import Hummingbird
import Logging
import NIOCore

/// Buckets: docs/contract.md §4, and the seed page `GET /bucket/available` (§4.1).
struct BucketController {
    let buckets: any BucketStore
    let repositories: any RepositoryStore
    let authorizer: Authorizer
    let sealer: SecretSealer
    let providers: ProviderRegistry
    /// Whether creates and credential changes are checked at the provider first.
    let validateAtProvider: Bool
    let bucketsPerOrganization: Int?
    /// When the monitor checks a bucket again after a check here.
    let schedule: CheckSchedule
    let timeSource: any TimeSource
    /// Rendered `GET /bucket/available` answers, by who asks and for which workspace.
    let availableLists: ChangeCache<AvailableListKey, TaggedJSON>

    struct AvailableListKey: Hashable, Sendable {
        var scope: ReadScope
        var workspaceId: UUID?
    }

    /// Lists of up to 64 MiB in all; one 10,000-bucket organization's is about 2.5 MiB.
    static func availableLists(_ changes: ChangeFeed) -> ChangeCache<AvailableListKey, TaggedJSON> {
        ChangeCache(feed: changes, capacity: 64 << 20, weight: { $0.body.readableBytes + 256 })
    }

    /// How many checks `GET /bucket/{id}/status` shows.
    static let historyShown = 50

    func addRoutes(to router: some RouterMethods<AuthenticatedContext>) {
        router.get("/bucket", use: self.list)
        router.get("/bucket/available", use: self.available)
        router.post("/bucket", use: self.create)
        router.put("/bucket/{bucketId}", use: self.update)
        router.delete("/bucket/{bucketId}", use: self.delete)
        router.post("/bucket/{bucketId}/validate", use: self.validate)
        router.get("/bucket/{bucketId}/status", use: self.status)
    }

    @Sendable func list(_ request: Request, context: AuthenticatedContext) async throws -> BucketListResponse {
        let workspaceId = try await self.authorizer.workspaceFilter(request, by: context.principal)
        let visible = try await self.buckets.list(AccessPolicy.readScope(of: context.principal), workspaceId: workspaceId)
        let references = try await self.repositories.references(bucketIds: visible.map(\.id))
        return BucketListResponse(buckets: visible.map { BucketResponse($0, repos: references[$0.id] ?? []) })
    }

    /// Polled by every repository form and dashboard: tagged, so an unchanged list costs the
    /// caller a bodiless 304.
    @Sendable func available(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let workspaceId = try await self.authorizer.workspaceFilter(request, by: context.principal)
        let scope = AccessPolicy.readScope(of: context.principal)
        let list = try await self.availableLists.value(AvailableListKey(scope: scope, workspaceId: workspaceId)) {
            TaggedJSON(AvailableBucketsResponse.json(try await self.buckets.available(scope, workspaceId: workspaceId)))
        }
        return EntityTag.response(list!, for: request)
    }

    @Sendable func create(_ request: Request, context: AuthenticatedContext) async throws -> BucketCreatedResponse {
        let principal = context.principal
        let body = try await request.decodeJSON(as: CreateBucketRequest.self)
        let name = try Validate.text(body.name, field: "name", maxLength: 100)
        let providerBucket = try Validate.bucketName(body.bucket)
        let storageType = try Validate.storageType(body.storageType)
        let key = try Validate.text(body.key, field: "key", maxLength: 512)
        let secret = try Validate.secret(body.secret)
        let endpoint = try Validate.endpoint(body.endpoint)
        let region = try Validate.region(body.region)
        let workspaceId = try Validate.uuid(body.workspaceId, field: "workspaceId")
        try await self.authorizer.require(.changeWorkspaceContent, in: workspaceId, by: principal)

        let id = UUID()
        var bucket = Bucket(
            id: id, orgId: principal.orgId, workspaceId: workspaceId, name: name, bucket: providerBucket, storageType: storageType,
            key: key, secret: try self.sealer.seal(secret, context: Bucket.sealingContext(id)), endpoint: endpoint, region: region,
            createdAt: self.timeSource.now
        )
        let check = try await self.checkBeforeAccepting(bucket.connection(secret: secret), logger: context.logger)
        bucket.apply(check)
        try await self.buckets.create(bucket, limit: self.bucketsPerOrganization)
        if let check { try await self.buckets.record(check, bucketId: id, nextCheckAt: self.schedule.next(after: check.checkedAt)) }
        return BucketCreatedResponse(bucketId: id.canonical)
    }

    /// Writes only what the body changes, so concurrent changes of different fields all survive.
    /// New connection fields (provider, bucket, key, endpoint, region) must come with their
    /// secret: the stored one only ever goes where it went before.
    @Sendable func update(_ request: Request, context: AuthenticatedContext) async throws -> BucketUpdatedResponse {
        let principal = context.principal
        let bucket = try await self.visibleBucket(request, context, for: .changeWorkspaceContent)
        let body = try await request.decodeJSON(as: UpdateBucketRequest.self)
        var changes = BucketChanges()
        if let name = body.name { changes.name = try Validate.text(name, field: "name", maxLength: 100) }
        if let value = body.workspaceId {
            let workspaceId = try Validate.uuid(value, field: "workspaceId")
            if workspaceId != bucket.workspaceId {
                try await self.authorizer.require(.changeWorkspaceContent, in: workspaceId, by: principal)
                changes.workspaceId = workspaceId
            }
        }
        var fields = try Self.connectionFields(
            of: bucket, storageType: body.storageType, bucket: body.bucket, key: body.key, endpoint: body.endpoint, region: body.region
        )
        var check: BucketCheck?
        if let value = body.secret {
            let secret = try Validate.secret(value)
            fields.secret = try self.sealer.seal(secret, context: Bucket.sealingContext(bucket.id))
            check = try await self.checkBeforeAccepting(fields.connection(secret: secret), logger: context.logger)
            // Unchecked (validation is off), the old status says nothing about the new settings.
            fields.status = check?.status
            fields.latencyMs = check?.latencyMs
            fields.lastStatusAt = check?.checkedAt
            changes.connection = fields
        } else {
            guard fields.reachesStored(bucket) else { throw Self.secretRequired }
        }
        try await self.buckets.update(id: bucket.id, orgId: principal.orgId, changes)
        if let check {
            try await self.buckets.record(check, bucketId: bucket.id, nextCheckAt: self.schedule.next(after: check.checkedAt))
        }
        let status = changes.connection.map(\.status) ?? bucket.status
        let latency = changes.connection.map(\.latencyMs) ?? bucket.latencyMs
        return BucketUpdatedResponse(bucketId: bucket.id.canonical, status: status?.rawValue, latency_ms: latency)
    }

    static let secretRequired = CisternError.invalid(
        "secret", "is required when storageType, bucket, key, endpoint or region change: a stored secret is never sent anywhere new"
    )

    @Sendable func delete(_ request: Request, context: AuthenticatedContext) async throws -> SuccessResponse {
        let bucket = try await self.visibleBucket(request, context, for: .changeWorkspaceContent)
        try await self.buckets.delete(id: bucket.id, now: self.timeSource.now)
        return SuccessResponse()
    }

    /// Checks the stored settings (and records the outcome), or candidate settings from the body
    /// (recording nothing). Candidates need WRITE, and new connection fields their own secret,
    /// exactly as an update would.
    @Sendable func validate(_ request: Request, context: AuthenticatedContext) async throws -> BucketValidationResponse {
        let candidate = try await JSONBody.decodeIfPresent(ValidateBucketRequest.self, from: request) ?? ValidateBucketRequest()
        let bucket = try await self.visibleBucket(request, context, for: candidate.isEmpty ? .viewWorkspace : .changeWorkspaceContent)
        var result: ProbeResult
        if candidate.isEmpty {
            result = await self.providers.probe(try bucket.connection(unsealingWith: self.sealer))
            let check = BucketCheck(result, at: self.timeSource.now)
            try await self.buckets.record(check, bucketId: bucket.id, nextCheckAt: self.schedule.next(after: check.checkedAt))
        } else {
            let fields = try Self.connectionFields(
                of: bucket, storageType: nil, bucket: candidate.bucket, key: candidate.key, endpoint: candidate.endpoint,
                region: candidate.region
            )
            let secret: SecretValue
            if let value = candidate.secret {
                secret = try Validate.secret(value)
            } else {
                guard fields.reachesStored(bucket) else { throw Self.secretRequired }
                secret = try self.sealer.open(bucket.secret, context: Bucket.sealingContext(bucket.id))
            }
            result = await self.providers.probe(fields.connection(secret: secret))
        }
        Self.log(result, of: bucket.id, context.logger)
        return BucketValidationResponse(
            success: result.status == .online, message: result.reason, status: result.status.rawValue, latency_ms: result.latencyMs
        )
    }

    @Sendable func status(_ request: Request, context: AuthenticatedContext) async throws -> BucketStatusResponse {
        let bucket = try await self.visibleBucket(request, context, for: .viewWorkspace)
        let history = try await self.buckets.history(bucketId: bucket.id, limit: Self.historyShown)
        return BucketStatusResponse(
            bucketId: bucket.id.canonical, status: bucket.status?.rawValue, lastStatusAt: bucket.lastStatusAt, latency_ms: bucket.latencyMs,
            history: history.map { .init(status: $0.status.rawValue, latency_ms: $0.latencyMs, checkedAt: $0.checkedAt) }
        )
    }

    /// The connection fields of `bucket` with those a request gives, each checked.
    private static func connectionFields(
        of bucket: Bucket, storageType: String?, bucket name: String?, key: String?, endpoint: String?, region: String?
    ) throws -> BucketChanges.Connection {
        var fields = BucketChanges.Connection(bucket)
        if let name { fields.bucket = try Validate.bucketName(name) }
        if let storageType { fields.storageType = try Validate.storageType(storageType) }
        if let key { fields.key = try Validate.text(key, field: "key", maxLength: 512) }
        if endpoint != nil { fields.endpoint = try Validate.endpoint(endpoint) }
        if region != nil { fields.region = try Validate.region(region) }
        return fields
    }

    /// The bucket of the path, when the caller may see it (else 404) and perform `action` (else 403).
    private func visibleBucket(_ request: Request, _ context: AuthenticatedContext, for action: Action) async throws -> Bucket {
        let id = try Validate.uuid("bucketId", in: context)
        guard let bucket = try await self.buckets.bucket(id: id), bucket.orgId == context.principal.orgId else {
            throw CisternError.bucketNotFound
        }
        try await self.authorizer.require(action, in: bucket.workspaceId, by: context.principal, notFound: .bucketNotFound)
        return bucket
    }

    /// Probes a connection when validation is on; refuses (400, with the provider's answer) what
    /// does not come back ONLINE. Nil when validation is off.
    private func checkBeforeAccepting(_ connection: BucketConnection, logger: Logger) async throws -> BucketCheck? {
        guard self.validateAtProvider else { return nil }
        let result = await self.providers.probe(connection)
        Self.log(result, of: nil, logger)
        guard result.status == .online else {
            throw CisternError(.badRequest, message: "Bucket validation failed: \(result.status.rawValue): \(result.reason)")
        }
        return BucketCheck(result, at: self.timeSource.now)
    }

}

extension BucketController {
    /// The provider's whole answer goes to the log; the caller sees only `result.reason`.
    static func log(_ result: ProbeResult, of bucketId: UUID?, _ logger: Logger) {
        guard result.status != .online else { return }
        var metadata: Logger.Metadata = ["status": "\(result.status.rawValue)", "reason": "\(result.reason)"]
        if let bucketId { metadata["bucketId"] = "\(bucketId.canonical)" }
        if let detail = result.detail { metadata["detail"] = "\(detail)" }
        logger.info("provider check failed", metadata: metadata)
    }
}
