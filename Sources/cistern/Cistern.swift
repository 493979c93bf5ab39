import ArgumentParser
import CisternAPI
import CisternStore
import Foundation
import Hummingbird
import Logging

struct Cistern: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cistern",
        abstract: "A self-hosted control plane for storage buckets at other providers.",
        subcommands: [Serve.self, Migrate.self, Dev.self]
    )

    /// Parses the command line and runs the command (what `@main` would do; `main.swift` first
    /// sets up the executor). In an async function, `main()` resolves to the async entry point.
    static func start() async {
        await Self.main()
    }
}

/// The settings every command shares. Each may also come from its `CISTERN_*` environment
/// variable; a flag wins over the environment, the environment over the default.
struct SettingOptions: ParsableArguments {
    @Option(help: "Address to listen on (CISTERN_HOST; default 127.0.0.1).") var host: String?
    @Option(help: "Port to listen on, 0 for any free port (CISTERN_PORT; default 8080).") var port: String?
    @Option(name: .customLong("data-dir"), help: "Directory for the database and keys (CISTERN_DATA_DIR; default ./cistern-data).")
    var dataDir: String?
    @Option(name: .customLong("database-url"), help: "sqlite:PATH (CISTERN_DATABASE_URL; default: cistern.sqlite in the data dir).")
    var databaseURL: String?
    @Option(name: .customLong("registration"), help: "open or closed (CISTERN_REGISTRATION; default open).") var registration: String?
    @Option(name: .customLong("log-level"), help: "trace ... critical (CISTERN_LOG_LEVEL; default info).") var logLevel: String?
    @Flag(name: .customLong("no-validate-buckets"), help: "Accept buckets without checking them at the provider (CISTERN_VALIDATE_BUCKETS=false).")
    var noValidateBuckets = false
    @Option(name: .customLong("buckets-per-organization"), help: "Bucket quota per organization (CISTERN_BUCKETS_PER_ORGANIZATION; default unlimited).")
    var bucketsPerOrganization: String?

    /// The resolved configuration. Secrets (CISTERN_JWT_SECRET, CISTERN_MASTER_KEY) come only from
    /// the environment, so they never show in a process list.
    func resolve() throws -> CisternConfiguration {
        var flags: [String: String] = [:]
        flags["host"] = self.host
        flags["port"] = self.port
        flags["data-dir"] = self.dataDir
        flags["database-url"] = self.databaseURL
        flags["registration"] = self.registration
        flags["log-level"] = self.logLevel
        flags["buckets-per-organization"] = self.bucketsPerOrganization
        if self.noValidateBuckets { flags["validate-buckets"] = "false" }
        return try CisternConfiguration.resolve(flags: flags, environment: ProcessInfo.processInfo.environment)
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the management API (creates the data directory on first start).")
    @OptionGroup var options: SettingOptions

    func run() async throws {
        try await failingInOneLine {
            let configuration = try self.options.resolve()
            let app = try await buildApplication(configuration, logger: makeLogger(configuration))
            try await app.runService()
        }
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending schema migrations and exit.")
    @OptionGroup var options: SettingOptions

    func run() async throws {
        try await failingInOneLine {
            let configuration = try self.options.resolve()
            let applied = try await migrateDatabase(configuration, logger: makeLogger(configuration))
            print(applied.isEmpty ? "schema is up to date" : "applied migrations: " + applied.map(String.init).joined(separator: ", "))
        }
    }
}

struct Dev: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Tools for developing and benchmarking Cistern.", subcommands: [Seed.self])
}

struct Seed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fill an empty database with a generated dataset and print access tokens for its known users.",
        discussion: """
            Besides the spread-out rest, the dataset holds a known small organization (50 buckets in 3 workspaces, \
            20 repositories of which 8 MIRROR, an OWNER and a USER who reads one workspace) and, unless \
            --large-org-buckets is 0, a known large organization. Prints shell assignments: SEED_<ROLE>_TOKEN=... .
            """
    )
    @OptionGroup var options: SettingOptions
    @Option(help: "Organizations in all.") var orgs = 2000
    @Option(help: "Buckets in all.") var buckets = 100_000
    @Option(help: "Repositories in all.") var repos = 20_000
    @Option(name: .customLong("large-org-buckets"), help: "Buckets of the known large organization (0: none).") var largeOrgBuckets = 10_000

    func run() async throws {
        try await failingInOneLine {
            let configuration = try self.options.resolve()
            let plan = SeedPlan(organizations: self.orgs, buckets: self.buckets, repositories: self.repos, largeOrganizationBuckets: self.largeOrgBuckets)
            let report = try await seedDevelopmentDataset(configuration, plan: plan, logger: makeLogger(configuration))
            let written = report.dataset
            print(
                "# seeded \(written.organizations) organizations, \(written.users) users, \(written.workspaces) workspaces, "
                    + "\(written.buckets) buckets, \(written.repositories) repositories (\(written.mirrorMembers) buckets in MIRRORs) "
                    + "in \(String(format: "%.1f", report.seconds)) s; every user's password: \(report.password)"
            )
            for login in report.logins {
                let name = login.role.uppercased().replacingOccurrences(of: "-", with: "_")
                print("# \(login.role): \(login.email), organization \(login.orgId.uuidString.lowercased())")
                print("SEED_\(name)_TOKEN=\(login.accessToken)")
            }
        }
    }
}

func makeLogger(_ configuration: CisternConfiguration) -> Logger {
    var logger = Logger(label: "cistern")
    logger.logLevel = configuration.logLevel
    return logger
}

/// Runs `body`; an error becomes one line on standard error and exit status 1, not a stack trace.
func failingInOneLine(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch {
        FileHandle.standardError.write(Data("cistern: \(describeFailure(error))\n".utf8))
        throw ExitCode.failure
    }
}
