import CisternCore
import Foundation
import SQLKit

/// The audit log (`audit_events`, schema 9): appended in the transaction of the change it records,
/// or on its own for a refused request; read newest first.
extension Database {
    /// Appends the current request's event for a change made in `sql`'s transaction. `target` is
    /// `kind/id`; `details` must never hold a secret. Nothing happens outside an audited request,
    /// nor once the request's event is recorded (by an earlier transaction of the same request).
    public func audit(on sql: any SQLDatabase, target: String, details: [String: String] = [:], actor: AuditTrail.Actor? = nil) async throws {
        guard let trail = AuditTrail.current, trail.claim() else { return }
        if let actor { trail.identify(actor) }
        try await Self.insert(trail.event(target: target, outcome: .success, status: nil, details: details), sql)
    }

    /// Appends `event` in a transaction of its own (a refused request: nothing else to commit).
    public func appendAudit(_ event: AuditEvent) async throws {
        try await self.transaction { sql in try await Self.insert(event, sql) }
    }

    /// One page of an organization's events (and the installation's own), newest first.
    public func auditEvents(_ query: AuditQuery) async throws -> [AuditEvent] {
        var conditions: [SQLQueryString] = ["(org_id = \(bind: query.orgId.canonical) OR org_id IS NULL)"]
        if let actorId = query.actorId { conditions.append("actor_id = \(bind: actorId.canonical)") }
        if let action = query.action {
            if action.hasSuffix(".*") {
                let prefix = action.dropLast().replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                    .replacingOccurrences(of: "_", with: "\\_")
                conditions.append("action LIKE \(bind: prefix + "%") ESCAPE '\\'")
            } else {
                conditions.append("action = \(bind: action)")
            }
        }
        if let target = query.target { conditions.append("target = \(bind: target)") }
        if let from = query.from { conditions.append("at >= \(bind: from.millisecondsSince1970)") }
        if let to = query.to { conditions.append("at < \(bind: to.millisecondsSince1970)") }
        if let cursor = query.cursor {
            let at = cursor.at.millisecondsSince1970
            conditions.append("(at < \(bind: at) OR (at = \(bind: at) AND id < \(bind: cursor.id.canonical)))")
        }
        let rows = try await self.withConnection { sql in
            try await sql.raw(
                """
                SELECT id, at, org_id, actor_id, actor_email, action, target, outcome, status, client_address, user_agent, details
                FROM audit_events WHERE \(conditions.joined(separator: " AND "))
                ORDER BY at DESC, id DESC LIMIT \(bind: query.limit)
                """
            ).all()
        }
        return try rows.map(Self.auditEvent)
    }

    private static func insert(_ event: AuditEvent, _ sql: any SQLDatabase) async throws {
        let details = String(decoding: try Self.detailsEncoder.encode(event.details), as: UTF8.self)
        try await sql.raw(
            """
            INSERT INTO audit_events (id, at, org_id, actor_id, actor_email, action, target, outcome, status, client_address,
                                      user_agent, details)
            VALUES (\(bind: event.id.canonical), \(bind: event.at.millisecondsSince1970), \(bind: event.orgId?.canonical),
                    \(bind: event.actorId?.canonical), \(bind: event.actorEmail), \(bind: event.action), \(bind: event.target),
                    \(bind: event.outcome.rawValue), \(bind: event.status), \(bind: event.clientAddress), \(bind: event.userAgent),
                    \(bind: details))
            """
        ).run()
    }

    private static func auditEvent(_ row: any SQLRow) throws -> AuditEvent {
        AuditEvent(
            id: try row.uuid("id"), at: try row.date("at"), orgId: try row.optional("org_id", as: String.self).flatMap(UUID.init(canonical:)),
            actorId: try row.optional("actor_id", as: String.self).flatMap(UUID.init(canonical:)),
            actorEmail: try row.optional("actor_email", as: String.self), action: try row.decode(column: "action", as: String.self),
            target: try row.optional("target", as: String.self), outcome: try row.enumeration("outcome", as: AuditEvent.Outcome.self),
            status: try row.optional("status", as: Int.self), clientAddress: try row.decode(column: "client_address", as: String.self),
            userAgent: try row.decode(column: "user_agent", as: String.self),
            details: try JSONDecoder().decode([String: String].self, from: Data(try row.decode(column: "details", as: String.self).utf8))
        )
    }

    private static var detailsEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }
}
