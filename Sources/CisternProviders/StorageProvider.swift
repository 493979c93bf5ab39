import CisternCore

/// A client for one kind of provider (S3, GCS, Azure Blob).
public protocol StorageProvider: Sendable {
    /// Checks a bucket with a bucket-level request under its credentials. Never throws: every
    /// failure is a status with a reason.
    func probe(_ connection: BucketConnection) async -> ProbeResult

    /// Whether any object in the bucket has a key that starts with `prefix`.
    func hasObjects(_ connection: BucketConnection, prefix: String) async throws -> Bool
}

/// A provider refused or failed a request. The description is safe to show a caller (no secret,
/// no provider text); `detail` is for the server's log only.
public struct ProviderError: Error, Sendable, CustomStringConvertible {
    public var status: BucketStatus
    public var reason: String
    public var detail: String?
    /// The HTTP status of the provider's refusal; nil when it did not answer.
    public var httpStatus: Int?
    public var description: String { "\(self.status.rawValue): \(self.reason)" }

    public init(status: BucketStatus, reason: String, detail: String? = nil, httpStatus: Int? = nil) {
        self.status = status
        self.reason = reason
        self.detail = detail
        self.httpStatus = httpStatus
    }

    /// A request that got no answer: refused, reset, timed out. Callers learn only that.
    static func noAnswer(_ error: any Error) -> ProviderError {
        ProviderError(status: .offline, reason: ProviderError.noAnswerReason, detail: ProviderResponse.describe(error))
    }

    public static let noAnswerReason = "no answer from the provider"
}

/// The provider client for each storage type.
public struct ProviderRegistry: Sendable {
    private let providers: [StorageType: any StorageProvider]

    public init(_ providers: [StorageType: any StorageProvider]) {
        self.providers = providers
    }

    public func provider(for type: StorageType) throws(ProviderError) -> any StorageProvider {
        guard let provider = self.providers[type] else {
            throw ProviderError(status: .offline, reason: "\(type.rawValue) buckets cannot be reached by this version of Cistern")
        }
        return provider
    }

    /// Probes a bucket with the client for its storage type.
    public func probe(_ connection: BucketConnection) async -> ProbeResult {
        do {
            return try await self.provider(for: connection.storageType).probe(connection)
        } catch {
            return ProbeResult(status: error.status, latencyMs: 0, reason: error.reason, detail: error.detail)
        }
    }
}
