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
    /// A short explanation in the provider's terms (`NoSuchBucket`, `connection refused`);
    /// never contains a secret.
    public var reason: String

    public init(status: BucketStatus, latencyMs: Int, reason: String) {
        self.status = status
        self.latencyMs = latencyMs
        self.reason = reason
    }
}
