import CisternBootstrap
import CisternCore
import CisternProviders
import CisternStore
import CisternWire
import Foundation
import Hummingbird

/// Repositories and their keys: docs/contract.md §5 and §6.
///
/// Create, update and both dry runs go through one path: read the facts (`RepositoryStore.facts`,
/// plus the provider for folders an update drops), judge them with `RepositoryRules.check`, and
/// only then let the store commit, which enforces exclusivity again atomically. So a dry run and
/// the real call cannot disagree, and a race cannot break the rules.
struct RepositoryController {
    let repositories: any RepositoryStore
    let buckets: any BucketStore
    let replication: any ReplicationStore
    let authorizer: Authorizer
    let sealer: SecretSealer
    let providers: ProviderRegistry
    let repositoriesPerOrganization: Int?
    let timeSource: any TimeSource

    func addRoutes(to router: some RouterMethods<AuthenticatedContext>) {
        let group = router.group("repo").add(middleware: RepositoryErrorMiddleware())
        group.get(use: self.list)
        group.post(use: self.create)
        group.post("validate", use: self.validateCreate)
        group.put("{repoId}", use: self.update)
        group.delete("{repoId}", use: self.delete)
        group.post("{repoId}/validate", use: self.validateUpdate)
        group.post("{repoId}/apikey", use: self.createKey)
        group.get("{repoId}/apikey", use: self.listKeys)
        group.put("{repoId}/apikey/{keyId}", use: self.updateKey)
        group.delete("{repoId}/apikey/{keyId}", use: self.deleteKey)
        group.get("{repoId}/replication", use: self.replicationStatus)
        group.post("{repoId}/replication/retry", use: self.retryReplication)
    }

    // MARK: Repositories

    @Sendable func list(_ request: Request, context: AuthenticatedContext) async throws -> RepositoryListResponse {
        let workspaceId = try await self.authorizer.workspaceFilter(request, by: context.principal)
        let found = try await self.repositories.list(
            AccessPolicy.readScope(of: context.principal), workspaceId: workspaceId, repositoryId: try request.optionalUUID("repoId")
        )
        return RepositoryListResponse(repos: try await self.responses(found))
    }

    @Sendable func create(_ request: Request, context: AuthenticatedContext) async throws -> RepositoryCreatedResponse {
        let body = try await request.decodeJSON(as: CreateRepositoryRequest.self)
        let principal = context.principal
        let mode = try Self.mode(body.mode)
        let repository = Repository(
            id: UUID(), orgId: principal.orgId, workspaceId: try Validate.uuid(body.workspaceId, field: "workspaceId"),
            name: try Validate.text(body.name, field: "name", maxLength: 100), storageType: try Validate.storageType(body.storageType),
            mode: mode, members: try Self.members(body.repoBuckets, mode: mode), createdAt: self.timeSource.now
        )
        try await self.authorizer.require(.changeWorkspaceContent, in: repository.workspaceId, by: principal)
        try await self.judge(repository, name: repository.name, principal: principal, updating: nil)
        try await self.repositories.create(repository, limit: self.repositoriesPerOrganization)
        return RepositoryCreatedResponse(repoId: repository.id.canonical)
    }

    @Sendable func validateCreate(_ request: Request, context: AuthenticatedContext) async throws -> SuccessResponse {
        let body = try await request.decodeJSON(as: ValidateRepositoryRequest.self)
        let principal = context.principal
        let mode = try Self.mode(body.mode)
        var draft = Repository(
            id: UUID(), orgId: principal.orgId, workspaceId: UUID(), name: "", storageType: .s3, mode: mode,
            members: try Self.members(body.repoBuckets, mode: mode), createdAt: self.timeSource.now
        )
        if let workspaceId = body.workspaceId {
            draft.workspaceId = try Validate.uuid(workspaceId, field: "workspaceId")
            try await self.authorizer.require(.changeWorkspaceContent, in: draft.workspaceId, by: principal)
        }
        let name = try body.name.map { try Validate.text($0, field: "name", maxLength: 100) }
        try await self.judge(draft, name: name, principal: principal, updating: nil)
        return SuccessResponse()
    }

