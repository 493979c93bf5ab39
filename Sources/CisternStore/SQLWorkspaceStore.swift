import CisternCore
import Foundation
import SQLKit

/// `WorkspaceStore` over the SQL database.
public struct SQLWorkspaceStore: WorkspaceStore {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    public func create(_ workspace: Workspace, adminId: UUID) async throws {
        try await self.translatingNameConflicts {
            try await self.database.transaction { sql in
                try await sql.raw(
                    """
                    INSERT INTO workspaces (id, org_id, name, name_key, is_default, created_at)
                    VALUES (\(bind: workspace.id.canonical), \(bind: workspace.orgId.canonical), \(bind: workspace.name),
                            \(bind: NameKey.of(workspace.name)), \(bind: workspace.isDefault), \(bind: workspace.createdAt.millisecondsSince1970))
                    """
                ).run()
                try await sql.raw(
                    """
                    INSERT INTO workspace_members (workspace_id, user_id, role, created_at)
                    VALUES (\(bind: workspace.id.canonical), \(bind: adminId.canonical), \(bind: WorkspaceRole.admin.rawValue),
                            \(bind: workspace.createdAt.millisecondsSince1970))
                    """
                ).run()
                try await self.database.audit(on: sql, target: "workspace/\(workspace.id.canonical)", details: ["name": workspace.name])
            }
        }
    }

    public func access(workspaceId: UUID, userId: UUID) async throws -> WorkspaceAccess? {
        try await self.database.withConnection { sql in
            guard
                let row = try await sql.raw(
                    """
                    SELECT w.org_id AS org_id, m.role AS role FROM workspaces w
                    LEFT JOIN workspace_members m ON m.workspace_id = w.id AND m.user_id = \(bind: userId.canonical)
                    WHERE w.id = \(bind: workspaceId.canonical) AND w.deleted_at IS NULL
                    """
                ).first()
            else { return nil }
            let membership = try row.decodeNil(column: "role") ? nil : try row.enumeration("role", as: WorkspaceRole.self)
            return WorkspaceAccess(workspaceId: workspaceId, orgId: try row.uuid("org_id"), membership: membership)
        }
    }

    public func details(workspaceId: UUID) async throws -> WorkspaceDetails? {
        try await self.fetch(where: "w.id = \(bind: workspaceId.canonical)").first
    }

    public func list(_ scope: ReadScope) async throws -> [WorkspaceDetails] {
        try await self.fetch(where: scope.condition(organization: "w.org_id", workspace: "w.id"))
    }

    public func rename(workspaceId: UUID, to name: String) async throws -> Workspace {
        try await self.translatingNameConflicts {
            try await self.database.transaction { sql in
                guard
                    let row = try await sql.raw(
                        """
                        UPDATE workspaces SET name = \(bind: name), name_key = \(bind: NameKey.of(name))
                        WHERE id = \(bind: workspaceId.canonical) AND deleted_at IS NULL
                        RETURNING \(Columns.workspace("workspaces"))
                        """
                    ).first()
                else { throw CisternError.workspaceNotFound }
                try await self.database.audit(on: sql, target: "workspace/\(workspaceId.canonical)", details: ["name": name])
                return try row.workspace()
            }
        }
    }

    public func delete(workspaceId: UUID, now: Date) async throws {
        try await self.database.transaction { sql in
            guard
                let row = try await sql.raw(
                    "SELECT is_default FROM workspaces WHERE id = \(bind: workspaceId.canonical) AND deleted_at IS NULL"
                ).first()
            else { throw CisternError.workspaceNotFound }
            guard try !row.decode(column: "is_default", as: Bool.self) else { throw CisternError.defaultWorkspaceUndeletable }
            guard try await Self.holdsContent(workspaceId: workspaceId, sql) == false else { throw CisternError.workspaceNotEmpty }
            try await sql.raw(
                "UPDATE workspaces SET deleted_at = \(bind: now.millisecondsSince1970) WHERE id = \(bind: workspaceId.canonical)"
            ).run()
            try await self.database.audit(on: sql, target: "workspace/\(workspaceId.canonical)")
        }
    }

