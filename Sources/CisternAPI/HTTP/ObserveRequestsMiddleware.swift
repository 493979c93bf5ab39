import CisternBootstrap
import Foundation
import Hummingbird
import Logging

/// One access-log line per finished request of the management API (method, route template,
/// status, duration, bytes sent, request id), and the request metrics (`Telemetry`).
/// Placed outside `ErrorMiddleware`, it sees the status the client gets; a request that still
/// throws is counted as the 500 the server answers.
struct ObserveRequestsMiddleware<Context: RequestContext>: RouterMiddleware {
    let telemetry: Telemetry

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        do {
            let response = try await next(request, context)
            self.finish(request, context: context, status: response.status.code, bytes: response.body.contentLength, since: started)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            self.finish(request, context: context, status: status, bytes: nil, since: started)
            throw error
        }
    }

    func finish(_ request: Request, context: Context, status: Int, bytes: Int?, since started: ContinuousClock.Instant) {
        // The route template, never the path itself: ids stay out of labels and log keys.
        self.telemetry.finishRequest(
            listener: "api", route: context.endpointPath ?? "unmatched", method: request.method.rawValue, status: status,
            duration: ContinuousClock.now - started, bytes: bytes, requestId: "\(context.id)", logger: context.logger
        )
    }
}
