import CisternCore
import Foundation
import SQLKit

/// `AccountStore` over the SQL database.
public struct SQLAccountStore: AccountStore {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    public func register(_ registration: Registration) async throws {
        let org = registration.organization
        let owner = registration.owner
        let workspace = registration.defaultWorkspace
        do {
            try await self.database.transaction { sql in
                try await Self.requireFreeEmail(owner.email, sql)
                try await sql.raw(
                    """
                    INSERT INTO organizations (id, name, created_at)
                    VALUES (\(bind: org.id.canonical), \(bind: org.name), \(bind: org.createdAt.millisecondsSince1970))
                    """
                ).run()
                try await Self.insert(owner, passwordHash: registration.passwordHash, sql)
                try await sql.raw(
                    """
                    INSERT INTO workspaces (id, org_id, name, name_key, is_default, created_at)
                    VALUES (\(bind: workspace.id.canonical), \(bind: org.id.canonical), \(bind: workspace.name),
                            \(bind: NameKey.of(workspace.name)), \(bind: true),
                            \(bind: workspace.createdAt.millisecondsSince1970))
                    """
                ).run()
                try await sql.raw(
                    """
                    INSERT INTO workspace_members (workspace_id, user_id, role, created_at)
                    VALUES (\(bind: workspace.id.canonical), \(bind: owner.id.canonical), 'ADMIN', \(bind: workspace.createdAt.millisecondsSince1970))
                    """
                ).run()
                try await self.database.audit(
                    on: sql, target: "user/\(owner.id.canonical)", details: ["organization": org.name],
                    actor: .init(orgId: org.id, userId: owner.id, email: owner.email)
                )
            }
        } catch let error where self.database.isUniqueViolation(error) {
            // Another registration with the same address committed between our check and our insert.
            throw CisternError.emailAlreadyUsed
        }
    }

    public func signInRecord(email: String) async throws -> (user: User, passwordHash: String)? {
        try await self.database.withConnection { sql in
            guard
                let row = try await sql.raw(
                    """
                    SELECT \(Columns.user("users")), users.password_hash AS password_hash FROM users
                    WHERE users.email_key = \(bind: Self.emailKey(email)) AND users.deleted_at IS NULL
                    """
                ).first()
            else { return nil }
            return (try row.user(), try row.decode(column: "password_hash", as: String.self))
        }
    }

    public func user(id: UUID) async throws -> User? {
        try await self.database.withConnection { sql in
            try await sql.raw(
                "SELECT \(Columns.user("users")) FROM users WHERE users.id = \(bind: id.canonical) AND users.deleted_at IS NULL"
            ).first()?.user()
        }
    }

    public func users(orgId: UUID) async throws -> [User] {
        try await self.database.withConnection { sql in
            try await sql.raw(
                """
                SELECT \(Columns.user("users")) FROM users
                WHERE users.org_id = \(bind: orgId.canonical) AND users.deleted_at IS NULL
                ORDER BY users.created_at, users.id
                """
            ).all().map { try $0.user() }
        }
    }

    public func createUser(_ user: User, passwordHash: String) async throws {
        do {
            try await self.database.transaction { sql in
                try await Self.requireFreeEmail(user.email, sql)
                try await Self.insert(user, passwordHash: passwordHash, sql)
                try await self.database.audit(
                    on: sql, target: "user/\(user.id.canonical)", details: ["email": user.email, "role": user.orgRole.name])
            }
        } catch let error where self.database.isUniqueViolation(error) {
            throw CisternError.emailAlreadyUsed
        }
    }

