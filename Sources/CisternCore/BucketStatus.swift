import Foundation

/// What the provider made of the last check of a bucket.
public enum BucketStatus: String, Sendable, Codable, CaseIterable {
    /// The provider answered a bucket-level request with these credentials.
    case online = "ONLINE"
    /// The provider answered but refused: bad credentials, no permission, no such bucket.
    case disconnected = "DISCONNECTED"
    /// No answer: unreachable, timeout, or a server error.
    case offline = "OFFLINE"
}

/// The outcome of one check of a bucket at its provider.
public struct ProbeResult: Sendable, Equatable {
    public var status: BucketStatus
    public var latencyMs: Int
    /// What a caller may be told: the provider's error code (`NoSuchBucket`), the HTTP status,
    /// `no answer`, or a fault of the caller's own input. Never a secret, never the provider's
    /// free text, and never what kind of network failure it was (that would make the check a
    /// port scanner).
    public var reason: String
    /// The whole story for the server's log (`connection refused`, the provider's message).
    public var detail: String?

    public init(status: BucketStatus, latencyMs: Int, reason: String, detail: String? = nil) {
        self.status = status
        self.latencyMs = latencyMs
        self.reason = reason
        self.detail = detail
    }
}