    /// Writes only the fields the body changes (members and mode together), so concurrent
    /// changes of different fields all survive.
    @Sendable func update(_ request: Request, context: AuthenticatedContext) async throws -> RepositoryCreatedResponse {
        let (current, next, fields) = try await self.proposedUpdate(request, context)
        try await self.judge(next, name: next.name, principal: context.principal, updating: current)
        try await self.repositories.update(next, fields: fields, now: self.timeSource.now)
        return RepositoryCreatedResponse(repoId: next.id.canonical)
    }

    @Sendable func validateUpdate(_ request: Request, context: AuthenticatedContext) async throws -> SuccessResponse {
        let (current, next, _) = try await self.proposedUpdate(request, context, action: .viewWorkspace)
        try await self.judge(next, name: next.name, principal: context.principal, updating: current)
        return SuccessResponse()
    }

    @Sendable func delete(_ request: Request, context: AuthenticatedContext) async throws -> SuccessResponse {
        let repository = try await self.visibleRepository(context, for: .changeWorkspaceContent)
        try await self.repositories.delete(id: repository.id, now: self.timeSource.now)
        return SuccessResponse()
    }

    // MARK: Keys

    @Sendable func createKey(_ request: Request, context: AuthenticatedContext) async throws -> RepositoryKeyCreatedResponse {
        let (repository, role) = try await self.visibleRepositoryAndRole(context, for: .changeWorkspaceContent)
        let body = try await request.decodeJSON(as: CreateRepositoryKeyRequest.self)
        let id = UUID()
        let secret = RepositoryKeyGenerator.secret()
        let key = RepositoryKey(
            id: id, repositoryId: repository.id, name: try Validate.text(body.name, field: "name", maxLength: 100),
            access: try Self.access(body.accessType, issuedWith: role), key: RepositoryKeyGenerator.accessKey(),
            secret: try self.sealer.seal(secret, context: RepositoryKey.sealingContext(id)), createdAt: self.timeSource.now
        )
        try await self.repositories.createKey(key)
        return RepositoryKeyCreatedResponse(id: id.canonical, key: key.key, secret: secret.revealed)
    }

    @Sendable func listKeys(_ request: Request, context: AuthenticatedContext) async throws -> RepositoryKeyListResponse {
        let repository = try await self.visibleRepository(context, for: .viewWorkspace)
        let keys = try await self.repositories.keys(repositoryIds: [repository.id])
        return RepositoryKeyListResponse(keys: keys.map(RepositoryKeyResponse.init))
    }

    @Sendable func updateKey(_ request: Request, context: AuthenticatedContext) async throws -> SuccessResponse {
        let (repository, role) = try await self.visibleRepositoryAndRole(context, for: .changeWorkspaceContent)
        let keyId = try Validate.uuid("keyId", in: context)
        let body = try await request.decodeJSON(as: UpdateRepositoryKeyRequest.self)
        let name = try body.name.map { try Validate.text($0, field: "name", maxLength: 100) }
        let access = try body.accessType.map { try Self.access($0, issuedWith: role) }
        guard try await self.repositories.updateKey(id: keyId, repositoryId: repository.id, name: name, access: access) else {
            throw Self.keyNotFound
        }
        return SuccessResponse()
    }

    @Sendable func deleteKey(_ request: Request, context: AuthenticatedContext) async throws -> SuccessResponse {
        let repository = try await self.visibleRepository(context, for: .changeWorkspaceContent)
        let keyId = try Validate.uuid("keyId", in: context)
        guard try await self.repositories.revokeKey(id: keyId, repositoryId: repository.id, now: self.timeSource.now) else {
            throw Self.keyNotFound
        }
        return SuccessResponse()
    }

