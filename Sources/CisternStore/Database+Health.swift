import CisternCore
import Foundation
import SQLKit

extension Database {
    /// Writes this process's heartbeat row: succeeds only when the database takes a write, which
    /// `SELECT 1` would not prove (a full disk, a damaged or read-only file still answer it).
    public func checkWritable(instance: UUID, now: Date) async throws {
        try await self.transaction { sql in
            try await sql.raw(
                """
                INSERT INTO health_heartbeats (instance, checked_at) VALUES (\(bind: instance.canonical), \(bind: now.millisecondsSince1970))
                ON CONFLICT (instance) DO UPDATE SET checked_at = excluded.checked_at
                """
            ).run()
        }
    }

    /// The master key versions that live sealed secrets (bucket credentials, repository key
    /// secrets) were sealed under: every one must be loaded for the service to work.
    public func sealedKeyVersions() async throws -> Set<String> {
        try await self.withConnection { sql in
            let rows = try await sql.raw(
                """
                SELECT DISTINCT secret_key_version AS version FROM buckets WHERE deleted_at IS NULL
                UNION SELECT DISTINCT secret_key_version AS version FROM repository_keys WHERE revoked_at IS NULL
                """
            ).all()
            return Set(try rows.map { try $0.decode(column: "version", as: String.self) })
        }
    }
}
