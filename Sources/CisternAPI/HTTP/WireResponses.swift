import CisternCore
import CisternStore
import CisternWire
import Hummingbird

// The wire types (CisternWire) that handlers return as whole responses.
extension SessionResponse: ResponseEncodable {}
extension RefreshResponse: ResponseEncodable {}
extension ProfileResponse: ResponseEncodable {}
extension TokenListResponse: ResponseEncodable {}
extension SuccessResponse: ResponseEncodable {}
extension BucketListResponse: ResponseEncodable {}
extension BucketCreatedResponse: ResponseEncodable {}
extension BucketUpdatedResponse: ResponseEncodable {}
extension BucketValidationResponse: ResponseEncodable {}
extension BucketStatusResponse: ResponseEncodable {}
extension OrgUserEnvelope: ResponseEncodable {}
extension OrgUserListResponse: ResponseEncodable {}
extension RoleChangeResponse: ResponseEncodable {}
extension RepositoryListResponse: ResponseEncodable {}
extension RepositoryCreatedResponse: ResponseEncodable {}
extension RepositoryKeyCreatedResponse: ResponseEncodable {}
extension RepositoryKeyListResponse: ResponseEncodable {}
extension ReplicationResponse: ResponseEncodable {}
extension ReplicationRetryResponse: ResponseEncodable {}
extension WorkspaceSummaryEnvelope: ResponseEncodable {}
extension WorkspaceEnvelope: ResponseEncodable {}
extension WorkspaceListResponse: ResponseEncodable {}
extension TrafficTotalsResponse: ResponseEncodable {}
extension TrafficRowsResponse: ResponseEncodable {}

// Wire types built from what the stores return.

extension BucketResponse {
    init(_ bucket: Bucket, repos: [RepositoryReference]) {
        self.init(
            id: bucket.id.canonical, name: bucket.name, bucket: bucket.bucket, storageType: bucket.storageType.rawValue, key: bucket.key,
            endpoint: bucket.endpoint, region: bucket.region, status: bucket.status?.rawValue, lastStatusAt: bucket.lastStatusAt,
            latency_ms: bucket.latencyMs, createdAt: bucket.createdAt, workspaceId: bucket.workspaceId.canonical,
            repos: repos.map {
                RepositoryUse(id: $0.id.canonical, name: $0.name, storageType: $0.storageType.rawValue, createdAt: $0.createdAt)
            }
        )
    }
}

extension ReplicationResponse {
    init(_ summary: ReplicationSummary) {
        self.init(
            pending: summary.pending, failed: summary.failed, completedLastDay: summary.completedLastDay,
            items: summary.items.map { item in
                Item(
                    key: item.key, bucketId: item.bucketId.canonical, operation: item.operation.rawValue, state: item.state.rawValue,
                    attempts: item.attempts, lastError: item.lastError, updatedAt: item.updatedAt
                )
            },
            backfills: summary.backfills.map { BackfillProgress(bucketId: $0.bucketId.canonical, listed: $0.listed, done: $0.done) }
        )
    }
}

extension WorkspaceResponse {
    init(_ details: WorkspaceDetails) {
        self.init(
            id: details.workspace.id.canonical, name: details.workspace.name, orgId: details.workspace.orgId.canonical,
            default: details.workspace.isDefault,
            users: details.members.map { member in
                Member(
                    userId: member.user.id.canonical, role: member.role.rawValue,
                    user: .init(
                        id: member.user.id.canonical, name: member.user.firstName, lastName: member.user.lastName, email: member.user.email,
                        orgRole: member.user.orgRole.rawValue
                    )
                )
            }
        )
    }
}

extension AvailableBucket {
    init(_ bucket: BucketSummary) {
        self.init(
            id: bucket.id.canonical, name: bucket.name, storageType: bucket.storageType.rawValue, bucket: bucket.bucket, key: bucket.key,
            status: bucket.status?.rawValue, workspaceId: bucket.workspaceId.canonical, createdAt: bucket.createdAt
        )
    }
}
