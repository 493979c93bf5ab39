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
        let elapsed = ContinuousClock.now - started
        // The route template, never the path itself: ids stay out of labels and log keys.
        let route = context.endpointPath ?? "unmatched"
        self.telemetry.recordRequest(listener: "api", route: route, method: request.method.rawValue, status: status, duration: elapsed)
        context.logger.info(
            "request finished",
            metadata: [
                "method": "\(request.method.rawValue)", "route": "\(route)", "status": "\(status)",
                "durationMs": "\(String(format: "%.2f", Double(elapsed.nanoseconds) / 1e6))", "bytes": "\(bytes.map(String.init) ?? "-")",
                "requestId": "\(context.id)",
            ]
        )
    }
}