    /// Where a MIRROR repository's mirrors stand (a NORMAL repository has nothing to replicate).
    @Sendable func replicationStatus(_ request: Request, context: AuthenticatedContext) async throws -> ReplicationResponse {
        let repository = try await self.visibleRepository(context, for: .viewWorkspace)
        return ReplicationResponse(try await self.replication.summary(repositoryId: repository.id, now: self.timeSource.now, limit: 1000))
    }

    @Sendable func retryReplication(_ request: Request, context: AuthenticatedContext) async throws -> ReplicationRetryResponse {
        let repository = try await self.visibleRepository(context, for: .changeWorkspaceContent)
        return ReplicationRetryResponse(retried: try await self.replication.retry(repositoryId: repository.id, now: self.timeSource.now))
    }

    static let keyNotFound = CisternError(.notFound, code: RepositoryErrorCode.notFound.rawValue, message: "Key not found")

    // MARK: The one path of judgement

    /// Throws the first rule `repository` breaks, judged on the store's facts and, for NORMAL
    /// members an update drops, on whether their folders still hold objects at the provider.
    private func judge(_ repository: Repository, name: String?, principal: Principal, updating current: Repository?) async throws {
        var facts = try await self.repositories.facts(
            orgId: principal.orgId, scope: AccessPolicy.readScope(of: principal), name: name, members: repository.members,
            repositoryId: current?.id, limit: self.repositoriesPerOrganization
        )
        if let current, current.mode == .normal, repository.mode == .normal {
            for member in RepositoryRules.droppedMembers(current: current.members, next: repository.members) {
                if try await self.folderHoldsObjects(member, repoId: current.id) { facts.nonEmptyFolders.insert(member) }
            }
        }
        if let error = RepositoryRules.check(mode: repository.mode, members: repository.members, facts: facts, repoId: current?.id) {
            throw error
        }
    }

    /// Asks the provider whether a member's folder holds objects. A folder that cannot be checked
    /// is kept: removing it could orphan data nobody can see any more.
    private func folderHoldsObjects(_ member: RepositoryMember, repoId: UUID) async throws -> Bool {
        guard let bucket = try await self.buckets.bucket(id: member.bucketId) else { return false }
        do {
            let connection = try bucket.connection(unsealingWith: self.sealer)
            return try await self.providers.provider(for: bucket.storageType).hasObjects(connection, prefix: member.prefix)
        } catch let error as ProviderError {
            throw CisternError.repository(
                .normalFolderCannotBeDeleted, "Could not check whether folder '\(member.folder)' is empty: \(error)", repoId: repoId
            )
        }
    }

    /// The repository of the path, what the body makes of it, and which fields that changes.
    private func proposedUpdate(
        _ request: Request, _ context: AuthenticatedContext, action: Action = .changeWorkspaceContent
    ) async throws
        -> (current: Repository, next: Repository, fields: RepositoryFields)
    {
        let current = try await self.visibleRepository(context, for: action)
        let body = try await request.decodeJSON(as: UpdateRepositoryRequest.self)
        var next = current
        if let name = body.name { next.name = try Validate.text(name, field: "name", maxLength: 100) }
        if let type = body.storageType { next.storageType = try Validate.storageType(type) }
        if let mode = body.mode { next.mode = try Self.mode(mode) }
        if let members = body.repoBuckets {
            next.members = try Self.members(members, mode: next.mode)
        } else if next.mode != current.mode {
            throw CisternError.invalid("repoBuckets", "is required when the mode changes")
        }
        if let workspace = body.workspaceId {
            next.workspaceId = try Validate.uuid(workspace, field: "workspaceId")
            if next.workspaceId != current.workspaceId {
                try await self.authorizer.require(action, in: next.workspaceId, by: context.principal)
            }
        }
        var fields: RepositoryFields = []
        if next.name != current.name { fields.insert(.name) }
        if next.storageType != current.storageType { fields.insert(.storageType) }
        if next.workspaceId != current.workspaceId { fields.insert(.workspace) }
        if body.repoBuckets != nil { fields.insert(.members) }
        return (current, next, fields)
    }

