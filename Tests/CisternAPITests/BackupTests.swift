import AsyncHTTPClient
import CisternCore
import CisternStore
import CisternTestSupport
import Foundation
import Logging
import Testing

/// `cistern admin backup` and `restore` on SQLite (PostgreSQL's are pg_dump and pg_restore).
@Suite("Backup and restore", .timeLimit(.minutes(5)), .enabled(if: !TestDatabase.onPostgres))
struct BackupTests {
    @Test func aBackupOfAServingDatabaseRestoresItsStateOnceTheServerIsStopped() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cistern-backup-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let environment = try await ReplicaTests.sharedEnvironment(in: directory)
        var cli = CommandLineTests.CLI(configHome: directory)
        cli.environment = environment
        let data = directory + "/data"
        let http = HTTPClient.shared
        func register(_ server: Replica, _ email: String) async throws -> Int {
            try await server.call(
                http, "POST", "/user/register",
                ["email": email, "password": "Passw0rd!", "firstName": "A", "lastName": "B", "companyName": email]
            ).status
        }
        func login(_ server: Replica, _ email: String) async throws -> Int {
            try await server.call(http, "POST", "/user/login", ["email": email, "password": "Passw0rd!"]).status
        }

        var server = try await Replica.healthy(http, environment: environment, dataDirectory: data)
        #expect(try await register(server, "before@example.com") == 201)
        let backup = directory + "/backup.sqlite"
        let made = try await cli("admin", "backup", backup, "--data-dir", data)
        #expect(made.status == 0 && made.out.contains("integrity ok") && made.out.contains("1 users"), "\(made)")
        #expect(made.err.contains("master key"), "the warning that a backup needs its master key: \(made.err)")
        #expect(try FileManager.default.attributesOfItem(atPath: backup)[.posixPermissions] as? Int == 0o600)
        #expect(try await cli("admin", "backup", backup, "--data-dir", data).status == 1, "an existing file is never overwritten")
        #expect(try await register(server, "after@example.com") == 201)

        let refused = try await cli("admin", "restore", backup, "--data-dir", data)
        #expect(refused.status == 1 && refused.err.contains("a running server holds"), "\(refused)")
        #expect(try await login(server, "after@example.com") == 200, "a refused restore changes nothing")
        server.stop()

        let restored = try await cli("admin", "restore", backup, "--data-dir", data)
        #expect(restored.status == 0 && restored.out.contains("kept the database it replaces"), "\(restored)")
        server = try await Replica.healthy(http, environment: environment, dataDirectory: data)
        defer { server.stop() }
        #expect(try await login(server, "before@example.com") == 200)
        #expect(try await login(server, "after@example.com") == 401, "written after the backup, so not in it")

        // Not a backup: refused before anything is touched.
        let junk = directory + "/junk.sqlite"
        try Data("not a database".utf8).write(to: URL(fileURLWithPath: junk))
        server.stop()
        let notABackup = try await cli("admin", "restore", junk, "--data-dir", data)
        #expect(notABackup.status == 1 && notABackup.err.contains("junk.sqlite"), "\(notABackup)")
    }

    @Test func aBackupTakenDuringWritesHoldsEveryRowCommittedBeforeIt() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cistern-backup-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let logger = Logger(label: "test")
        let database = try await Database.openSQLite(path: directory + "/live.sqlite", connections: 4, logger: logger)
        _ = try await Migrator(database: database).migrate(logger: logger)
        let committed = CommittedRows()
        let writer = Task {
            var row = 0
            while !Task.isCancelled {
                try await database.transaction { sql in
                    try await sql.raw(
                        """
                        INSERT INTO traffic_minutes (period_start, repository_id, bucket_id, host, requests, upload_bytes, download_bytes,
                                                     size_change, latency_ms)
                        VALUES (\(bind: row), 'r', 'b', 'h', 1, 0, 0, 0, 0)
                        """
                    ).run()
                }
                row += 1
                committed.set(row)
            }
        }
        // However loaded the machine, the backup starts with rows committed and ends with more
        // (a writer that stopped fails the test at the deadline instead of hanging it).
        let deadline = ContinuousClock.now + .seconds(60)
        func awaitRows(_ count: Int) async throws {
            while committed.value < count, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        }
        try await awaitRows(20)
        let before = committed.value
        try await database.backUp(to: directory + "/copy.sqlite")
        try await awaitRows(committed.value + 20)
        writer.cancel()
        _ = await writer.result
        let after = committed.value
        try await database.close()

        _ = try await Database.checkBackup(at: directory + "/copy.sqlite", logger: logger)
        let copy = try await Database.openSQLite(path: directory + "/copy.sqlite", connections: 1, logger: logger)
        let (count, highest) = try await copy.withConnection { sql in
            let row = try #require(try await sql.raw("SELECT COUNT(*) AS n, MAX(period_start) AS top FROM traffic_minutes").first())
            return (try row.decode(column: "n", as: Int.self), try row.decode(column: "top", as: Int.self))
        }
        try await copy.close()
        #expect(before > 0 && after > before, "the writer kept writing during the backup: \(before) → \(after)")
        #expect(count >= before, "every row committed before the backup began is in it")
        #expect(count == highest + 1, "one snapshot: rows 0..<\(count) and nothing past a gap")
    }
}

/// The writer's count of committed rows, read by the test.
private final class CommittedRows: @unchecked Sendable {
    private let lock = NSLock()
    private var stored = 0
    var value: Int { self.lock.withLock { self.stored } }
    func set(_ value: Int) { self.lock.withLock { self.stored = value } }
}
