import CisternAPI
import CisternBootstrap
import CisternCore
import Foundation
import Logging
import Testing

@Suite("Configuration and the data directory")
struct ConfigurationTests {
    @Test func defaultsNeedNoConfiguration() throws {
        let configuration = try CisternConfiguration.resolve(flags: [:], environment: [:])
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 8080)
        #expect(configuration.dataDirectory == "./cistern-data")
        #expect(configuration.databaseURL == nil)
        #expect(configuration.registrationOpen)
    }

    @Test func flagsWinOverEnvironmentWhichWinsOverDefaults() throws {
        let configuration = try CisternConfiguration.resolve(
            flags: ["port": "9000"],
            environment: [
                "CISTERN_PORT": "9100", "CISTERN_HOST": "0.0.0.0", "CISTERN_DATA_DIR": "/var/lib/cistern",
                "CISTERN_REGISTRATION": "closed", "UNRELATED": "x",
            ]
        )
        #expect(configuration.port == 9000)
        #expect(configuration.host == "0.0.0.0")
        #expect(configuration.dataDirectory == "/var/lib/cistern")
        #expect(!configuration.registrationOpen)
    }

    @Test(arguments: [
        ("CISTERN_PORT", "eighty", "port"), ("CISTERN_PORT", "70000", "port"), ("CISTERN_REGISTRATION", "maybe", "registration"),
        ("CISTERN_BCRYPT_COST", "2", "bcrypt-cost"), ("CISTERN_LOG_LEVEL", "loud", "log-level"),
    ])
    func malformedValuesFailNamingTheSetting(variable: String, value: String, setting: String) {
        #expect {
            try CisternConfiguration.resolve(flags: [:], environment: [variable: value])
        } throws: { error in
            (error as? ConfigurationError)?.setting == setting
        }
    }

    @Test func firstStartCreatesPrivateKeysAndTheSecondReusesThem() throws {
        let directory = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = CisternConfiguration()
        configuration.dataDirectory = directory
        let first = try DataDirectory.prepare(configuration, logger: Logger(label: "test"))
        for file in ["jwt-signing.key", "master.key"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: "\(directory)/\(file)")
            #expect((attributes[.posixPermissions] as? Int) == 0o600, "\(file)")
        }
        let directoryMode = try FileManager.default.attributesOfItem(atPath: directory)[.posixPermissions] as? Int
        #expect(directoryMode == 0o700)
        #expect(first.databaseURL == "sqlite:\(directory)/cistern.sqlite")
        let keyFile = try String(contentsOfFile: "\(directory)/master.key", encoding: .utf8)
        let second = try DataDirectory.prepare(configuration, logger: Logger(label: "test"))
        #expect(try String(contentsOfFile: "\(directory)/master.key", encoding: .utf8) == keyFile)
        #expect(first.masterKey.key == second.masterKey.key)
        #expect(first.jwtKey.key == second.jwtKey.key)
        #expect(first.jwtKey.key != first.masterKey.key)
    }

    @Test func aCorruptKeyFileFailsNamingTheFile() throws {
        let directory = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try #require(
            FileManager.default.createFile(
                atPath: "\(directory)/master.key", contents: Data("not a key".utf8), attributes: [.posixPermissions: 0o600]))
        var configuration = CisternConfiguration()
        configuration.dataDirectory = directory
        #expect {
            try DataDirectory.prepare(configuration, logger: Logger(label: "test"))
        } throws: { error in
            "\(error)".contains("\(directory)/master.key") && "\(error)".contains("base64")
        }
    }

    @Test func aMalformedSuppliedKeyFailsWithoutEchoingIt() throws {
        let directory = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = CisternConfiguration()
        configuration.dataDirectory = directory
        configuration.masterKey = "dG9vLXNob3J0LXNlY3JldA=="
        #expect {
            try DataDirectory.prepare(configuration, logger: Logger(label: "test"))
        } throws: { error in
            "\(error)" == "CISTERN_MASTER_KEY must be 32 bytes (256 bits), got 16"
        }
    }

    @Test func suppliedKeysAreUsedAndNotWrittenToDisk() throws {
        let directory = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = CisternConfiguration()
        configuration.dataDirectory = directory
        let supplied = KeyMaterial.generate()
        configuration.jwtSecret = supplied.base64
        let prepared = try DataDirectory.prepare(configuration, logger: Logger(label: "test"))
        #expect(prepared.jwtKey.key == supplied.material.key)
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/jwt-signing.key"))
    }

    @Test(arguments: [
        ("sqlite:/tmp/a.sqlite", "sqlite:/tmp/a.sqlite"), ("sqlite:///tmp/b.db", "sqlite:/tmp/b.db"), ("sqlite:rel.db", "sqlite:rel.db"),
        ("postgres://u:p@127.0.0.1:5432/db", "postgres://u:p@127.0.0.1:5432/db"),
    ])
    func databaseURLsAreCheckedAndKept(url: String, expected: String) throws {
        let directory = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = CisternConfiguration()
        configuration.dataDirectory = directory
        configuration.databaseURL = url
        #expect(try DataDirectory.prepare(configuration, logger: Logger(label: "test")).databaseURL == expected)
    }

    @Test func anUnsupportedDatabaseURLFailsFast() {
        var configuration = CisternConfiguration()
        configuration.dataDirectory = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: configuration.dataDirectory) }
        configuration.databaseURL = "mysql://root@localhost/cistern"
        #expect(throws: StartupError.self) { try DataDirectory.prepare(configuration, logger: Logger(label: "test")) }
    }

    @Test func anUnreachableDatabaseFailsTheBuild() async throws {
        var configuration = CisternConfiguration()
        configuration.dataDirectory = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: configuration.dataDirectory) }
        configuration.databaseURL = "sqlite:/proc/nowhere/cistern.sqlite"
        configuration.bcryptCost = 4
        await #expect(throws: (any Error).self) { _ = try await buildApplication(configuration) }
    }

    static func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("cistern-config-\(UUID().uuidString)").path
    }
}
