/// A failure with a stable meaning on the wire. The API layer maps `kind` to an HTTP status and
/// `shape` to one of the contract's error bodies; nothing else about an error reaches a client.
public struct CisternError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, independent of transport.
    public enum Kind: Sendable, Equatable {
        case badRequest
        case unauthorized
        case forbidden
        case notFound
        case conflict
        case payloadTooLarge
        case tooManyRequests
        case unavailable
    }

    /// Which of the contract's error body families this error is written in.
    public enum Shape: Sendable, Equatable {
        /// `{success, message}`
        case plain
        /// `{success, error_code, message}`
        case coded
        /// `{success, error_code, error_message, repoId}`
        case repository(repoId: String?)
    }

    public var kind: Kind
    public var code: String?
    public var message: String
    public var shape: Shape
    /// For `tooManyRequests` and `unavailable`: after how many seconds the caller may try again.
    public var retryAfter: Int?

    public init(_ kind: Kind, code: String? = nil, message: String, shape: Shape? = nil) {
        self.kind = kind
        self.code = code
        self.message = message
        self.shape = shape ?? (code == nil ? .plain : .coded)
    }

    public var description: String {
        "\(self.kind)\(self.code.map { " \($0)" } ?? ""): \(self.message)"
    }
}

extension CisternError {
    /// A request body or parameter that cannot be accepted; the message names the field.
    public static func invalid(_ field: String, _ problem: String) -> CisternError {
        CisternError(.badRequest, code: "INVALID_REQUEST", message: "\(field): \(problem)")
    }

    /// Missing, malformed, expired or revoked credentials.
    public static func noAuthUser(_ message: String = "Authentication required") -> CisternError {
        CisternError(.unauthorized, code: "NO_AUTH_USER", message: message)
    }

    /// A change that kept losing conflicts with concurrent changes of the same rows.
    public static let databaseBusy: CisternError = {
        var error = CisternError(.unavailable, code: "BUSY", message: "Too many concurrent changes of the same data; try again")
        error.retryAfter = 1
        return error
    }()

    /// A valid token whose user no longer exists or is deactivated.
    public static let userNotFound = CisternError(.notFound, message: "User not found")
}
