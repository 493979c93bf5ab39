import CisternCore
import Foundation
import Logging
import Synchronization

/// `CISTERN_LOG_FORMAT=json`: one JSON object per line on standard error, with `time` (ISO-8601,
/// UTC, milliseconds), `level`, `label`, `message` and `metadata` (an object of strings), for
/// log shippers that parse lines. Metadata never holds a secret: the same values as the text log.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String

    public init(label: String) {
        self.label = label
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = self.metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        var line = "{\"time\":\"\(Self.timestamp())\",\"level\":\"\(event.level.rawValue)\",\"label\":"
        Self.appendString(self.label, to: &line)
        line += ",\"message\":"
        Self.appendString(event.message.description, to: &line)
        line += ",\"metadata\":{"
        for (index, key) in merged.keys.sorted().enumerated() {
            if index > 0 { line += "," }
            Self.appendString(key, to: &line)
            line += ":"
            Self.appendString(merged[key]!.description, to: &line)
        }
        line += "}}\n"
        Self.output.withLock { _ in FileHandle.standardError.write(Data(line.utf8)) }
    }

    /// Lines from many threads never interleave.
    static let output = Mutex(())

    static func timestamp() -> String {
        let milliseconds = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
        let (year, month, day) = CivilDate.date(daysSince1970: milliseconds / 86_400_000)
        let inDay = milliseconds % 86_400_000
        return String(
            format: "%04lld-%02d-%02dT%02lld:%02lld:%02lld.%03lldZ", year, month, day, inDay / 3_600_000, inDay / 60_000 % 60,
            inDay / 1000 % 60, inDay % 1000
        )
    }

    /// `text` as a JSON string: quotes, backslashes and control characters escaped.
    static func appendString(_ text: String, to line: inout String) {
        line += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": line += "\\\""
            case "\\": line += "\\\\"
            case "\n": line += "\\n"
            case "\r": line += "\\r"
            case "\t": line += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029:
                line += String(format: "\\u%04x", scalar.value)
            default: line.unicodeScalars.append(scalar)
            }
        }
        line += "\""
    }
}
