/// A plaintext secret held in memory. Its description is redacted, so interpolating it into a
/// log line or an error message cannot leak it; code that needs the value asks for `revealed`.
public struct SecretValue: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public let revealed: String

    public init(_ value: String) {
        self.revealed = value
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
}
