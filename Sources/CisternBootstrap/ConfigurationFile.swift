import Foundation
import Yams

/// `--config cistern.yaml`: a YAML mapping from setting names (the flags' names: `port`,
/// `data-dir`, `master-key-file`...) to values, one level deep. A list stands for the
/// comma-separated form (`trusted-proxies: [10.0.0.1, 10.0.0.2]`). The layer under the
/// environment: flags and `CISTERN_*` variables still win.
///
/// A name that is no setting is refused (a typo would otherwise be ignored in silence), and so is a
/// secret written in a file that users other than its owner may read.
public struct ConfigurationFile: Sendable {
    public let path: String
    let values: [String: String]
    /// Whether users other than the file's owner may read it (then it must hold no secret).
    let readableByOthers: Bool

    public init(path: String, yaml: String, readableByOthers: Bool) throws(ConfigurationError) {
        self.path = path
        self.readableByOthers = readableByOthers
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            // Yams adds the offending lines below its first one; a start-up error is one line.
            let first = "\(error)".split(separator: "\n").first.map(String.init) ?? "\(error)"
            throw ConfigurationError(setting: "config", problem: "\(path) is not YAML: \(first)")
        }
        guard let root else {
            self.values = [:]
            return
        }
        guard let mapping = root.mapping else {
            throw ConfigurationError(setting: "config", problem: "\(path) must be a mapping of settings to values")
        }
        let known = Set(CisternConfiguration.settings.flatMap { $0.isSecret ? [$0.flag, $0.flag + "-file"] : [$0.flag] })
        var values: [String: String] = [:]
        for (key, value) in mapping {
            let line = key.mark.map { " (line \($0.line))" } ?? ""
            guard let name = key.scalar?.string, known.contains(name) else {
                throw ConfigurationError(setting: "config", problem: "\(path) names no setting '\(key.string ?? "?")'\(line)")
            }
            switch value {
            case .scalar(let scalar) where !(scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)):
                values[name] = scalar.string
            case .sequence(let sequence) where sequence.allSatisfy({ $0.scalar != nil }):
                values[name] = sequence.compactMap(\.scalar?.string).joined(separator: ",")
            default:
                throw ConfigurationError(setting: name, problem: "in \(path) must be a value or a list of values\(line)")
            }
        }
        self.values = values
    }

    /// Reads and parses the file at `path`.
    public static func load(_ path: String) throws(ConfigurationError) -> ConfigurationFile {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(setting: "config", problem: "cannot read \(path)")
        }
        return try ConfigurationFile(path: path, yaml: text, readableByOthers: SecretFile.modeOpenToOthers(path) != nil)
    }

    /// The file's value of `setting`: written in it, or for a secret also read from the file its
    /// `-file` entry names.
    func value(of setting: CisternConfiguration.Setting) throws(ConfigurationError) -> String? {
        let inline = self.values[setting.flag]
        guard setting.isSecret else { return inline }
        let file = self.values[setting.flag + "-file"]
        switch (inline, file) {
        case (.some, .some):
            throw ConfigurationError(setting: setting.flag, problem: "is given both inline and as \(setting.flag)-file in \(self.path): keep one")
        case (let value?, nil):
            guard !self.readableByOthers else {
                throw ConfigurationError(
                    setting: setting.flag,
                    problem:
                        "is written in \(self.path), which users other than its owner may read: chmod 600 it, or name a file with \(setting.flag)-file"
                )
            }
            return value
        case (nil, let path?):
            return try SecretFile.read(path, for: "\(setting.flag)-file")
        case (nil, nil):
            return nil
        }
    }
}

/// A file holding one secret (`CISTERN_MASTER_KEY_FILE`, systemd's `$CREDENTIALS_DIRECTORY`,
/// `master-key-file` in the configuration file): only its owner may read it.
enum SecretFile {
    static func read(_ path: String, for setting: String) throws(ConfigurationError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(setting: setting, problem: "names \(path), which cannot be read")
        }
        guard self.modeOpenToOthers(path) == nil else {
            throw ConfigurationError(setting: setting, problem: "names \(path), which users other than its owner may read: chmod 600 it")
        }
        let value = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !value.isEmpty else { throw ConfigurationError(setting: setting, problem: "names \(path), which is empty") }
        return value
    }

    /// The permission bits of `path` when its group or others have any access to it; nil when
    /// only its owner has (or there is nothing there). Key files, secret files, configuration
    /// files holding secrets and the data directory are all judged by it.
    static func modeOpenToOthers(_ path: String) -> Int? {
        guard let mode = (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int, mode & 0o077 != 0 else {
            return nil
        }
        return mode
    }
}
