import CisternAPI
import Foundation
import HTTPTypes
import Testing

/// Every actor against every workspace and user action, through HTTP, with the exact status.
/// Later endpoints add their rows to `MatrixRow.all`.
@Suite("Authorization matrix")
struct AuthorizationMatrixTests {
    @Test(arguments: MatrixRow.all, Actor.allCases)
    func statusFollowsThePolicy(row: MatrixRow, actor: Actor) async throws {
        try await TestApp { $0.validateBuckets = false }.run { api in
            let world = try await World.build(api, withBucket: true, withRepository: true)
            let request = row.request(world)
            let response = try await api.request(request.method, request.uri, json: request.body, token: world.tokens[actor]!)
            let expected = row.expected[Actor.allCases.firstIndex(of: actor)!]
            #expect(response.status.code == expected, "\(row.name) as \(actor): \(response.text)")
            if response.status.code >= 400 {
                #expect(response["success"] as? Bool == false)
            }
        }
    }
}

/// One action and the status each actor gets, in `Actor.allCases` order:
/// owner, administrators, workspaces, billing, plainUser, readMember, writeMember, adminMember, foreignOwner.
struct MatrixRow: Sendable, CustomTestStringConvertible {
    let name: String
    let expected: [Int]
    let request: @Sendable (World) -> (method: HTTPRequest.Method, uri: String, body: [String: any Sendable]?)

    var testDescription: String { self.name }

