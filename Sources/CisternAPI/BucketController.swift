import CisternCore
import CisternProviders
import CisternStore
import Foundation
import Hummingbird
import NIOCore

/// Buckets: API-CONTRACT.md §4, and the seed page `GET /bucket/available` (§4.1).
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
        let free = try await self.buckets.available(AccessPolicy.readScope(of: context.principal), workspaceId: workspaceId)
        return EntityTag.response(json: AvailableBucketsResponse.json(free), for: request)
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
        let check = try await self.checkBeforeAccepting(bucket.connection(secret: secret))
        bucket.apply(check)
        try await self.buckets.create(bucket, limit: self.bucketsPerOrganization)
        if let check { try await self.buckets.record(check, bucketId: id, nextCheckAt: self.schedule.next(after: check.checkedAt)) }
        return BucketCreatedResponse(bucketId: id.wire)
    }

    @Sendable func update(_ request: Request, context: AuthenticatedContext) async throws -> BucketUpdatedResponse {
        let principal = context.principal
        var bucket = try await self.visibleBucket(request, context, for: .changeWorkspaceContent)
        let body = try await request.decodeJSON(as: UpdateBucketRequest.self)
        let before = bucket
        if let name = body.name { bucket.name = try Validate.text(name, field: "name", maxLength: 100) }
        if let value = body.workspaceId {
            let workspaceId = try Validate.uuid(value, field: "workspaceId")
            if workspaceId != bucket.workspaceId {
                try await self.authorizer.require(.changeWorkspaceContent, in: workspaceId, by: principal)
                bucket.workspaceId = workspaceId
            }
        }
        if let value = body.bucket { bucket.bucket = try Validate.bucketName(value) }
        if let value = body.storageType { bucket.storageType = try Validate.storageType(value) }
        if let value = body.key { bucket.key = try Validate.text(value, field: "key", maxLength: 512) }
        if body.endpoint != nil { bucket.endpoint = try Validate.endpoint(body.endpoint) }
        if body.region != nil { bucket.region = try Validate.region(body.region) }
        let newSecret = try body.secret.map { try Validate.secret($0) }
        if let newSecret { bucket.secret = try self.sealer.seal(newSecret, context: Bucket.sealingContext(bucket.id)) }

        let providerSideChanged =
            newSecret != nil || bucket.bucket != before.bucket || bucket.storageType != before.storageType || bucket.key != before.key
            || bucket.endpoint != before.endpoint || bucket.region != before.region
        var check: BucketCheck?
        if providerSideChanged {
            let secret = try newSecret ?? self.sealer.open(bucket.secret, context: Bucket.sealingContext(bucket.id))
            check = try await self.checkBeforeAccepting(bucket.connection(secret: secret))
            bucket.apply(check)
            if check == nil {
                // Not checked (validation is off): the old status says nothing about the new settings.
                bucket.status = nil
                bucket.latencyMs = nil
                bucket.lastStatusAt = nil
            }
        }
        try await self.buckets.update(bucket)
        if let check {
            try await self.buckets.record(check, bucketId: bucket.id, nextCheckAt: self.schedule.next(after: check.checkedAt))
        }
        return BucketUpdatedResponse(bucketId: bucket.id.wire, status: bucket.status?.rawValue, latency_ms: bucket.latencyMs)
    }

    @Sendable func delete(_ request: Request, context: AuthenticatedContext) async throws -> SuccessResponse {
        let bucket = try await self.visibleBucket(request, context, for: .changeWorkspaceContent)
        try await self.buckets.delete(id: bucket.id, now: self.timeSource.now)
        return SuccessResponse()
    }

    /// Checks the stored settings (and records the outcome), or candidate settings from the body
    /// (recording nothing).
    @Sendable func validate(_ request: Request, context: AuthenticatedContext) async throws -> BucketValidationResponse {
        let bucket = try await self.visibleBucket(request, context, for: .viewWorkspace)
        let candidate = try await JSONBody.decodeIfPresent(ValidateBucketRequest.self, from: request) ?? ValidateBucketRequest()
        var connection = try bucket.connection(unsealingWith: self.sealer)
        if let key = candidate.key { connection.key = try Validate.text(key, field: "key", maxLength: 512) }
        if let secret = candidate.secret { connection.secret = try Validate.secret(secret) }
        if candidate.endpoint != nil { connection.endpoint = try Validate.endpoint(candidate.endpoint) }
        if let name = candidate.bucket { connection.bucket = try Validate.bucketName(name) }
        if candidate.region != nil { connection.region = try Validate.region(candidate.region) }
        let result = await self.providers.probe(connection)
        if candidate.isEmpty {
            let check = BucketCheck(result, at: self.timeSource.now)
            try await self.buckets.record(check, bucketId: bucket.id, nextCheckAt: self.schedule.next(after: check.checkedAt))
        }
        return BucketValidationResponse(
            success: result.status == .online, message: result.reason, status: result.status.rawValue, latency_ms: result.latencyMs
        )
    }

    @Sendable func status(_ request: Request, context: AuthenticatedContext) async throws -> BucketStatusResponse {
        let bucket = try await self.visibleBucket(request, context, for: .viewWorkspace)
        let history = try await self.buckets.history(bucketId: bucket.id, limit: Self.historyShown)
        return BucketStatusResponse(
            bucketId: bucket.id.wire, status: bucket.status?.rawValue, lastStatusAt: bucket.lastStatusAt, latency_ms: bucket.latencyMs,
            history: history.map { .init(status: $0.status.rawValue, latency_ms: $0.latencyMs, checkedAt: $0.checkedAt) }
        )
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
    private func checkBeforeAccepting(_ connection: BucketConnection) async throws -> BucketCheck? {
        guard self.validateAtProvider else { return nil }
        let result = await self.providers.probe(connection)
        guard result.status == .online else {
            throw CisternError(.badRequest, message: "Bucket validation failed: \(result.status.rawValue): \(result.reason)")
        }
        return BucketCheck(result, at: self.timeSource.now)
    }

}

extension BucketCheck {
    init(_ result: ProbeResult, at date: Date) {
        self.init(status: result.status, latencyMs: result.latencyMs, reason: result.reason, checkedAt: date)
    }
}

extension Bucket {
    /// How to reach this bucket with `secret`.
    func connection(secret: SecretValue) -> BucketConnection {
        BucketConnection(
            storageType: self.storageType, bucket: self.bucket, key: self.key, secret: secret, endpoint: self.endpoint, region: self.region
        )
    }

    /// How to reach this bucket with its stored secret.
    func connection(unsealingWith sealer: SecretSealer) throws -> BucketConnection {
        self.connection(secret: try sealer.open(self.secret, context: Self.sealingContext(self.id)))
    }

    /// Takes a check's outcome as the current status.
    mutating func apply(_ check: BucketCheck?) {
        guard let check else { return }
        self.status = check.status
        self.latencyMs = check.latencyMs
        self.lastStatusAt = check.checkedAt
    }
}
