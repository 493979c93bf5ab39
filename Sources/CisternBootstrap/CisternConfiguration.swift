import CisternCore
import Foundation
import Logging

/// Every setting of a Cistern process. Values are layered: command-line flags over `CISTERN_*`
/// environment variables over the configuration file over the defaults here; `resolve` is the one
/// place that does it.
public struct CisternConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// Holds the SQLite database (unless `databaseURL` says otherwise) and the generated keys.
    public var dataDirectory = "./cistern-data"
    /// `sqlite:PATH` or `postgres://user:password@host:port/database`; nil for `cistern.sqlite`
    /// in the data directory.
    public var databaseURL: String?
    /// Connections in the database pool.
    public var databasePoolSize = 8
    /// Base64 of 32 bytes; nil to use (or create) `jwt-signing.key` in the data directory.
    public var jwtSecret: String?
    /// Keys that signed access tokens before the current one: they still verify, never sign.
    public var jwtSecretPrevious: [String] = []
    /// Base64 of 32 bytes; nil to use (or create) `master.key` in the data directory.
    public var masterKey: String?
    /// Master keys that sealed secrets before the current one: they still open, never seal.
    public var masterKeyPrevious: [String] = []
    public var accessTokenLifetime: TimeInterval = 3600
    public var refreshTokenLifetime: TimeInterval = 30 * 24 * 3600
    public var registrationOpen = true
    /// Failed logins allowed per account, and per client address, in each `loginWindow` seconds.
    public var loginFailuresPerAccount = 5
    public var loginFailuresPerAddress = 20
    public var loginWindow = 900
    /// Peers whose `X-Forwarded-For` names the client (reverse proxies); empty: none.
    public var trustedProxies: Set<String> = []
    /// Seconds a connection may stay silent (no request, or a request head still incomplete).
    public var idleTimeout = 60
    /// Connections served at once; more wait in the listen queue. Also kept below the open-file limit.
    public var maxConnections = 4096
    /// bcrypt work factor (4...31); each step doubles the cost of a login.
    public var bcryptCost = 12
    public var logLevel: Logger.Level = .info
    /// Check a bucket's credentials at its provider before accepting a create or a credential
    /// change. Off for air-gapped set-ups: the status is then null until checked.
    public var validateBuckets = true
    /// At most this many live buckets per organization; nil for no limit.
    public var bucketsPerOrganization: Int?
    /// At most this many live repositories per organization; nil for no limit.
    public var repositoriesPerOrganization: Int?
    /// Seconds between two checks of a bucket by the monitor (plus up to 10% jitter); 0 turns the monitor off.
    public var monitorInterval = 60
    /// Checks the monitor runs at once.
    public var monitorConcurrency = 16
    /// Where GCS service accounts exchange their signed assertion for an access token; nil (`none`)
    /// sends GCS requests without a token, for emulators.
    public var gcsTokenURL: String? = "https://oauth2.googleapis.com/token"
    /// The most one request to a provider may take, in seconds (connecting takes at most 2 of them).
    public var providerTimeout = 5
    /// Whether this process serves the S3 gateway beside the management API.
    public var gatewayEnabled = true
    /// Where the gateway listens; its host defaults to `host`, and port 0 takes any free port.
    public var gatewayHost: String?
    public var gatewayPort = 9000
    /// PEM files of the gateway's certificate (chain) and private key: with both, the gateway
    /// speaks HTTPS.
    public var gatewayTLSCertificate: String?
    public var gatewayTLSKey: String?
    /// How the repairer of MIRROR repositories retries and leases its work.
    public var replication = ReplicationPolicy()
    /// Seconds a mirror's share of one write may take before it is cut loose and repaired later.
    public var mirrorTimeout = 60
    /// A bearer token `GET /metrics` requires (nil: the metrics are open to whoever reaches the port).
    public var metricsToken: String?
    /// `text` (swift-log's default lines) or `json` (one object per line).
    public var logFormat = LogFormat.text

    public enum LogFormat: String, Sendable {
        case text
        case json
    }

    /// The name this process's traffic figures carry (`host` in the statistics).
    public var nodeName = ProcessInfo.processInfo.hostName
    /// Seconds between two writes of the gateway's traffic counters to the database.
    public var statsInterval = 60

    public init() {}

    /// One setting: its name in `--flags` and the configuration file (`data-dir`) and in the
    /// environment (`CISTERN_DATA_DIR`). A secret may also be read from a file that only its owner
    /// may read: `CISTERN_MASTER_KEY_FILE`, `$CREDENTIALS_DIRECTORY/master-key` (systemd's
    /// `LoadCredential=`), or `master-key-file` in the configuration file.
    public struct Setting: Sendable {
        public let flag: String
        public let isSecret: Bool
        let apply: @Sendable (inout CisternConfiguration, String) throws(ConfigurationError) -> Void

        init(flag: String, apply: @escaping @Sendable (inout CisternConfiguration, String) throws(ConfigurationError) -> Void) {
            self.flag = flag
            self.isSecret = false
            self.apply = apply
        }

        init(secret flag: String, apply: @escaping @Sendable (inout CisternConfiguration, String) throws(ConfigurationError) -> Void) {
            self.flag = flag
            self.isSecret = true
            self.apply = apply
        }

        public var environmentVariable: String {
            "CISTERN_" + self.flag.uppercased().replacingOccurrences(of: "-", with: "_")
        }

        /// The environment's value: the variable, or for a secret the file `CISTERN_…_FILE` names,
        /// or the credential systemd passed under the setting's name.
        func value(in environment: [String: String]) throws(ConfigurationError) -> String? {
            let direct = environment[self.environmentVariable]
            guard self.isSecret else { return direct }
            let file = environment[self.environmentVariable + "_FILE"]
            switch (direct, file) {
            case (.some, .some):
                throw ConfigurationError(
                    setting: self.flag, problem: "is set both as \(self.environmentVariable) and \(self.environmentVariable)_FILE: keep one")
            case (let value?, nil):
                return value
            case (nil, let path?):
                return try SecretFile.read(path, for: self.environmentVariable + "_FILE")
            case (nil, nil):
                guard let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty else { return nil }
                let path = (directory as NSString).appendingPathComponent(self.flag)
                guard FileManager.default.fileExists(atPath: path) else { return nil }
                return try SecretFile.read(path, for: "credential \(self.flag)")
            }
        }
    }

    /// Every setting that can be given on the command line or in the environment.
    public static let settings: [Setting] = [
        Setting(flag: "host") { $0.host = $1 },
        Setting(flag: "port") { config, value throws(ConfigurationError) in
            config.port = try parse(value, as: "port", range: 0...65535)
        },
        Setting(flag: "data-dir") { $0.dataDirectory = $1 },
        // It may hold a PostgreSQL password.
        Setting(secret: "database-url") { $0.databaseURL = $1 },
        Setting(flag: "database-pool-size") { config, value throws(ConfigurationError) in
            config.databasePoolSize = try parse(value, as: "database-pool-size", range: 1...512)
        },
        Setting(secret: "jwt-secret") { $0.jwtSecret = $1 },
        Setting(secret: "jwt-secret-previous") { config, value in config.jwtSecretPrevious = Self.list(value) },
        Setting(secret: "master-key") { $0.masterKey = $1 },
        Setting(secret: "master-key-previous") { config, value in config.masterKeyPrevious = Self.list(value) },
        Setting(flag: "access-token-ttl") { config, value throws(ConfigurationError) in
            config.accessTokenLifetime = TimeInterval(try parse(value, as: "access-token-ttl", range: 1...86_400 * 7))
        },
        Setting(flag: "refresh-token-ttl") { config, value throws(ConfigurationError) in
            config.refreshTokenLifetime = TimeInterval(try parse(value, as: "refresh-token-ttl", range: 60...86_400 * 366))
        },
        Setting(flag: "registration") { config, value throws(ConfigurationError) in
            switch value.lowercased() {
            case "open": config.registrationOpen = true
            case "closed": config.registrationOpen = false
            default: throw ConfigurationError(setting: "registration", problem: "must be open or closed, got '\(value)'")
            }
        },
        Setting(flag: "login-failures-per-account") { config, value throws(ConfigurationError) in
            config.loginFailuresPerAccount = try parse(value, as: "login-failures-per-account", range: 1...1_000_000)
        },
        Setting(flag: "login-failures-per-address") { config, value throws(ConfigurationError) in
            config.loginFailuresPerAddress = try parse(value, as: "login-failures-per-address", range: 1...1_000_000)
        },
        Setting(flag: "login-window") { config, value throws(ConfigurationError) in
            config.loginWindow = try parse(value, as: "login-window", range: 1...86_400)
        },
        Setting(flag: "trusted-proxies") { config, value throws(ConfigurationError) in
            let addresses = Self.list(value)
            for address in addresses where !address.allSatisfy({ $0.isHexDigit || $0 == "." || $0 == ":" }) {
                throw ConfigurationError(setting: "trusted-proxies", problem: "must be IP addresses separated by commas, got '\(address)'")
            }
            config.trustedProxies = Set(addresses)
        },
        Setting(flag: "idle-timeout") { config, value throws(ConfigurationError) in
            config.idleTimeout = try parse(value, as: "idle-timeout", range: 1...3600)
        },
        Setting(flag: "max-connections") { config, value throws(ConfigurationError) in
            config.maxConnections = try parse(value, as: "max-connections", range: 1...1_000_000)
        },
        Setting(flag: "bcrypt-cost") { config, value throws(ConfigurationError) in
            config.bcryptCost = try parse(value, as: "bcrypt-cost", range: 4...31)
        },
        Setting(flag: "validate-buckets") { config, value throws(ConfigurationError) in
            config.validateBuckets = try parseBool(value, as: "validate-buckets")
        },
        Setting(flag: "buckets-per-organization") { config, value throws(ConfigurationError) in
            config.bucketsPerOrganization =
                value.lowercased() == "unlimited" ? nil : try parse(value, as: "buckets-per-organization", range: 0...Int(Int32.max))
        },
        Setting(flag: "repositories-per-organization") { config, value throws(ConfigurationError) in
            config.repositoriesPerOrganization =
                value.lowercased() == "unlimited" ? nil : try parse(value, as: "repositories-per-organization", range: 0...Int(Int32.max))
        },
        Setting(flag: "monitor-interval") { config, value throws(ConfigurationError) in
            config.monitorInterval = try parse(value, as: "monitor-interval", range: 0...86_400)
        },
        Setting(flag: "monitor-concurrency") { config, value throws(ConfigurationError) in
            config.monitorConcurrency = try parse(value, as: "monitor-concurrency", range: 1...1024)
        },
        Setting(flag: "gcs-token-url") { config, value in
            config.gcsTokenURL = value.lowercased() == "none" ? nil : value
        },
        Setting(flag: "provider-timeout") { config, value throws(ConfigurationError) in
            config.providerTimeout = try parse(value, as: "provider-timeout", range: 1...300)
        },
        Setting(flag: "gateway") { config, value throws(ConfigurationError) in
            config.gatewayEnabled = try parseBool(value, as: "gateway")
        },
        Setting(flag: "gateway-host") { $0.gatewayHost = $1 },
        Setting(flag: "gateway-port") { config, value throws(ConfigurationError) in
            config.gatewayPort = try parse(value, as: "gateway-port", range: 0...65535)
        },
        Setting(secret: "metrics-token") { $0.metricsToken = $1.isEmpty ? nil : $1 },
        Setting(flag: "log-format") { config, value throws(ConfigurationError) in
            guard let format = LogFormat(rawValue: value.lowercased()) else {
                throw ConfigurationError(setting: "log-format", problem: "must be text or json, got '\(value)'")
            }
            config.logFormat = format
        },
        Setting(flag: "node-name") { config, value throws(ConfigurationError) in
            let name = value.trimmingCharacters(in: .whitespaces)
            guard (1...100).contains(name.count) else { throw ConfigurationError(setting: "node-name", problem: "must be 1 to 100 characters") }
            config.nodeName = name
        },
        Setting(flag: "stats-interval") { config, value throws(ConfigurationError) in
            config.statsInterval = try parse(value, as: "stats-interval", range: 1...3600)
        },
        Setting(flag: "mirror-timeout") { config, value throws(ConfigurationError) in
            config.mirrorTimeout = try parse(value, as: "mirror-timeout", range: 1...86_400)
        },
        Setting(flag: "repair-attempts") { config, value throws(ConfigurationError) in
            config.replication.maximumAttempts = try parse(value, as: "repair-attempts", range: 1...1000)
        },
        Setting(flag: "repair-backoff-max") { config, value throws(ConfigurationError) in
            config.replication.maximumBackoff = .seconds(try parse(value, as: "repair-backoff-max", range: 1...86_400))
        },
        Setting(flag: "repair-concurrency") { config, value throws(ConfigurationError) in
            config.replication.concurrency = try parse(value, as: "repair-concurrency", range: 1...256)
        },
        Setting(flag: "repair-lease") { config, value throws(ConfigurationError) in
            config.replication.lease = .seconds(try parse(value, as: "repair-lease", range: 1...86_400))
        },
        Setting(flag: "gateway-tls-cert") { $0.gatewayTLSCertificate = $1 },
        Setting(flag: "gateway-tls-key") { $0.gatewayTLSKey = $1 },
        Setting(flag: "log-level") { config, value throws(ConfigurationError) in
            guard let level = Logger.Level(rawValue: value.lowercased()) else {
                throw ConfigurationError(setting: "log-level", problem: "must be one of trace, debug, info, notice, warning, error, critical")
            }
            config.logLevel = level
        },
    ]

    /// Builds the configuration from flags (by flag name) over the environment over the
    /// configuration file over defaults.
    public static func resolve(
        flags: [String: String], environment: [String: String], file: ConfigurationFile? = nil
    ) throws(ConfigurationError) -> CisternConfiguration {
        var configuration = CisternConfiguration()
        for setting in settings {
            var value = flags[setting.flag]
            if value == nil { value = try setting.value(in: environment) }
            if value == nil, let file { value = try file.value(of: setting) }
            if let value { try setting.apply(&configuration, value) }
        }
        return configuration
    }

    private static func parseBool(_ value: String, as setting: String) throws(ConfigurationError) -> Bool {
        switch value.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: throw ConfigurationError(setting: setting, problem: "must be true or false, got '\(value)'")
        }
    }

    private static func parse(_ value: String, as setting: String, range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        guard let number = Int(value.trimmingCharacters(in: .whitespaces)), range.contains(number) else {
            throw ConfigurationError(setting: setting, problem: "must be a whole number in \(range.lowerBound)...\(range.upperBound), got '\(value)'")
        }
        return number
    }
}

/// A setting whose value cannot be used. The description names the setting; it never repeats
/// the value of a secret.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public var setting: String
    public var problem: String
    public var description: String { "\(self.setting) \(self.problem)" }
}

extension CisternConfiguration {
    /// When buckets are checked again. With the monitor off (interval 0) the schedule is still
    /// recorded, at the default minute, for whichever process runs a monitor.
    public var checkSchedule: CheckSchedule { CheckSchedule(interval: TimeInterval(self.monitorInterval > 0 ? self.monitorInterval : 60)) }
}

extension CisternConfiguration {
    /// The entries of a comma-separated value (keys, addresses), trimmed, empty ones dropped.
    static func list(_ value: String) -> [String] {
        value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
