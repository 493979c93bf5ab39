import Foundation
import Logging
import SQLKit

/// Brings a database's schema up to date: applies, in order and each in its own transaction,
/// every migration whose version the `schema_migrations` table does not yet hold.
public struct Migrator: Sendable {
    public let database: Database
    public let migrations: [Migration]

    public init(database: Database, migrations: [Migration] = Migration.all) {
        self.database = database
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    /// Applies what is missing and returns the migrations it applied.
    @discardableResult
    public func migrate(now: Date = Date(), logger: Logger) async throws -> [Migration] {
        // One connection holds the database's exclusive lock throughout: replicas starting
        // together on one database apply migrations one at a time.
        try await self.database.withExclusiveConnection { sql in
            try await self.database.transaction(on: sql) { sql in
                try await sql.raw(
                    """
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        version INTEGER PRIMARY KEY,
                        name TEXT NOT NULL,
                        applied_at BIGINT NOT NULL
                    )
                    """
                ).run()
            }
            let newest = try await sql.raw("SELECT MAX(version) AS newest FROM schema_migrations").first()?
                .decode(column: "newest", as: Int?.self)
            if let newest, let known = self.migrations.last?.version, newest > known {
                throw SchemaTooNewError(databaseVersion: newest, knownVersion: known)
            }
            var applied: [Migration] = []
            for migration in self.migrations {
                let didApply = try await self.database.transaction(on: sql) { sql in
                    let present = try await sql.raw("SELECT version FROM schema_migrations WHERE version = \(bind: migration.version)")
                        .first()
                    guard present == nil else { return false }
                    for statement in migration.statements {
                        try await sql.raw(SQLQueryString(statement)).run()
                    }
                    try await sql.raw(
                        """
                        INSERT INTO schema_migrations (version, name, applied_at)
                        VALUES (\(bind: migration.version), \(bind: migration.name), \(bind: now.millisecondsSince1970))
                        """
                    ).run()
                    return true
                }
                if didApply {
                    logger.info("applied migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
                    applied.append(migration)
                }
            }
            return applied
        }
    }

    /// The versions the database holds, in order.
    public func appliedVersions() async throws -> [Int] {
        try await self.database.withConnection { sql in
            try await sql.raw("SELECT version FROM schema_migrations ORDER BY version").all()
                .map { try $0.decode(column: "version", as: Int.self) }
        }
    }
}

/// The database was migrated by a newer Cistern than this one: running on it could misread or
/// damage what the newer schema holds.
public struct SchemaTooNewError: Error, Sendable, CustomStringConvertible {
    public var databaseVersion: Int
    public var knownVersion: Int
    public var description: String {
        "the database schema is at version \(self.databaseVersion), newer than this build of Cistern knows (\(self.knownVersion)): run a newer cistern"
    }
}
