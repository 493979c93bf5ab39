import CisternCore
import CisternWire
import Foundation
import Hummingbird

/// Writes every error of the repository routes in the repository body shape
/// (`{success, error_code, error_message, repoId}`), with `repoId` from the path when there is one.
struct RepositoryErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch var error as CisternError {
            if case .repository = error.shape { throw error }
            error.code = error.code ?? Self.code(for: error.kind)
            error.shape = .repository(repoId: context.parameters.get("repoId").flatMap { UUID(canonical: $0) }?.canonical)
            throw error
        }
    }

    static func code(for kind: CisternError.Kind) -> String {
        switch kind {
        case .badRequest: "INVALID_REQUEST"
        case .unauthorized: "NO_AUTH_USER"
        case .forbidden: "FORBIDDEN"
        case .notFound: RepositoryErrorCode.notFound.rawValue
        case .conflict: "CONFLICT"
        case .payloadTooLarge: "INVALID_REQUEST"
        case .tooManyRequests: RepositoryErrorCode.quotaExceeded.rawValue
        case .unavailable: "UNAVAILABLE"
        }
    }
}