    public func addMember(workspaceId: UUID, userId: UUID, role: WorkspaceRole, now: Date) async throws {
        try await self.database.changeTransaction { sql in
            let sameOrganization = try await sql.raw(
                """
                SELECT u.id FROM users u JOIN workspaces w ON w.org_id = u.org_id
                WHERE u.id = \(bind: userId.canonical) AND u.deleted_at IS NULL
                  AND w.id = \(bind: workspaceId.canonical) AND w.deleted_at IS NULL
                """
            ).first()
            guard sameOrganization != nil else { throw CisternError.targetUserNotFound }
            let existing = try await sql.raw(
                """
                SELECT role FROM workspace_members
                WHERE workspace_id = \(bind: workspaceId.canonical) AND user_id = \(bind: userId.canonical)
                """
            ).first()
            guard existing == nil else { throw CisternError.alreadyAMember }
            try await sql.raw(
                """
                INSERT INTO workspace_members (workspace_id, user_id, role, created_at)
                VALUES (\(bind: workspaceId.canonical), \(bind: userId.canonical), \(bind: role.rawValue), \(bind: now.millisecondsSince1970))
                """
            ).run()
            try await self.database.audit(
                on: sql, target: "workspace/\(workspaceId.canonical)", details: ["user": userId.canonical, "role": role.rawValue]
            )
        }
    }

    public func setMemberRole(workspaceId: UUID, userId: UUID, role: WorkspaceRole) async throws -> Bool {
        try await self.database.transactionReportingChange { sql in
            let changed =
                try await sql.raw(
                    """
                    UPDATE workspace_members SET role = \(bind: role.rawValue)
                    WHERE workspace_id = \(bind: workspaceId.canonical) AND user_id = \(bind: userId.canonical)
                      AND user_id IN (SELECT id FROM users WHERE deleted_at IS NULL)
                    RETURNING user_id
                    """
                ).first() != nil
            if changed {
                try await self.database.audit(
                    on: sql, target: "workspace/\(workspaceId.canonical)", details: ["user": userId.canonical, "role": role.rawValue]
                )
            }
            return (changed, changed)
        }
    }

    public func removeMember(workspaceId: UUID, userId: UUID) async throws -> Bool {
        try await self.database.transactionReportingChange { sql in
            let changed =
                try await sql.raw(
                    """
                    DELETE FROM workspace_members
                    WHERE workspace_id = \(bind: workspaceId.canonical) AND user_id = \(bind: userId.canonical)
                      AND user_id IN (SELECT id FROM users WHERE deleted_at IS NULL)
                    RETURNING user_id
                    """
                ).first() != nil
            if changed { try await self.database.audit(on: sql, target: "workspace/\(workspaceId.canonical)", details: ["user": userId.canonical]) }
            return (changed, changed)
        }
    }

    /// Whether a workspace still holds live buckets or repositories. Each table that places
    /// things in workspaces adds its check here, inside the deleting transaction.
    static func holdsContent(workspaceId: UUID, _ sql: any SQLDatabase) async throws -> Bool {
        for table in Self.contentTables {
            let row = try await sql.raw(
                "SELECT 1 AS present FROM \(ident: table) WHERE workspace_id = \(bind: workspaceId.canonical) AND deleted_at IS NULL LIMIT 1"
            ).first()
            if row != nil { return true }
        }
        return false
    }

    /// The tables whose live rows keep a workspace from being deleted.
    static let contentTables: [String] = ["buckets", "repositories"]

    /// Workspaces matching `condition` (on alias `w`, live only) with their live members.
    private func fetch(where condition: SQLQueryString) async throws -> [WorkspaceDetails] {
        try await self.database.withConnection { sql in
            let workspaces = try await sql.raw(
                "SELECT \(Columns.workspace("w")) FROM workspaces w WHERE w.deleted_at IS NULL AND \(condition) ORDER BY w.created_at, w.id"
            ).all().map { try $0.workspace() }
            guard !workspaces.isEmpty else { return [] }
            let memberRows = try await sql.raw(
                """
                SELECT m.workspace_id AS workspace_id, m.role AS role, \(Columns.user("u")) FROM workspace_members m
                JOIN users u ON u.id = m.user_id AND u.deleted_at IS NULL
                WHERE m.workspace_id IN (\(binds: workspaces.map(\.id.canonical)))
                ORDER BY m.created_at, u.id
                """
            ).all()
            var members: [UUID: [WorkspaceMember]] = [:]
            for row in memberRows {
                members[try row.uuid("workspace_id"), default: []].append(
                    WorkspaceMember(role: try row.enumeration("role", as: WorkspaceRole.self), user: try row.user()))
            }
            return workspaces.map { WorkspaceDetails(workspace: $0, members: members[$0.id] ?? []) }
        }
    }

    private func translatingNameConflicts<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error where self.database.isUniqueViolation(error) {
            throw CisternError.workspaceNameAlreadyUsed
        }
    }
}

extension CisternError {
    public static let workspaceNotFound = CisternError(.notFound, message: "Workspace not found or access denied")
}