    public func updateUser(
        id: UUID, orgId: UUID, changes: UserChanges, authorize: @Sendable (User) throws -> Void
    ) async throws -> (before: User, after: User) {
        try await self.database.changeTransaction { sql in
            let before = try await Self.liveUser(id: id, orgId: orgId, sql)
            try authorize(before)
            var after = before
            after.firstName = changes.firstName ?? before.firstName
            after.lastName = changes.lastName ?? before.lastName
            after.orgRole = changes.orgRole ?? before.orgRole
            if before.orgRole == .owner, after.orgRole != .owner {
                try await Self.requireAnotherOwner(orgId: orgId, sql)
            }
            try await sql.raw(
                """
                UPDATE users SET first_name = \(bind: after.firstName), last_name = \(bind: after.lastName),
                                 org_role = \(bind: after.orgRole.rawValue)
                WHERE id = \(bind: id.canonical)
                """
            ).run()
            if let passwordHash = changes.passwordHash {
                try await sql.raw("UPDATE users SET password_hash = \(bind: passwordHash) WHERE id = \(bind: id.canonical)").run()
                try await Self.endSessions(userId: id, now: changes.now, sql)
            }
            var details = ["email": before.email]
            if before.orgRole != after.orgRole { details["role"] = "\(before.orgRole.name) -> \(after.orgRole.name)" }
            if before.firstName != after.firstName || before.lastName != after.lastName { details["name"] = "changed" }
            if changes.passwordHash != nil { details["password"] = "changed" }
            try await self.database.audit(on: sql, target: "user/\(id.canonical)", details: details)
            return (before, after)
        }
    }

    public func deleteUser(id: UUID, orgId: UUID, now: Date, authorize: @Sendable (User) throws -> Void) async throws {
        try await self.database.changeTransaction { sql in
            let user = try await Self.liveUser(id: id, orgId: orgId, sql)
            try authorize(user)
            if user.orgRole == .owner {
                try await Self.requireAnotherOwner(orgId: orgId, sql)
            }
            try await sql.raw("UPDATE users SET deleted_at = \(bind: now.millisecondsSince1970) WHERE id = \(bind: id.canonical)").run()
            try await Self.endSessions(userId: id, now: now, sql)
            try await self.database.audit(on: sql, target: "user/\(id.canonical)", details: ["email": user.email])
        }
    }

    /// Refuses an address that a live account already uses. The unique index stands behind this
    /// check for requests that race past it.
    private static func requireFreeEmail(_ email: String, _ sql: any SQLDatabase) async throws {
        let taken = try await sql.raw("SELECT id FROM users WHERE email_key = \(bind: Self.emailKey(email)) AND deleted_at IS NULL").first()
        guard taken == nil else { throw CisternError.emailAlreadyUsed }
    }

    private static func insert(_ user: User, passwordHash: String, _ sql: any SQLDatabase) async throws {
        try await sql.raw(
            """
            INSERT INTO users (id, org_id, email, email_key, password_hash, first_name, last_name, org_role,
                               validated, active, created_at)
            VALUES (\(bind: user.id.canonical), \(bind: user.orgId.canonical), \(bind: user.email), \(bind: Self.emailKey(user.email)),
                    \(bind: passwordHash), \(bind: user.firstName), \(bind: user.lastName),
                    \(bind: user.orgRole.rawValue), \(bind: user.validated), \(bind: user.active),
                    \(bind: user.createdAt.millisecondsSince1970))
            """
        ).run()
    }

    private static func liveUser(id: UUID, orgId: UUID, _ sql: any SQLDatabase) async throws -> User {
        guard
            let row = try await sql.raw(
                """
                SELECT \(Columns.user("users")) FROM users
                WHERE users.id = \(bind: id.canonical) AND users.org_id = \(bind: orgId.canonical) AND users.deleted_at IS NULL
                """
            ).first()
        else { throw CisternError.userNotFoundInOrganization }
        return try row.user()
    }

    /// Refuses unless the organization has an OWNER besides the one about to go.
    private static func requireAnotherOwner(orgId: UUID, _ sql: any SQLDatabase) async throws {
        let row = try await sql.raw(
            """
            SELECT COUNT(*) AS owners FROM users
            WHERE org_id = \(bind: orgId.canonical) AND org_role = \(bind: OrgRole.owner.rawValue) AND deleted_at IS NULL
            """
        ).first()
        guard let row, try row.decode(column: "owners", as: Int.self) > 1 else { throw CisternError.lastOwner }
    }

    private static func endSessions(userId: UUID, now: Date, _ sql: any SQLDatabase) async throws {
        try await sql.raw(
            """
            UPDATE sessions SET revoked_at = \(bind: now.millisecondsSince1970)
            WHERE user_id = \(bind: userId.canonical) AND revoked_at IS NULL
            """
        ).run()
    }

    /// The form of an e-mail address that uniqueness and sign-in compare.
    static func emailKey(_ email: String) -> String { NameKey.of(email) }
}
