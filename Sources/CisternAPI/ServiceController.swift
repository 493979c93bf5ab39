import CisternCore
import CisternStore
import Hummingbird
import Logging

/// `GET /` and `GET /health`: API-CONTRACT.md §7.
struct ServiceController {
    static let version = "0.1.0"
    let database: Database

    func addRoutes(to router: some RouterMethods<AppRequestContext>) {
        router.get("/", use: self.root)
        router.get("/health", use: self.health)
    }

    struct RootResponse: ResponseEncodable {
        var success = true
        var name = "cistern"
        var version = ServiceController.version
    }

    struct HealthResponse: ResponseEncodable {
        var status: String
        var database: String
    }

    @Sendable func root(_ request: Request, context: AppRequestContext) async throws -> RootResponse {
        RootResponse()
    }

    @Sendable func health(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<HealthResponse> {
        do {
            try await self.database.ping()
            return EditedResponse(status: .ok, response: HealthResponse(status: "ok", database: "ok"))
        } catch {
            context.logger.error("health check: database does not answer", metadata: ["error": "\(error)"])
            return EditedResponse(status: .serviceUnavailable, response: HealthResponse(status: "unavailable", database: "unavailable"))
        }
    }
}
