import ArgumentParser
import CisternAPI
import CisternBootstrap
import CisternClient
import CisternGateway
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import UnixSignals

struct Cistern: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cistern",
        abstract: "A self-hosted control plane for storage buckets at other providers.",
        discussion: "serve and migrate run the server; the other commands are a client of a running server's API (see README, Command line).",
        subcommands: [
            Serve.self, Migrate.self, Admin.self, Login.self, Logout.self, WorkspaceCommand.self, UserCommand.self, BucketCommand.self,
            RepoCommand.self,
            KeyCommand.self, TokenCommand.self, StatsCommand.self, AuditCommand.self,
        ]
    )

    /// Parses the command line and runs the command (what `@main` would do; `main.swift` first
    /// sets up the executor). Exits 0 on success, 1 when the API refuses (its message on standard
    /// error) or the command fails, 2 on a usage error.
    static func start() async {
        do {
            var command = try Self.parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let error as APIError {
            FileHandle.standardError.write(Data("cistern: \(error.message)\n".utf8))
            Foundation.exit(1)
        } catch let error as UsageError {
            FileHandle.standardError.write(Data("cistern: \(error.message)\n".utf8))
            Foundation.exit(2)
        } catch {
            if Self.exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((Self.fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            Self.exit(withError: error)
        }
    }
}

/// The settings every command shares. Each may also come from its `CISTERN_*` environment
/// variable; a flag wins over the environment, the environment over the default.
struct SettingOptions: ParsableArguments {
    @Option(help: "A YAML file of settings, under the environment and flags (CISTERN_CONFIG).") var config: String?
    @Option(help: "Address to listen on (CISTERN_HOST; default 127.0.0.1).") var host: String?
    @Option(help: "Port to listen on, 0 for any free port (CISTERN_PORT; default 8080).") var port: String?
    @Option(name: .customLong("gateway-port"), help: "Port of the S3 gateway, 0 for any free port (CISTERN_GATEWAY_PORT; default 9000).")
    var gatewayPort: String?
    @Option(name: .customLong("gateway-host"), help: "Address of the S3 gateway (CISTERN_GATEWAY_HOST; default: --host).")
    var gatewayHost: String?
    @Flag(name: .customLong("no-gateway"), help: "Serve the management API alone (CISTERN_GATEWAY=off).") var noGateway = false
    @Option(name: .customLong("gateway-tls-cert"), help: "PEM certificate (chain) for HTTPS on the gateway (CISTERN_GATEWAY_TLS_CERT).")
    var gatewayTLSCert: String?
    @Option(name: .customLong("gateway-tls-key"), help: "PEM private key for HTTPS on the gateway (CISTERN_GATEWAY_TLS_KEY).")
    var gatewayTLSKey: String?
    @Option(name: .customLong("data-dir"), help: "Directory for the database and keys (CISTERN_DATA_DIR; default ./cistern-data).")
    var dataDir: String?
    @Option(name: .customLong("database-url"), help: "sqlite:PATH (CISTERN_DATABASE_URL; default: cistern.sqlite in the data dir).")
    var databaseURL: String?
    @Option(name: .customLong("registration"), help: "open or closed (CISTERN_REGISTRATION; default open).") var registration: String?
    @Option(name: .customLong("log-level"), help: "trace ... critical (CISTERN_LOG_LEVEL; default info).") var logLevel: String?
    @Flag(name: .customLong("no-validate-buckets"), help: "Accept buckets without checking them at the provider (CISTERN_VALIDATE_BUCKETS=false).")
    var noValidateBuckets = false
    @Option(
        name: .customLong("buckets-per-organization"), help: "Bucket quota per organization (CISTERN_BUCKETS_PER_ORGANIZATION; default unlimited).")
    var bucketsPerOrganization: String?

    /// The resolved configuration. Secrets (CISTERN_JWT_SECRET, CISTERN_MASTER_KEY...) have no flag,
    /// so they never show in a process list: the environment, a file, or the configuration file.
    func resolve() throws -> CisternConfiguration {
        var flags: [String: String] = [:]
        flags["host"] = self.host
        flags["port"] = self.port
        flags["gateway-port"] = self.gatewayPort
        flags["gateway-host"] = self.gatewayHost
        if self.noGateway { flags["gateway"] = "off" }
        flags["gateway-tls-cert"] = self.gatewayTLSCert
        flags["gateway-tls-key"] = self.gatewayTLSKey
        flags["data-dir"] = self.dataDir
        flags["database-url"] = self.databaseURL
        flags["registration"] = self.registration
        flags["log-level"] = self.logLevel
        flags["buckets-per-organization"] = self.bucketsPerOrganization
        if self.noValidateBuckets { flags["validate-buckets"] = "false" }
        let environment = ProcessInfo.processInfo.environment
        let file = try (self.config ?? environment["CISTERN_CONFIG"]).map(ConfigurationFile.load)
        return try CisternConfiguration.resolve(flags: flags, environment: environment, file: file)
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the management API and the S3 gateway (creates the data directory on first start)."
    )
    @OptionGroup var options: SettingOptions

    func run() async throws {
        try await failingInOneLine {
            let configuration = try self.options.resolve()
            // Libraries that make their own loggers write in the same format.
            if configuration.logFormat == .json { LoggingSystem.bootstrap { JSONLogHandler(label: $0) } }
            let app = try await buildApplication(configuration, logger: configuration.makeLogger()) { runtime in
                [DrainWatcher(draining: runtime.draining)] + (try await GatewayServer.services(runtime))
            }
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
            let applied = try await migrateDatabase(configuration, logger: configuration.makeLogger())
            print(applied.isEmpty ? "schema is up to date" : "applied migrations: " + applied.map(String.init).joined(separator: ", "))
        }
    }
}

/// Runs `body`; an error becomes one line on standard error and exit status 1.
func failingInOneLine(_ body: () async throws -> Void) async throws {
    do { try await body() } catch {
        reportFailure(error)
        throw ExitCode.failure
    }
}

/// Marks the process as draining as soon as it is asked to stop (SIGTERM, SIGINT), before the
/// servers wind down, so `GET /health/ready` turns 503 while requests in flight finish.
struct DrainWatcher: Service {
    let draining: Draining

    func run() async throws {
        await cancelWhenGracefulShutdown {
            for await _ in await UnixSignalsSequence(trapping: .sigterm, .sigint) {
                self.draining.begin()
                break
            }
        }
        // Returning would end the whole group at once: stay until its graceful shutdown comes here.
        try? await gracefulShutdown()
    }
}