    static let all: [MatrixRow] = [
        // Workspaces
        MatrixRow(name: "GET /workspace/{id}", expected: [200, 200, 200, 404, 404, 200, 200, 200, 404]) {
            (.get, "/workspace/\($0.projectId)", nil)
        },
        MatrixRow(name: "PUT /workspace/{id}", expected: [200, 200, 200, 404, 404, 403, 403, 200, 404]) {
            (.put, "/workspace/\($0.projectId)", ["name": "Renamed"])
        },
        // The project holds a bucket: whoever may delete it is told it is not empty (400), others 403 or 404.
        MatrixRow(name: "DELETE /workspace/{id}", expected: [400, 400, 400, 404, 404, 403, 403, 400, 404]) {
            (.delete, "/workspace/\($0.projectId)", nil)
        },
        MatrixRow(name: "POST /workspace/{id}/users", expected: [200, 200, 200, 404, 404, 403, 403, 200, 404]) {
            (.post, "/workspace/\($0.projectId)/users", ["userId": $0.outsiderId, "role": "READ"])
        },
        MatrixRow(name: "PUT /workspace/{id}/users/{userId}", expected: [200, 200, 200, 404, 404, 403, 403, 200, 404]) {
            (.put, "/workspace/\($0.projectId)/users/\($0.targetId)", ["role": "WRITE"])
        },
        MatrixRow(name: "DELETE /workspace/{id}/users/{userId}", expected: [200, 200, 200, 404, 404, 403, 403, 200, 404]) {
            (.delete, "/workspace/\($0.projectId)/users/\($0.targetId)", nil)
        },
        MatrixRow(name: "POST /workspace", expected: [201, 201, 201, 403, 403, 403, 403, 403, 201]) { _ in
            (.post, "/workspace", ["name": "Another"])
        },
        MatrixRow(name: "GET /workspace", expected: [200, 200, 200, 200, 200, 200, 200, 200, 200]) { _ in
            (.get, "/workspace", nil)
        },
        // Organization users and roles
        MatrixRow(name: "GET /organization/users", expected: [200, 200, 200, 403, 403, 403, 403, 403, 200]) { _ in
            (.get, "/organization/users", nil)
        },
        MatrixRow(name: "POST /organization/users", expected: [201, 201, 201, 403, 403, 403, 403, 403, 201]) { _ in
            (
                .post, "/organization/users",
                [
                    "email": "new-\(UUID().uuidString.prefix(8))@a.example", "password": "Passw0rd!",
                    "firstName": "N", "lastName": "U",
                ]
            )
        },
        MatrixRow(name: "GET /organization/users/{id}", expected: [200, 200, 200, 403, 403, 403, 403, 403, 404]) {
            (.get, "/organization/users/\($0.targetId)", nil)
        },
        MatrixRow(name: "PUT /organization/users/{id}", expected: [200, 200, 200, 403, 403, 403, 403, 403, 404]) {
            (.put, "/organization/users/\($0.targetId)", ["lastName": "Changed"])
        },
        MatrixRow(name: "DELETE /organization/users/{id}", expected: [200, 200, 200, 403, 403, 403, 403, 403, 404]) {
            (.delete, "/organization/users/\($0.targetId)", nil)
        },
        MatrixRow(name: "PUT /user/{id}/role", expected: [200, 200, 200, 403, 403, 403, 403, 403, 404]) {
            (.put, "/user/\($0.targetId)/role", ["orgRole": 1])
        },
        // Buckets
        MatrixRow(name: "GET /bucket", expected: [200, 200, 200, 200, 200, 200, 200, 200, 200]) { _ in
            (.get, "/bucket", nil)
        },
        MatrixRow(name: "GET /bucket?workspaceId", expected: [200, 200, 200, 404, 404, 200, 200, 200, 404]) {
            (.get, "/bucket?workspaceId=\($0.projectId)", nil)
        },
        MatrixRow(name: "GET /bucket/available", expected: [200, 200, 200, 200, 200, 200, 200, 200, 200]) { _ in
            (.get, "/bucket/available", nil)
        },
        MatrixRow(name: "GET /bucket/available?workspaceId", expected: [200, 200, 200, 404, 404, 200, 200, 200, 404]) {
            (.get, "/bucket/available?workspaceId=\($0.projectId)", nil)
        },
        MatrixRow(name: "POST /bucket", expected: [200, 200, 200, 404, 404, 403, 200, 200, 404]) {
            (
                .post, "/bucket",
                [
                    "name": "New bucket", "bucket": "b", "storageType": "S3", "key": "k", "secret": "s",
                    "workspaceId": $0.projectId,
                ]
            )
        },
        MatrixRow(name: "PUT /bucket/{id}", expected: [200, 200, 200, 404, 404, 403, 200, 200, 404]) {
            (.put, "/bucket/\($0.bucketId!)", ["name": "Renamed bucket"])
        },
        MatrixRow(name: "DELETE /bucket/{id}", expected: [200, 200, 200, 404, 404, 403, 200, 200, 404]) {
            (.delete, "/bucket/\($0.bucketId!)", nil)
        },
        MatrixRow(name: "POST /bucket/{id}/validate", expected: [200, 200, 200, 404, 404, 200, 200, 200, 404]) {
            (.post, "/bucket/\($0.bucketId!)/validate", nil)
        },
        MatrixRow(name: "GET /bucket/{id}/status", expected: [200, 200, 200, 404, 404, 200, 200, 200, 404]) {
            (.get, "/bucket/\($0.bucketId!)/status", nil)
        },
        // Repositories and their keys
        MatrixRow(name: "GET /repo", expected: [200, 200, 200, 200, 200, 200, 200, 200, 200]) { _ in
            (.get, "/repo", nil)
        },
        MatrixRow(name: "GET /repo?workspaceId", expected: [200, 200, 200, 404, 404, 200, 200, 200, 404]) {
            (.get, "/repo?workspaceId=\($0.projectId)", nil)
        },
        MatrixRow(name: "POST /repo", expected: [200, 200, 200, 404, 404, 403, 200, 200, 404]) {
            (
                .post, "/repo",
                [
                    "name": "New repo", "storageType": "S3", "mode": "NORMAL", "workspaceId": $0.projectId,
                    "repoBuckets": [["bucketId": $0.bucketId!, "folder": "new"]],
                ]
            )
        },
        // Judged as a create: the bucket must be visible to the caller.
        MatrixRow(name: "POST /repo/validate", expected: [200, 200, 200, 404, 404, 200, 200, 200, 404]) {
            (.post, "/repo/validate", ["mode": "NORMAL", "repoBuckets": [["bucketId": $0.bucketId!, "folder": "new"]]])
        },
        MatrixRow(name: "PUT /repo/{id}", expected: [200, 200, 200, 404, 404, 403, 200, 200, 404]) {
            (.put, "/repo/\($0.repositoryId!)", ["name": "Renamed repo"])
        },
        MatrixRow(name: "POST /repo/{id}/validate", expected: [200, 200, 200, 404, 404, 200, 200, 200, 404]) {
            (.post, "/repo/\($0.repositoryId!)/validate", ["name": "Renamed repo"])
        },
        MatrixRow(name: "DELETE /repo/{id}", expected: [200, 200, 200, 404, 404, 403, 200, 200, 404]) {
            (.delete, "/repo/\($0.repositoryId!)", nil)
        },
        MatrixRow(name: "POST /repo/{id}/apikey", expected: [200, 200, 200, 404, 404, 403, 200, 200, 404]) {
            (.post, "/repo/\($0.repositoryId!)/apikey", ["name": "k", "accessType": "WRITE"])
        },
        MatrixRow(name: "GET /repo/{id}/apikey", expected: [200, 200, 200, 404, 404, 200, 200, 200, 404]) {
            (.get, "/repo/\($0.repositoryId!)/apikey", nil)
        },
        MatrixRow(name: "PUT /repo/{id}/apikey/{keyId}", expected: [200, 200, 200, 404, 404, 403, 200, 200, 404]) {
            (.put, "/repo/\($0.repositoryId!)/apikey/\($0.repositoryKeyId!)", ["name": "renamed"])
        },
        MatrixRow(name: "GET /bucket/stats", expected: [200, 200, 200, 200, 200, 200, 200, 200, 200]) { _ in (.get, "/bucket/stats", nil) },
        MatrixRow(name: "GET /repo/stats", expected: [200, 200, 200, 200, 200, 200, 200, 200, 200]) { _ in (.get, "/repo/stats", nil) },
        MatrixRow(name: "GET /stats/daily", expected: [200, 200, 200, 200, 200, 200, 200, 200, 200]) { _ in (.get, "/stats/daily", nil) },
        MatrixRow(name: "GET /stats/minute", expected: [200, 200, 200, 200, 200, 200, 200, 200, 200]) { _ in (.get, "/stats/minute", nil) },
        MatrixRow(name: "GET /repo/{id}/replication", expected: [200, 200, 200, 404, 404, 200, 200, 200, 404]) {
            (.get, "/repo/\($0.repositoryId!)/replication", nil)
        },
        MatrixRow(name: "POST /repo/{id}/replication/retry", expected: [200, 200, 200, 404, 404, 403, 200, 200, 404]) {
            (.post, "/repo/\($0.repositoryId!)/replication/retry", nil)
        },
        MatrixRow(name: "DELETE /repo/{id}/apikey/{keyId}", expected: [200, 200, 200, 404, 404, 403, 200, 200, 404]) {
            (.delete, "/repo/\($0.repositoryId!)/apikey/\($0.repositoryKeyId!)", nil)
        },
        // The audit log: global access, each organization its own.
        MatrixRow(name: "GET /audit", expected: [200, 200, 200, 403, 403, 403, 403, 403, 200]) { _ in (.get, "/audit", nil) },
    ]
}
