import CisternStore
import Foundation
import Logging
import SQLKit
import Testing

@Suite("Migrations")
struct MigratorTests {
    @Test func aFreshDatabaseGetsEveryMigrationOnceAndASecondRunAppliesNone() async throws {
        try await withMigratedDatabase { database in
            let migrator = Migrator(database: database)
            let versions = try await migrator.appliedVersions()
            #expect(versions == Migration.all.map(\.version))
            let secondRun = try await migrator.migrate(logger: Logger(label: "test"))
            #expect(secondRun.isEmpty)
        }
    }

    @Test func versionsAreUniqueAndIncreasing() {
        let versions = Migration.all.map(\.version)
        #expect(versions == versions.sorted())
        #expect(Set(versions).count == versions.count)
    }

    @Test func aFailingMigrationLeavesNoTraceAndStopsTheRun() async throws {
        try await withMigratedDatabase { database in
            let broken = Migration(version: 999, name: "broken", statements: ["CREATE TABLE half_done (id TEXT)", "THIS IS NOT SQL"])
            await #expect(throws: (any Error).self) {
                try await Migrator(database: database, migrations: Migration.all + [broken]).migrate(logger: Logger(label: "test"))
            }
            let versions = try await Migrator(database: database).appliedVersions()
            #expect(versions == Migration.all.map(\.version))
            // The first statement of the failed step was rolled back with it.
            await #expect(throws: (any Error).self) {
                try await database.withConnection { sql in try await sql.raw("SELECT COUNT(*) AS n FROM half_done").run() }
            }
        }
    }

    @Test func anUnopenableLocationFailsWithAClearError() async throws {
        do {
            _ = try await Database.openSQLite(path: "/proc/no-such-dir/cistern.sqlite", logger: Logger(label: "test"))
            Issue.record("opened a database in /proc")
        } catch let error as DatabaseUnavailable {
            #expect(error.description.hasPrefix("database at /proc/no-such-dir/cistern.sqlite is unavailable"))
        }
    }
}
