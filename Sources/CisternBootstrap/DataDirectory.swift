import CisternCore
import CisternStore
import Foundation
import Logging

/// The files a Cistern process keeps on its own disk: the SQLite database (by default) and the
/// keys it generates on first start. Keys are written with mode 0600 in a 0700 directory, and
/// reused on every later start.
public struct DataDirectory: Sendable {
    public let path: String
    /// `sqlite:PATH` or a `postgres://` URL.
    public let databaseURL: String
    public let jwtKey: KeyMaterial
    /// Earlier JWT signing keys (`CISTERN_JWT_SECRET_PREVIOUS`): tokens they signed still verify.
    public let previousJWTKeys: [KeyMaterial]
    public let masterKey: KeyMaterial
    /// Earlier master keys (`CISTERN_MASTER_KEY_PREVIOUS`): secrets they sealed still open.
    public let previousMasterKeys: [KeyMaterial]
    /// Where the master key is kept when it does not come from the environment.
    public var masterKeyFile: String { (self.path as NSString).appendingPathComponent(Self.masterKeyFile) }
    /// Whether this start generated `masterKeyFile` (it was missing).
    public let generatedMasterKey: Bool

    static let jwtKeyFile = "jwt-signing.key"
    static let masterKeyFile = "master.key"
    static let databaseFile = "cistern.sqlite"

    /// Creates what is missing and loads what is there. A supplied or stored key that is not
    /// 32 bytes of base64, or a key file that others than its owner may read, is refused here,
    /// before anything is served; a data directory that others may enter is warned about.
    public static func prepare(_ configuration: CisternConfiguration, logger: Logger) throws -> DataDirectory {
        let fileManager = FileManager.default
        let path = configuration.dataDirectory
        if !fileManager.fileExists(atPath: path) {
            do {
                try fileManager.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw StartupError("cannot create data directory \(path): \(error.localizedDescription)")
            }
            logger.notice("created data directory", metadata: ["path": "\(path)"])
        } else if let mode = SecretFile.modeOpenToOthers(path) {
            logger.warning(
                "the data directory is open to other users: chmod 700 it", metadata: ["path": "\(path)", "mode": "\(String(mode, radix: 8))"]
            )
        }
        let databaseURL = try Self.databaseURL(of: configuration)
        let jwtKey = try key(supplied: configuration.jwtSecret, suppliedName: "CISTERN_JWT_SECRET", file: jwtKeyFile, in: path, logger: logger)
        let previousJWTKeys = try Self.keys(configuration.jwtSecretPrevious, name: "CISTERN_JWT_SECRET_PREVIOUS")
        let previousMasterKeys = try Self.keys(configuration.masterKeyPrevious, name: "CISTERN_MASTER_KEY_PREVIOUS")
        let masterKey = try key(supplied: configuration.masterKey, suppliedName: "CISTERN_MASTER_KEY", file: masterKeyFile, in: path, logger: logger)
        if databaseURL.hasPrefix("postgres"), configuration.jwtSecret == nil || configuration.masterKey == nil {
            logger.warning(
                "the keys come from this data directory: every replica sharing the database needs the same CISTERN_JWT_SECRET and CISTERN_MASTER_KEY"
            )
        }
        return DataDirectory(
            path: path, databaseURL: databaseURL, jwtKey: jwtKey.material, previousJWTKeys: previousJWTKeys, masterKey: masterKey.material,
            previousMasterKeys: previousMasterKeys,
            generatedMasterKey: masterKey.generated
        )
    }

    /// The database a configuration names: its `databaseURL`, or the SQLite file of its data directory.
    public static func databaseURL(of configuration: CisternConfiguration) throws -> String {
        try databaseLocation(configuration.databaseURL)
            ?? "sqlite:" + (configuration.dataDirectory as NSString).appendingPathComponent(databaseFile)
    }

    /// The database URL in its checked form (`sqlite:PATH` or `postgres://...`), or nil for the default.
    static func databaseLocation(_ url: String?) throws(StartupError) -> String? {
        guard let url, !url.isEmpty else { return nil }
        if let path = Database.sqlitePath(url) {
            guard !path.isEmpty else { throw StartupError("database-url \(url) names no file") }
            return "sqlite:" + path
        }
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") { return url }
        throw StartupError("database-url must look like sqlite:PATH or postgres://user:password@host:port/database")
    }

    /// Keys given as base64 in the setting `name`; a malformed one stops the start, naming it.
    private static func keys(_ values: [String], name: String) throws -> [KeyMaterial] {
        try values.map { value in
            do {
                return try KeyMaterial(base64: value, name: name)
            } catch {
                throw StartupError("\(error)")
            }
        }
    }

    private static func key(
        supplied: String?, suppliedName: String, file: String, in directory: String, logger: Logger
    ) throws -> (material: KeyMaterial, generated: Bool) {
        if let supplied {
            do {
                return (try KeyMaterial(base64: supplied, name: suppliedName), false)
            } catch {
                throw StartupError("\(error)")
            }
        }
        let filePath = (directory as NSString).appendingPathComponent(file)
        if let data = FileManager.default.contents(atPath: filePath) {
            if let mode = SecretFile.modeOpenToOthers(filePath) {
                throw StartupError("\(filePath) may be read by other users (mode \(String(mode, radix: 8))): chmod 600 it")
            }
            do {
                return (try KeyMaterial(base64: String(decoding: data, as: UTF8.self), name: filePath), false)
            } catch {
                throw StartupError("\(error)")
            }
        }
        let generated = KeyMaterial.generate()
        guard
            FileManager.default.createFile(
                atPath: filePath, contents: Data((generated.base64 + "\n").utf8), attributes: [.posixPermissions: 0o600]
            )
        else {
            throw StartupError("cannot write \(filePath)")
        }
        logger.notice("generated key", metadata: ["path": "\(filePath)"])
        return (generated.material, true)
    }

}

/// A reason the process cannot start, told in one line.
public struct StartupError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
