import CisternBootstrap
import Foundation
import Testing

/// `--config cistern.yaml`, `CISTERN_*_FILE` and systemd credentials: what wins, and what is refused.
@Suite("Configuration file and secret files")
struct ConfigurationFileTests {
    let directory = ConfigurationTests.temporaryPath()
    static let key = "3q2+7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

    init() throws {
        try FileManager.default.createDirectory(atPath: self.directory, withIntermediateDirectories: true)
    }

    func write(_ name: String, _ text: String, mode: Int = 0o600) throws -> String {
        let path = "\(self.directory)/\(name)"
        try #require(FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: mode]))
        return path
    }

    @Test func flagsWinOverTheEnvironmentWhichWinsOverTheFileWhichWinsOverDefaults() throws {
        defer { try? FileManager.default.removeItem(atPath: self.directory) }
        let file = try ConfigurationFile.load(
            try self.write(
                "cistern.yaml",
                """
                # Settings by their flags' names.
                port: 7000
                host: 0.0.0.0
                data-dir: /var/lib/cistern
                trusted-proxies: [10.0.0.1, 10.0.0.2]
                validate-buckets: no
                log-level: debug
                """, mode: 0o644
            )
        )
        let environment = ["CISTERN_PORT": "7100", "CISTERN_LOG_LEVEL": "error"]
        let all = try CisternConfiguration.resolve(flags: ["port": "7200"], environment: environment, file: file)
        #expect(all.port == 7200)
        #expect(all.logLevel == .error)
        #expect(all.host == "0.0.0.0" && all.dataDirectory == "/var/lib/cistern" && !all.validateBuckets)
        #expect(all.trustedProxies == ["10.0.0.1", "10.0.0.2"])
        #expect(try CisternConfiguration.resolve(flags: [:], environment: environment, file: file).port == 7100)
        let fileOnly = try CisternConfiguration.resolve(flags: [:], environment: [:], file: file)
        #expect(fileOnly.port == 7000 && fileOnly.logLevel == .debug)
        #expect(try CisternConfiguration.resolve(flags: [:], environment: [:]).port == 8080)
    }

    @Test(arguments: [
        ("prot: 8080\n", "names no setting 'prot' (line 1)"),
        ("port: 8080\nport: 9090\n", "is not YAML: Parser: expected all keys to be unique but found the following duplicated key(s): 'port'."),
        ("gateway:\n  port: 9000\n", "gateway in"),
        ("port:\n", "port in"),
        ("- port\n", "must be a mapping"),
        ("port: [8080\n", "is not YAML"),
        ("port: eighty\n", "port must be a whole number"),
    ])
    func aFileItCannotUseIsRefusedNamingWhatIsWrong(text: String, message: String) throws {
        defer { try? FileManager.default.removeItem(atPath: self.directory) }
        let path = try self.write("bad.yaml", text)
        #expect {
            try CisternConfiguration.resolve(flags: [:], environment: [:], file: try ConfigurationFile.load(path))
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func aSecretInAFileOthersMayReadIsRefusedWithoutShowingIt() throws {
        defer { try? FileManager.default.removeItem(atPath: self.directory) }
        let open = try ConfigurationFile.load(try self.write("open.yaml", "master-key: \(Self.key)\n", mode: 0o644))
        #expect {
            try CisternConfiguration.resolve(flags: [:], environment: [:], file: open)
        } throws: { error in
            "\(error)".contains("master-key is written in") && "\(error)".contains("chmod 600") && !"\(error)".contains(Self.key)
        }
        let closed = try ConfigurationFile.load(try self.write("closed.yaml", "master-key: \(Self.key)\n"))
        #expect(try CisternConfiguration.resolve(flags: [:], environment: [:], file: closed).masterKey == Self.key)

        // A file with no secret may be open to all; one naming a secret file too.
        let keyFile = try self.write("master.key", Self.key + "\n")
        let named = try ConfigurationFile.load(try self.write("named.yaml", "master-key-file: \(keyFile)\nport: 81\n", mode: 0o644))
        #expect(try CisternConfiguration.resolve(flags: [:], environment: [:], file: named).masterKey == Self.key)
    }