    /// The repository of the path, when the caller may see it (else 404) and perform `action` (else 403).
    private func visibleRepository(_ context: AuthenticatedContext, for action: Action) async throws -> Repository {
        try await self.visibleRepositoryAndRole(context, for: action).repository
    }

    /// `visibleRepository`, with the role the caller acts with in its workspace.
    private func visibleRepositoryAndRole(
        _ context: AuthenticatedContext, for action: Action
    ) async throws
        -> (repository: Repository, role: WorkspaceRole)
    {
        let id = try Validate.uuid("repoId", in: context)
        let notFound = CisternError.repository(.notFound, "Repository not found", repoId: id)
        guard let repository = try await self.repositories.repository(id: id), repository.orgId == context.principal.orgId else {
            throw notFound
        }
        let access = try await self.authorizer.require(action, in: repository.workspaceId, by: context.principal, notFound: notFound)
        guard let role = AccessPolicy.effectiveRole(of: context.principal, in: access) else { throw notFound }
        return (repository, role)
    }

    /// Repositories as the API shows them, with each member's bucket and the keys' metadata.
    private func responses(_ repositories: [Repository]) async throws -> [RepositoryResponse] {
        let bucketIds = Array(Set(repositories.flatMap { $0.members.map(\.bucketId) }))
        let references = try await self.repositories.references(bucketIds: bucketIds)
        var buckets: [UUID: BucketResponse] = [:]
        for bucket in try await self.buckets.buckets(ids: bucketIds) {
            buckets[bucket.id] = BucketResponse(bucket, repos: references[bucket.id] ?? [])
        }
        let keys = Dictionary(grouping: try await self.repositories.keys(repositoryIds: repositories.map(\.id)), by: \.repositoryId)
        return repositories.map { RepositoryResponse($0, buckets: buckets, keys: keys[$0.id] ?? []) }
    }

    // MARK: Reading requests

    static func mode(_ value: String) throws -> RepositoryMode {
        guard let mode = RepositoryMode(rawValue: value.uppercased()) else { throw CisternError.invalid("mode", "must be NORMAL or MIRROR") }
        return mode
    }

    /// A key's access from a request, which may not exceed the role of the caller issuing it.
    static func access(_ value: String, issuedWith role: WorkspaceRole) throws -> RepositoryAccess {
        guard let access = RepositoryAccess(rawValue: value.uppercased()) else {
            throw CisternError.invalid("accessType", "must be one of READ, WRITE, ADMIN")
        }
        guard AccessPolicy.mayIssue(access, withRole: role) else {
            throw CisternError(.forbidden, message: "accessType: a \(access.rawValue) key needs the \(access.rawValue) role in the workspace")
        }
        return access
    }

    /// Members from a request: folders are key prefixes without leading or trailing slashes
    /// (`reports/2024/` is stored as `reports/2024`); MIRROR members are whole buckets, each once.
    static func members(_ requests: [RepositoryMemberRequest], mode: RepositoryMode) throws -> [RepositoryMember] {
        guard requests.count <= 100 else { throw CisternError.invalid("repoBuckets", "must hold at most 100 members") }
        var members: [RepositoryMember] = []
        for (index, request) in requests.enumerated() {
            let field = "repoBuckets[\(index)]"
            let bucketId = try Validate.uuid(request.bucketId, field: "\(field).bucketId")
            let folder = try RepositoryMember.normalizedFolder(request.folder ?? "", field: "\(field).folder")
            switch mode {
            case .mirror:
                if !folder.isEmpty { throw CisternError.invalid("\(field).folder", "must be empty: MIRROR members are whole buckets") }
                if members.contains(where: { $0.bucketId == bucketId }) {
                    throw CisternError.invalid("\(field).bucketId", "appears twice: MIRROR members are whole buckets")
                }
                members.append(RepositoryMember(bucketId: bucketId, isMaster: request.master ?? false))
            case .normal:
                members.append(RepositoryMember(bucketId: bucketId, folder: folder))
            }
        }
        return members
    }
}
