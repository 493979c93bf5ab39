import CisternCore
import CisternWire
import Foundation
import Hummingbird
import Logging

/// Turns every error into a contract-shaped body. Known errors keep their status and message;
/// anything else becomes a generic 500 whose only detail is the request id, and is logged
/// under that id so an operator can find it.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as CisternError {
            return try error.response(from: request, context: context)
        } catch let error as HTTPError {
            // Raised by the framework itself: unknown route, wrong method, unreadable request.
            let message = error.body ?? Self.message(for: error.status)
            var response = try JSONBody.encoder().encode(ErrorBody(message: message), from: request, context: context)
            response.status = error.status
            return response
        } catch {
            context.logger.error(
                "unhandled error",
                metadata: ["error.type": "\(type(of: error))", "error": "\(String(reflecting: error))"]
            )
            let body = ErrorBody(message: "Internal server error (request id \(context.id))")
            var response = try JSONBody.encoder().encode(body, from: request, context: context)
            response.status = .internalServerError
            return response
        }
    }

    static func message(for status: HTTPResponse.Status) -> String {
        switch status {
        case .notFound: "Not found"
        case .methodNotAllowed: "Method not allowed"
        default: status.reasonPhrase
        }
    }
}
