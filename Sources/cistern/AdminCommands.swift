import ArgumentParser
import CisternBootstrap
import CisternCore
import CisternStore
import Foundation
import Logging

struct Admin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Operate this server's own database (run on the server's machine, with its settings).",
        subcommands: [Backup.self, Restore.self, RotateMasterKey.self]
    )

    /// Quiet: the commands print their own outcome.
    static var logger: Logger {
        var logger = Logger(label: "cistern")
        logger.logLevel = .warning
        return logger
    }

    /// A backup holds secrets sealed under the master key, and is worth nothing without it.
    static let keyWarning =
        "keep the master key with it (master.key in the data directory, or CISTERN_MASTER_KEY): without that key the sealed bucket and key secrets in a backup cannot be opened"

    struct Backup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy the SQLite database to FILE while the server keeps serving, then check the copy.",
            discussion: "PostgreSQL: use pg_dump (see README). " + Admin.keyWarning + "."
        )
        @OptionGroup var options: SettingOptions
        @Argument(help: "Where to write the backup (must not exist).") var file: String

        func run() async throws {
            try await failingInOneLine {
                let path = try self.options.sqliteFile(else: "a PostgreSQL database is backed up with pg_dump (see README)")
                guard FileManager.default.fileExists(atPath: path) else { throw BackupError("no database at \(path)") }
                let logger = Admin.logger
                let database = try await Database.openSQLite(path: path, connections: 1, logger: logger)
                do {
                    try await database.backUp(to: self.file)
                    try await database.close()
                } catch {
                    try? await database.close()
                    throw error
                }
                let facts = try await Database.checkBackup(at: self.file, logger: logger)
                print(
                    "backed up \(path) to \(self.file): \(facts.bytes) bytes, schema \(facts.schemaVersion), integrity ok, "
                        + "\(facts.users) users, \(facts.buckets) buckets, \(facts.repositories) repositories"
                )
                FileHandle.standardError.write(Data("cistern: \(Admin.keyWarning)\n".utf8))
            }
        }
    }

    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace the SQLite database with a backup, once the backup checks out and no server holds the database.",
            discussion: "The database it replaces is kept beside it as <name>.replaced-<time>. PostgreSQL: use pg_restore (see README)."
        )
        @OptionGroup var options: SettingOptions
        @Argument(help: "The backup to restore (from `cistern admin backup`).") var file: String

        func run() async throws {
            try await failingInOneLine {
                let path = try self.options.sqliteFile(else: "a PostgreSQL database is restored with pg_restore (see README)")
                let logger = Admin.logger
                let facts = try await Database.checkBackup(at: self.file, logger: logger)
                let fileManager = FileManager.default
                if fileManager.fileExists(atPath: path) {
                    let current = try await Database.openSQLite(path: path, connections: 1, logger: logger)
                    let serving = (try? await current.servingProcesses()) ?? 0
                    try await current.close()
                    guard serving == 0 else {
                        throw BackupError("a running server holds \(path) (\(serving) process(es) seen in the last 10 s): stop it first")
                    }
                    let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
                    for suffix in ["", "-wal", "-shm"] where fileManager.fileExists(atPath: path + suffix) {
                        try fileManager.moveItem(atPath: path + suffix, toPath: "\(path).replaced-\(stamp)\(suffix)")
                    }
                    print("kept the database it replaces as \(path).replaced-\(stamp)")
                } else {
                    try fileManager.createDirectory(
                        atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true,
                        attributes: [.posixPermissions: 0o700])
                }
                let incoming = path + ".restoring"
                try? fileManager.removeItem(atPath: incoming)
                try fileManager.copyItem(atPath: self.file, toPath: incoming)
                try fileManager.setAttributes([.posixPermissions: 0o600], ofItemAtPath: incoming)
                try fileManager.moveItem(atPath: incoming, toPath: path)
                print(
                    "restored \(self.file) to \(path): schema \(facts.schemaVersion), \(facts.users) users, \(facts.buckets) buckets, "
                        + "\(facts.repositories) repositories"
                )
                FileHandle.standardError.write(
                    Data("cistern: the server needs the master key the backup was sealed under; \(Admin.keyWarning)\n".utf8))
            }
        }
    }
}

extension SettingOptions {
    /// The SQLite file these settings name; `otherwise` is the error for a PostgreSQL database.
    func sqliteFile(else otherwise: String) throws -> String {
        guard let path = Database.sqlitePath(try DataDirectory.databaseURL(of: try self.resolve())) else { throw BackupError(otherwise) }
        return path
    }
}

struct RotateMasterKey: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate-master-key",
        abstract: "Seal every stored secret under the current master key, in one transaction.",
        discussion: """
            Give the new key as CISTERN_MASTER_KEY and the old one as CISTERN_MASTER_KEY_PREVIOUS, here and on every \
            replica (restart them with both first: they then open secrets sealed under either). Afterwards the old key \
            can be dropped from CISTERN_MASTER_KEY_PREVIOUS.
            """
    )
    @OptionGroup var options: SettingOptions

    func run() async throws {
        try await failingInOneLine {
            let configuration = try self.options.resolve()
            let runtime = try await Runtime.open(configuration, timeSource: SystemTimeSource(), logger: Admin.logger)
            do {
                // On the audit log as the installation's own event, by whoever ran the command here.
                let trail = AuditTrail(
                    action: "master-key.rotate", at: runtime.timeSource.now, clientAddress: "local",
                    userAgent: "cistern admin (\(ProcessInfo.processInfo.userName))"
                )
                let (buckets, keys) = try await AuditTrail.$current.withValue(trail) {
                    try await runtime.database.resealSecrets(with: runtime.sealer)
                }
                await runtime.close()
                print(
                    "sealed \(buckets) bucket secret(s) and \(keys) repository key secret(s) again under master key "
                        + runtime.sealer.current.version
                )
            } catch {
                await runtime.close()
                throw error
            }
        }
    }
}
