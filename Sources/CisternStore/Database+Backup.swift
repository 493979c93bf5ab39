import Foundation
import Logging
import SQLKit

/// Backups of a SQLite database (PostgreSQL has `pg_dump` and `pg_restore`).
extension Database {
    /// What a backup file holds, as checked.
    public struct BackupFacts: Sendable {
        /// The newest schema step it was migrated to.
        public var schemaVersion: Int
        public var bytes: Int
        public var users: Int
        public var buckets: Int
        public var repositories: Int
    }

    /// Writes a consistent copy of this SQLite database to `path`, which must not exist, while
    /// the database keeps serving: `VACUUM INTO` reads one snapshot, so the copy holds every
    /// transaction committed before it began and nothing of any that commits during it. Readable
    /// by its owner only: it holds sealed secrets and password hashes.
    public func backUp(to path: String) async throws {
        guard self.engine == .sqlite else { throw BackupError("a PostgreSQL database is backed up with pg_dump (see README)") }
        guard !FileManager.default.fileExists(atPath: path) else { throw BackupError("\(path) already exists") }
        // Created empty first with its mode, so the copy is never readable by others, even briefly.
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw BackupError("cannot create \(path)")
        }
        do {
            // VACUUM INTO refuses a file that exists unless it is empty, which this one is.
            try await self.withConnection { sql in try await sql.raw("VACUUM INTO \(bind: path)").run() }
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw BackupError("the copy failed: \(Database.describe(error))")
        }
    }

    /// Opens the SQLite file at `path` and checks it: SQLite's integrity check passes, and it is
    /// a Cistern database no newer than this build.
    public static func checkBackup(at path: String, logger: Logger) async throws -> BackupFacts {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path), let bytes = attributes[.size] as? Int, bytes > 0 else {
            throw BackupError("\(path) does not exist or is empty")
        }
        let database = try await Database.openSQLite(path: path, connections: 1, logger: logger)
        do {
            let facts = try await database.withConnection { sql in
                let verdict = try await sql.raw("PRAGMA integrity_check").all().map { try $0.decode(column: "integrity_check", as: String.self) }
                guard verdict == ["ok"] else {
                    throw BackupError("\(path) fails SQLite's integrity check: \(verdict.prefix(3).joined(separator: "; "))")
                }
                guard
                    let version = try await sql.raw("SELECT MAX(version) AS version FROM schema_migrations").first()?
                        .decode(column: "version", as: Int?.self)
                else { throw BackupError("\(path) is not a Cistern database") }
                func count(_ table: String) async throws -> Int {
                    try await sql.raw("SELECT COUNT(*) AS n FROM \(ident: table) WHERE deleted_at IS NULL").first()?.decode(column: "n", as: Int.self)
                        ?? 0
                }
                return BackupFacts(
                    schemaVersion: version, bytes: bytes, users: try await count("users"), buckets: try await count("buckets"),
                    repositories: try await count("repositories")
                )
            }
            try await database.close()
            guard facts.schemaVersion <= (Migration.all.last?.version ?? 0) else {
                throw BackupError("\(path) has schema \(facts.schemaVersion), newer than this build's \(Migration.all.last?.version ?? 0)")
            }
            return facts
        } catch let error as BackupError {
            try? await database.close()
            throw error
        } catch {
            try? await database.close()
            throw BackupError("\(path) is not a database this build reads: \(Database.describe(error))")
        }
    }

    /// The serving processes whose heartbeat (`ChangeFeed`) is at most `seconds` old: a database
    /// they hold must not be replaced under them.
    public func servingProcesses(within seconds: Int = 10) async throws -> Int {
        let since = Date().addingTimeInterval(-Double(seconds)).millisecondsSince1970
        return try await self.withConnection { sql in
            try await sql.raw("SELECT COUNT(*) AS n FROM cache_nodes WHERE seen_at > \(bind: since)").first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }
}

/// A backup or restore that cannot go on; says why in one line.
public struct BackupError: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
