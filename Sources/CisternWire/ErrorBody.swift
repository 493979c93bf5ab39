/// The error bodies of docs/contract.md (Conventions).
/// Every error body: `success` is always false, the other fields appear as the family requires.
public struct ErrorBody: Codable, Sendable {
    public var errorCode: String?
    public var message: String?
    public var errorMessage: String?
    /// Present (possibly null) only in the repository family.
    public var repoId: String??

    public init(errorCode: String? = nil, message: String? = nil, errorMessage: String? = nil, repoId: String?? = nil) {
        self.errorCode = errorCode
        self.message = message
        self.errorMessage = errorMessage
        self.repoId = repoId
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.errorCode = try container.decodeIfPresent(String.self, forKey: .errorCode)
        self.message = try container.decodeIfPresent(String.self, forKey: .message)
        self.errorMessage = try container.decodeIfPresent(String.self, forKey: .errorMessage)
        self.repoId = container.contains(.repoId) ? .some(try container.decodeIfPresent(String.self, forKey: .repoId)) : nil
    }

    /// What went wrong, in whichever field the family uses.
    public var text: String { self.message ?? self.errorMessage ?? self.errorCode ?? "unknown error" }

    public enum CodingKeys: String, CodingKey {
        case success
        case errorCode = "error_code"
        case message
        case errorMessage = "error_message"
        case repoId
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(false, forKey: .success)
        try container.encodeIfPresent(self.errorCode, forKey: .errorCode)
        try container.encodeIfPresent(self.message, forKey: .message)
        try container.encodeIfPresent(self.errorMessage, forKey: .errorMessage)
        if let repoId = self.repoId { try container.encode(repoId, forKey: .repoId) }
    }
}
