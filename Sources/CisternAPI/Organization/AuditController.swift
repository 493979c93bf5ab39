import CisternCore
import CisternStore
import CisternWire
import Foundation
import Hummingbird

/// `GET /audit`: the organization's audit log, for callers with global access (docs/api.md).
struct AuditController {
    let database: Database
    static let defaultLimit = 100
    static let maximumLimit = 1_000

    func addRoutes(to router: some RouterMethods<AuthenticatedContext>) {
        router.get("/audit", use: self.list)
    }

    @Sendable func list(_ request: Request, context: AuthenticatedContext) async throws -> AuditListResponse {
        guard AccessPolicy.decide(context.principal, .readAuditLog) == .allowed else { throw Authorizer.insufficientPermissions }
        var query = AuditQuery(
            orgId: context.principal.orgId, actorId: try request.optionalUUID("actor"), action: try Self.text(request, "action"),
            target: try Self.text(request, "target"), from: try request.instant("from", endOfDay: false),
            to: try request.instant("to", endOfDay: true).map { $0.addingTimeInterval(0.001) }, limit: try Self.limit(request),
            cursor: try Self.cursor(request)
        )
        // One more than asked tells whether another page follows.
        query.limit += 1
        var events = try await self.database.auditEvents(query)
        let more = events.count == query.limit
        if more { events.removeLast() }
        let next = more ? events.last.map { "\($0.at.millisecondsSince1970).\($0.id.canonical)" } : nil
        return AuditListResponse(events: events.map(AuditListResponse.Event.init), nextCursor: next)
    }

    static func text(_ request: Request, _ name: String) throws -> String? {
        guard let value = request.uri.queryParameters[name[...]].map(String.init), !value.isEmpty else { return nil }
        guard value.utf8.count <= 200 else { throw CisternError.invalid(name, "must be at most 200 bytes") }
        return value
    }

    static func limit(_ request: Request) throws -> Int {
        guard let text = request.uri.queryParameters["limit"].map(String.init), !text.isEmpty else { return self.defaultLimit }
        guard let limit = Int(text), (1...self.maximumLimit).contains(limit) else {
            throw CisternError.invalid("limit", "must be a whole number from 1 to \(self.maximumLimit)")
        }
        return limit
    }

    /// `<milliseconds>.<event id>`, as `nextCursor` gave it.
    static func cursor(_ request: Request) throws -> AuditQuery.Cursor? {
        guard let text = request.uri.queryParameters["cursor"].map(String.init), !text.isEmpty else { return nil }
        let parts = text.split(separator: ".", maxSplits: 1)
        guard parts.count == 2, let milliseconds = Int64(parts[0]), let id = UUID(canonical: String(parts[1])) else {
            throw CisternError.invalid("cursor", "must be a nextCursor from an earlier page")
        }
        return AuditQuery.Cursor(at: Date(millisecondsSince1970: milliseconds), id: id)
    }
}

extension AuditListResponse: ResponseEncodable {}

extension AuditListResponse.Event {
    init(_ event: AuditEvent) {
        self.init(
            id: event.id.canonical, at: CivilDate.iso8601Milliseconds(secondsSince1970: event.at.timeIntervalSince1970),
            actorId: event.actorId?.canonical, actorEmail: event.actorEmail, action: event.action, target: event.target,
            outcome: event.outcome.rawValue, status: event.status, clientAddress: event.clientAddress, userAgent: event.userAgent,
            details: event.details
        )
    }
}
