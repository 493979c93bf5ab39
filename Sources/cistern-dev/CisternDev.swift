import ArgumentParser
import CisternAPI
import CisternBootstrap
import CisternCore
import CisternDevTools
import Foundation

/// Tools for developing and benchmarking Cistern, kept out of the server binary.
@main
struct CisternDev: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cistern-dev",
        abstract: "Tools for developing and benchmarking Cistern.",
        subcommands: [Seed.self]
    )
}

struct Seed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fill an empty database with a generated dataset and print access tokens for its known users.",
        discussion: """
            Besides the spread-out rest, the dataset holds a known small organization (50 buckets in 3 workspaces, \
            20 repositories of which 8 MIRROR, an OWNER and a USER who reads one workspace) and, unless \
            --large-org-buckets is 0, a known large organization. Prints shell assignments: SEED_<ROLE>_TOKEN=... . \
            The data directory, database and keys are those `cistern serve` would use with the same settings.
            """
    )
    @Option(name: .customLong("data-dir"), help: "Directory for the database and keys (CISTERN_DATA_DIR; default ./cistern-data).")
    var dataDir: String?
    @Option(name: .customLong("database-url"), help: "sqlite:PATH or a postgres:// URL (CISTERN_DATABASE_URL).")
    var databaseURL: String?
    @Option(name: .customLong("log-level"), help: "trace ... critical (CISTERN_LOG_LEVEL; default info).") var logLevel: String?
    @Option(help: "Organizations in all.") var orgs = 2000
    @Option(help: "Buckets in all.") var buckets = 100_000
    @Option(help: "Repositories in all.") var repos = 20_000
    @Option(name: .customLong("large-org-buckets"), help: "Buckets of the known large organization (0: none).") var largeOrgBuckets = 10_000

    func run() async throws {
        do {
            var flags: [String: String] = [:]
            flags["data-dir"] = self.dataDir
            flags["database-url"] = self.databaseURL
            flags["log-level"] = self.logLevel
            let configuration = try CisternConfiguration.resolve(flags: flags, environment: ProcessInfo.processInfo.environment)
            let plan = SeedPlan(
                organizations: self.orgs, buckets: self.buckets, repositories: self.repos, largeOrganizationBuckets: self.largeOrgBuckets)
            let report = try await seedDevelopmentDataset(configuration, plan: plan, logger: configuration.makeLogger())
            let written = report.dataset
            print(
                "# seeded \(written.organizations) organizations, \(written.users) users, \(written.workspaces) workspaces, "
                    + "\(written.buckets) buckets, \(written.repositories) repositories (\(written.mirrorMembers) buckets in MIRRORs) "
                    + "in \(String(format: "%.1f", report.seconds)) s; every user's password: \(report.password)"
            )
            for login in report.logins {
                let name = login.role.uppercased().replacingOccurrences(of: "-", with: "_")
                print("# \(login.role): \(login.email), organization \(login.orgId.canonical)")
                print("SEED_\(name)_TOKEN=\(login.accessToken)")
            }
        } catch {
            reportFailure(error, command: "cistern-dev")
            throw ExitCode.failure
        }
    }
}
