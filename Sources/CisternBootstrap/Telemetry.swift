import CisternCore
import Foundation
import Logging
import Metrics
import Prometheus

/// The process's metrics (docs/operations.md): recorded through swift-metrics into one
/// Prometheus registry per runtime, and served by `GET /metrics` in the text format. Labels are
/// route templates, operation names, providers and statuses, never ids, so the number of series
/// stays bounded.
public final class Telemetry: Sendable {
    /// What every metric means; added to the exposition as `# HELP` lines (the swift-metrics
    /// path carries none).
    public static let help: [String: String] = [
        "http_server_requests_total": "Finished HTTP requests, by listener (api, gateway), route template or S3 operation, method and status.",
        "http_server_request_duration_seconds": "Time from a request's arrival to its response, by listener, route, method and status.",
        "cistern_gateway_bytes_total": "Body bytes through the S3 gateway, by S3 operation and direction (in: from clients, out: to them).",
        "cistern_provider_request_duration_seconds": "Time to a provider's response head, by provider and HTTP method.",
        "cistern_monitor_probe_duration_seconds": "Time of the bucket monitor's probes, by provider.",
        "cistern_monitor_probe_failures_total": "Probes that found a bucket other than ONLINE, by provider and status.",
        "cistern_login_failures_total": "Refused logins (wrong e-mail or password, or throttled).",
        "cistern_buckets": "Live buckets by monitored status (UNCHECKED: not checked yet).",
        "cistern_repair_queue_items": "MIRROR repair items by state (COMPLETED: within the last day).",
        "cistern_build_info": "The running build; the value is always 1.",
    ]

    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory

    public init(version: String) {
        var factory = PrometheusMetricsFactory(registry: self.registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5),
            .seconds(10), .seconds(30), .seconds(60),
        ]
        self.factory = factory
        Metrics.Gauge(label: "cistern_build_info", dimensions: [("version", version)], factory: factory).record(1)
    }

    public func counter(_ name: String, _ dimensions: [(String, String)] = []) -> Metrics.Counter {
        Metrics.Counter(label: name, dimensions: dimensions, factory: self.factory)
    }

    public func timer(_ name: String, _ dimensions: [(String, String)] = []) -> Metrics.Timer {
        Metrics.Timer(label: name, dimensions: dimensions, factory: self.factory)
    }

    public func gauge(_ name: String, _ dimensions: [(String, String)] = []) -> Metrics.Gauge {
        Metrics.Gauge(label: name, dimensions: dimensions, factory: self.factory)
    }

    /// One finished request of either listener: its metrics, and its access-log line (`request
    /// finished`) on `logger`. `bytes` is the body sent, when known.
    public func finishRequest(
        listener: String, route: String, method: String, status: Int, duration: Duration, bytes: Int?, requestId: String, logger: Logger
    ) {
        let dimensions = [("listener", listener), ("route", route), ("method", method), ("status", String(status))]
        self.counter("http_server_requests_total", dimensions).increment()
        self.timer("http_server_request_duration_seconds", dimensions).recordNanoseconds(duration.nanoseconds)
        logger.info(
            "request finished",
            metadata: [
                "listener": "\(listener)", "method": "\(method)", "route": "\(route)", "status": "\(status)",
                "durationMs": "\(String(format: "%.2f", Double(duration.nanoseconds) / 1e6))", "bytes": "\(bytes.map(String.init) ?? "-")",
                "requestId": "\(requestId)",
            ]
        )
    }

    /// The Prometheus text exposition of everything recorded, with help lines.
    public func exposition() -> String {
        var lines: [Substring] = []
        for line in self.registry.emitToString().split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("# TYPE "), let name = line.dropFirst(7).split(separator: " ").first, let help = Self.help[String(name)] {
                lines.append("# HELP \(name) \(help)")
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}
