import CisternCore
import Foundation
import SQLKit

/// Reading the engine-neutral column forms of `Migration` back into Swift values.
extension SQLRow {
    /// A column that may be NULL. (Asking the engine for `T?` goes through its generic `Decodable`
    /// path, several times slower; asking whether it is NULL, then for `T`, takes the direct one.)
    func optional<T: Decodable>(_ column: String, as type: T.Type) throws -> T? {
        try self.decodeNil(column: column) ? nil : try self.decode(column: column, as: T.self)
    }

    func uuid(_ column: String) throws -> UUID {
        let text = try self.decode(column: column, as: String.self)
        guard let id = UUID(canonical: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "\(column) is not a UUID"))
        }
        return id
    }

    func date(_ column: String) throws -> Date {
        Date(millisecondsSince1970: try self.decode(column: column, as: Int64.self))
    }

    func optionalDate(_ column: String) throws -> Date? {
        try self.optional(column, as: Int64.self).map(Date.init(millisecondsSince1970:))
    }

    /// A column holding an enumeration's raw value (a role, a mode, a status...). A value the
    /// enumeration does not know makes the row corrupt: it is never read as some default.
    func enumeration<T: RawRepresentable>(_ column: String, as type: T.Type) throws -> T where T.RawValue: Decodable {
        let raw = try self.decode(column: column, as: T.RawValue.self)
        guard let value = T(rawValue: raw) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "\(column) holds \(raw), which is no \(T.self)"))
        }
        return value
    }

    /// `enumeration`, for a column that may be NULL.
    func optionalEnumeration<T: RawRepresentable>(_ column: String, as type: T.Type) throws -> T? where T.RawValue: Decodable {
        try self.decodeNil(column: column) ? nil : try self.enumeration(column, as: T.self)
    }

    /// A `users` row, selected with the column list `User.columns` under `prefix`.
    func user(prefix: String = "u_") throws -> User {
        User(
            id: try self.uuid("\(prefix)id"),
            orgId: try self.uuid("\(prefix)org_id"),
            email: try self.decode(column: "\(prefix)email", as: String.self),
            firstName: try self.decode(column: "\(prefix)first_name", as: String.self),
            lastName: try self.decode(column: "\(prefix)last_name", as: String.self),
            orgRole: try self.enumeration("\(prefix)org_role", as: OrgRole.self),
            validated: try self.decode(column: "\(prefix)validated", as: Bool.self),
            active: try self.decode(column: "\(prefix)active", as: Bool.self),
            createdAt: try self.date("\(prefix)created_at"),
            deletedAt: try self.optionalDate("\(prefix)deleted_at")
        )
    }

    /// A `workspaces` row, selected with the column list `Columns.workspace` under `prefix`.
    func workspace(prefix: String = "w_") throws -> Workspace {
        Workspace(
            id: try self.uuid("\(prefix)id"),
            orgId: try self.uuid("\(prefix)org_id"),
            name: try self.decode(column: "\(prefix)name", as: String.self),
            isDefault: try self.decode(column: "\(prefix)is_default", as: Bool.self),
            createdAt: try self.date("\(prefix)created_at")
        )
    }

    /// A `sessions` row, selected with the column list `Session.columns` under `prefix`.
    func session(prefix: String = "s_") throws -> Session {
        Session(
            id: try self.uuid("\(prefix)id"),
            userId: try self.uuid("\(prefix)user_id"),
            createdAt: try self.date("\(prefix)created_at"),
            expiresAt: try self.date("\(prefix)expires_at"),
            lastUsedAt: try self.optionalDate("\(prefix)last_used_at"),
            userAgent: try self.optional("\(prefix)user_agent", as: String.self),
            revokedAt: try self.optionalDate("\(prefix)revoked_at")
        )
    }
}

/// Column lists for selecting whole rows under a prefix, so joins read unambiguously.
enum Columns {
    static func user(_ table: String, prefix: String = "u_") -> SQLQueryString {
        let names = ["id", "org_id", "email", "first_name", "last_name", "org_role", "validated", "active", "created_at", "deleted_at"]
        return SQLQueryString(names.map { "\(table).\($0) AS \(prefix)\($0)" }.joined(separator: ", "))
    }

    static func workspace(_ table: String, prefix: String = "w_") -> SQLQueryString {
        let names = ["id", "org_id", "name", "is_default", "created_at"]
        return SQLQueryString(names.map { "\(table).\($0) AS \(prefix)\($0)" }.joined(separator: ", "))
    }

    static func session(_ table: String, prefix: String = "s_") -> SQLQueryString {
        let names = ["id", "user_id", "created_at", "expires_at", "last_used_at", "user_agent", "revoked_at"]
        return SQLQueryString(names.map { "\(table).\($0) AS \(prefix)\($0)" }.joined(separator: ", "))
    }
}
