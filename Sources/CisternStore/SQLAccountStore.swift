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
                let taken = try await sql.raw(
                    "SELECT id FROM users WHERE email_key = \(bind: Self.emailKey(owner.email)) AND deleted_at IS NULL"
                ).first()
                guard taken == nil else { throw CisternError.emailAlreadyUsed }
                try await sql.raw(
                    """
                    INSERT INTO organizations (id, name, created_at)
                    VALUES (\(bind: org.id.stored), \(bind: org.name), \(bind: org.createdAt.millisecondsSince1970))
                    """
                ).run()
                try await sql.raw(
                    """
                    INSERT INTO users (id, org_id, email, email_key, password_hash, first_name, last_name, org_role,
                                       validated, active, created_at)
                    VALUES (\(bind: owner.id.stored), \(bind: org.id.stored), \(bind: owner.email), \(bind: Self.emailKey(owner.email)),
                            \(bind: registration.passwordHash), \(bind: owner.firstName), \(bind: owner.lastName),
                            \(bind: owner.orgRole.rawValue), \(bind: owner.validated), \(bind: owner.active),
                            \(bind: owner.createdAt.millisecondsSince1970))
                    """
                ).run()
                try await sql.raw(
                    """
                    INSERT INTO workspaces (id, org_id, name, is_default, created_at)
                    VALUES (\(bind: workspace.id.stored), \(bind: org.id.stored), \(bind: workspace.name), \(bind: true),
                            \(bind: workspace.createdAt.millisecondsSince1970))
                    """
                ).run()
                try await sql.raw(
                    """
                    INSERT INTO workspace_members (workspace_id, user_id, role, created_at)
                    VALUES (\(bind: workspace.id.stored), \(bind: owner.id.stored), 'ADMIN', \(bind: workspace.createdAt.millisecondsSince1970))
                    """
                ).run()
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
                "SELECT \(Columns.user("users")) FROM users WHERE users.id = \(bind: id.stored) AND users.deleted_at IS NULL"
            ).first()?.user()
        }
    }

    /// The form of an e-mail address that uniqueness and sign-in compare.
    static func emailKey(_ email: String) -> String {
        email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }
}
