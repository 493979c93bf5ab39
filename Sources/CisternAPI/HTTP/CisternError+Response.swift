import CisternCore
import CisternWire
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