    @Test func secretsComeFromFilesOnlyTheirOwnerMayRead() throws {
        defer { try? FileManager.default.removeItem(atPath: self.directory) }
        let keyFile = try self.write("jwt.key", Self.key + "\n")
        let read = try CisternConfiguration.resolve(flags: [:], environment: ["CISTERN_JWT_SECRET_FILE": keyFile])
        #expect(read.jwtSecret == Self.key)

        let openFile = try self.write("open.key", Self.key, mode: 0o640)
        #expect {
            try CisternConfiguration.resolve(flags: [:], environment: ["CISTERN_MASTER_KEY_FILE": openFile])
        } throws: { error in
            "\(error)".contains("CISTERN_MASTER_KEY_FILE names \(openFile), which users other than its owner may read: chmod 600 it")
                && !"\(error)".contains(Self.key)
        }
        #expect {
            try CisternConfiguration.resolve(flags: [:], environment: ["CISTERN_MASTER_KEY_FILE": keyFile, "CISTERN_MASTER_KEY": Self.key])
        } throws: { error in
            "\(error)".contains("keep one")
        }
        #expect {
            try CisternConfiguration.resolve(flags: [:], environment: ["CISTERN_METRICS_TOKEN_FILE": "\(self.directory)/missing"])
        } throws: { error in
            "\(error)".contains("cannot be read")
        }
        // Only secrets have a _FILE form.
        #expect(try CisternConfiguration.resolve(flags: [:], environment: ["CISTERN_PORT_FILE": keyFile]).port == 8080)
    }

    @Test func systemdCredentialsAreReadByTheSettingsName() throws {
        defer { try? FileManager.default.removeItem(atPath: self.directory) }
        _ = try self.write("master-key", Self.key)
        _ = try self.write("metrics-token", "scrape-me\n")
        let environment = ["CREDENTIALS_DIRECTORY": self.directory]
        let configuration = try CisternConfiguration.resolve(flags: [:], environment: environment)
        #expect(configuration.masterKey == Self.key && configuration.metricsToken == "scrape-me")
        #expect(configuration.jwtSecret == nil)
        // An explicit variable wins over the credential.
        let explicit = try CisternConfiguration.resolve(flags: [:], environment: environment.merging(["CISTERN_METRICS_TOKEN": "other"]) { $1 })
        #expect(explicit.metricsToken == "other")
    }

    @Test func theBinaryTakesItsSettingsFromTheFileItIsGiven() async throws {
        defer { try? FileManager.default.removeItem(atPath: self.directory) }
        let data = "\(self.directory)/data"
        let config = try self.write("cistern.yaml", "data-dir: \(data)\nlog-level: warning\n", mode: 0o644)
        let cli = CommandLineTests.CLI(configHome: self.directory)
        let migrated = try await cli("migrate", "--config", config)
        #expect(migrated.status == 0, "\(migrated)")
        #expect(FileManager.default.fileExists(atPath: "\(data)/cistern.sqlite"))

        // CISTERN_CONFIG names it too; a flag still wins over it.
        var viaEnvironment = cli
        viaEnvironment.environment["CISTERN_CONFIG"] = config
        let elsewhere = "\(self.directory)/elsewhere"
        #expect(try await viaEnvironment("migrate", "--data-dir", elsewhere).status == 0)
        #expect(FileManager.default.fileExists(atPath: "\(elsewhere)/cistern.sqlite"))

        let typo = try self.write("typo.yaml", "data-dri: /tmp/x\n")
        let refused = try await cli("migrate", "--config", typo)
        #expect(refused.status == 1 && refused.err.contains("names no setting 'data-dri' (line 1)"), "\(refused)")
        #expect(refused.err.split(separator: "\n").count == 1, "one line: \(refused.err)")
    }
}
