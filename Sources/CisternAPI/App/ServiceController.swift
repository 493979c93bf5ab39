import CisternBootstrap
import CisternCore
import CisternStore
import CisternWire
import Foundation
import Hummingbird
import Logging
import Metrics
import NIOCore

/// `GET /` and `GET /health` (docs/contract.md §7), and `GET /openapi.yaml`, the description of
/// every route (kept complete by a test that compares it with the router).
struct ServiceController {
    static let version = Runtime.version
    let database: Database
    let draining: Draining
    let telemetry: Telemetry
    /// The bearer token `GET /metrics` wants, if any.
    let metricsToken: String?
    let timeSource: any TimeSource
    let registrationOpen: Bool
    let gatewayPort: Int?
    /// This process's row in the heartbeat table.
    let instance = UUID()

    /// The OpenAPI document, compiled into the binary (`.embedInCode`): an installed `cistern`
    /// needs no resource directory beside it, and serves it from wherever it runs.
    static let openAPIDocument = ByteBuffer(bytes: PackageResources.openapi_yaml)

    func addRoutes(to router: some RouterMethods<AppRequestContext>) {
        router.get("/", use: self.root)
        router.get("/health", use: self.health)
        router.head("/health") { request, context in
            let answer = try await self.health(request, context: context)
            return Response(status: answer.status ?? .ok)
        }
        router.get("/metrics", use: self.metrics)
        router.get("/health/live") { _, _ in LiveResponse() }
        router.get("/health/ready", use: self.ready)
        router.get("/openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"], body: ResponseBody(byteBuffer: Self.openAPIDocument))
        }
    }

    struct RootResponse: ResponseEncodable {
        var success = true
        var name = "cistern"
        var version = ServiceController.version
        /// `open` or `closed`: whether `POST /user/register` takes newcomers (the console asks).
        var registration: String
        /// The S3 gateway's port, for clients' settings; null when this process serves none or
        /// it was given port 0.
        @Nullable var gatewayPort: Int?
    }

    struct HealthResponse: ResponseEncodable {
        var status: String
        var database: String
    }

    struct LiveResponse: ResponseEncodable {
        var status = "ok"
    }

    struct ReadyResponse: ResponseEncodable {
        var status: String
        var database: String
        var schema: String
    }

    /// Ready for traffic: not draining, the database answers, and its schema is the one this
    /// build knows (a replica started before a newer one migrated is not).
    @Sendable func ready(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<ReadyResponse> {
        let known = Migration.all.last?.version ?? 0
        var answer = ReadyResponse(status: "ok", database: "ok", schema: "ok")
        do {
            let applied = try await Migrator(database: self.database).appliedVersions().max() ?? 0
            if applied != known { answer.schema = "version \(applied), expected \(known)" }
        } catch {
            context.logger.error("readiness: the database does not answer", metadata: ["error": "\(Database.describe(error))"])
            answer.database = "unavailable"
            answer.schema = "unknown"
        }
        if self.draining.isDraining {
            answer.status = "draining"
        } else if answer.database != "ok" || answer.schema != "ok" {
            answer.status = "unavailable"
        }
        return EditedResponse(status: answer.status == "ok" ? .ok : .serviceUnavailable, response: answer)
    }

    /// The Prometheus text exposition. Gauges of stored state (buckets by status, the repair
    /// queue) are read at each scrape; a database that does not answer leaves their last values.
    @Sendable func metrics(_ request: Request, context: AppRequestContext) async throws -> Response {
        if let token = self.metricsToken {
            let given = request.headers[.authorization] ?? ""
            guard ConstantTime.equal(given, "Bearer " + token) else {
                return Response(
                    status: .unauthorized, headers: [.wwwAuthenticate: "Bearer", .contentType: "text/plain; charset=utf-8"],
                    body: ResponseBody(byteBuffer: ByteBuffer(string: "This endpoint wants the metrics token (CISTERN_METRICS_TOKEN).\n"))
                )
            }
        }
        do {
            let buckets = try await self.database.bucketCountsByStatus()
            for status in [BucketStatus?.none] + BucketStatus.allCases.map(Optional.some) {
                self.telemetry.gauge("cistern_buckets", [("status", status?.rawValue ?? "UNCHECKED")]).record(buckets[status] ?? 0)
            }
            let repairs = try await self.database.repairCountsByState()
            for state in ReplicationState.allCases {
                self.telemetry.gauge("cistern_repair_queue_items", [("state", state.rawValue)]).record(repairs[state] ?? 0)
            }
        } catch {
            context.logger.error("metrics: the database does not answer", metadata: ["error": "\(Database.describe(error))"])
        }
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: self.telemetry.exposition()))
        )
    }

    @Sendable func root(_ request: Request, context: AppRequestContext) async throws -> RootResponse {
        RootResponse(registration: self.registrationOpen ? "open" : "closed", gatewayPort: self.gatewayPort)
    }

    /// Healthy when the database takes a write, not merely answers.
    @Sendable func health(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<HealthResponse> {
        do {
            try await self.database.checkWritable(instance: self.instance, now: self.timeSource.now)
            return EditedResponse(status: .ok, response: HealthResponse(status: "ok", database: "ok"))
        } catch {
            context.logger.error("health check: the database does not take a write", metadata: ["error": "\(Database.describe(error))"])
            return EditedResponse(status: .serviceUnavailable, response: HealthResponse(status: "unavailable", database: "unavailable"))
        }
    }
}
