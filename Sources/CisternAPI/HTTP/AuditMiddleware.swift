import CisternCore
import CisternStore
import Foundation
import Hummingbird
import Logging

/// A request context whose caller the audit log can name.
protocol AuditedContext: RequestContext {
    /// Who acts, as far as the route knows before serving (nobody yet on the public routes).
    var auditActor: AuditTrail.Actor { get }
    var peerAddress: String { get }
}

extension AppRequestContext: AuditedContext {
    var auditActor: AuditTrail.Actor { AuditTrail.Actor() }
}

extension AuthenticatedContext: AuditedContext {
    var auditActor: AuditTrail.Actor {
        AuditTrail.Actor(orgId: self.principal.orgId, userId: self.principal.userId, email: self.principal.email)
    }
}

/// Puts every request of an audited route (`AuditedRoutes`) on the audit log.
///
/// The request runs with an `AuditTrail`: the store that makes its change appends the event in
/// the change's transaction. A request that fails (refused, invalid, not found, a wrong password)
/// is appended here afterwards with the status it was answered with. A request that succeeds
/// without changing anything (revoking a session already ended) leaves no event.
struct AuditMiddleware<Context: AuditedContext>: RouterMiddleware {
    let database: Database
    let clientAddress: ClientAddress
    let timeSource: any TimeSource

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method != .get, let route = context.endpointPath, let action = AuditedRoutes.action(request.method, route) else {
            return try await next(request, context)
        }
        let trail = AuditTrail(
            action: action, at: self.timeSource.now, clientAddress: self.clientAddress.of(request, peer: context.peerAddress),
            userAgent: (request.headers[.userAgent] ?? "").printable(limit: 256), actor: context.auditActor
        )
        do {
            return try await AuditTrail.$current.withValue(trail) { try await next(request, context) }
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            var details: [String: String] = [:]
            if let error = error as? CisternError { details["error"] = error.code ?? error.message }
            let event = trail.event(target: Self.target(route: route, context: context), outcome: .failure, status: status, details: details)
            do {
                try await self.database.appendAudit(event)
            } catch let auditError {
                context.logger.error("could not record a refused request in the audit log", metadata: ["error": "\(auditError)"])
            }
            throw error
        }
    }

    /// What a refused request named: its route's last identifier, when it is one.
    static func target(route: String, context: Context) -> String? {
        for (parameter, kind) in AuditedRoutes.targetKinds.reversed() where route.contains("{\(parameter)}") {
            guard let value = context.parameters.get(parameter), let id = UUID(uuidString: value) else { return nil }
            return "\(kind)/\(id.canonical)"
        }
        return nil
    }
}

/// The audit log's name for each route that changes something. Every route that is not `GET`
/// is here or in `unaudited`, with its reason (AuditTests holds the router to that).
enum AuditedRoutes {
    static let actions: [String: String] = [
        "POST /user/register": "user.register",
        "POST /user/login": "session.login",
        "POST /user/refresh": "session.refresh",
        "POST /user/logout": "session.logout",
        "DELETE /token/{tokenId}": "session.revoke",
        "POST /organization/users": "user.create",
        "PUT /organization/users/{userId}": "user.update",
        "DELETE /organization/users/{userId}": "user.delete",
        "PUT /user/{userId}/role": "user.role",
        "POST /workspace": "workspace.create",
        "PUT /workspace/{workspaceId}": "workspace.rename",
        "DELETE /workspace/{workspaceId}": "workspace.delete",
        "POST /workspace/{workspaceId}/users": "workspace.member.add",
        "PUT /workspace/{workspaceId}/users/{userId}": "workspace.member.role",
        "DELETE /workspace/{workspaceId}/users/{userId}": "workspace.member.remove",
        "POST /bucket": "bucket.create",
        "PUT /bucket/{bucketId}": "bucket.update",
        "DELETE /bucket/{bucketId}": "bucket.delete",
        "POST /bucket/{bucketId}/validate": "bucket.check",
        "POST /repo": "repository.create",
        "PUT /repo/{repoId}": "repository.update",
        "DELETE /repo/{repoId}": "repository.delete",
        "POST /repo/{repoId}/apikey": "key.create",
        "PUT /repo/{repoId}/apikey/{keyId}": "key.update",
        "DELETE /repo/{repoId}/apikey/{keyId}": "key.delete",
        "POST /repo/{repoId}/replication/retry": "replication.retry",
    ]

    /// Routes that are not `GET` and change nothing, so they are not on the log.
    static let unaudited: [String: String] = [
        "POST /repo/validate": "a dry run of POST /repo",
        "POST /repo/{repoId}/validate": "a dry run of PUT /repo/{repoId}",
    ]

    /// Path parameters and the kind of thing each names, outermost first.
    static let targetKinds: [(parameter: String, kind: String)] = [
        ("workspaceId", "workspace"), ("bucketId", "bucket"), ("repoId", "repository"), ("userId", "user"), ("tokenId", "session"),
        ("keyId", "key"),
    ]

    static func action(_ method: HTTPRequest.Method, _ route: String) -> String? {
        self.actions["\(method.rawValue) \(route)"]
    }
}
