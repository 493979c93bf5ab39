import CisternCore
import Foundation
import Hummingbird

extension CisternError: HTTPResponseError {
    /// The HTTP status of each kind of failure.
    public var status: HTTPResponse.Status {
        switch self.kind {
        case .badRequest: .badRequest
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .conflict: .conflict
        case .payloadTooLarge: .contentTooLarge
        case .tooManyRequests: .tooManyRequests
        case .unavailable: .serviceUnavailable
        }
    }

    /// The error body in the shape of its family (docs/contract.md, Conventions).
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body: ErrorBody
        switch self.shape {
        case .plain:
            body = ErrorBody(message: self.message)
        case .coded:
            body = ErrorBody(errorCode: self.code, message: self.message)
        case .repository(let repoId):
            body = ErrorBody(errorCode: self.code, errorMessage: self.message, repoId: .some(repoId))
        }
        var response = try JSONBody.encoder().encode(body, from: request, context: context)
        response.status = self.status
        if let retryAfter = self.retryAfter { response.headers[.retryAfter] = "\(retryAfter)" }
        return response
    }
}

/// Every error body: `success` is always false, the other fields appear as the family requires.
struct ErrorBody: Encodable {
    var errorCode: String?
    var message: String?
    var errorMessage: String?
    /// Present (possibly null) only in the repository family.
    var repoId: String??

    enum CodingKeys: String, CodingKey {
        case success
        case errorCode = "error_code"
        case message
        case errorMessage = "error_message"
        case repoId
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(false, forKey: .success)
        try container.encodeIfPresent(self.errorCode, forKey: .errorCode)
        try container.encodeIfPresent(self.message, forKey: .message)
        try container.encodeIfPresent(self.errorMessage, forKey: .errorMessage)
        if let repoId = self.repoId { try container.encode(repoId, forKey: .repoId) }
    }
}
