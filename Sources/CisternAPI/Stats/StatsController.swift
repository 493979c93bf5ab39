import CisternCore
import CisternStore
import CisternWire
import Foundation
import Hummingbird

/// Traffic statistics fed by the gateway: docs/contract.md §9. Every list holds only what the
/// caller can read; an id it cannot read is left out, never an error that says it exists.
struct StatsController {
    let traffic: any TrafficStore
    let timeSource: any TimeSource
    /// The most rows one `/stats/daily` or `/stats/minute` answer holds.
    static let rowLimit = 50_000

    func addRoutes(to router: some RouterMethods<AuthenticatedContext>) {
        router.get("/bucket/stats", use: self.bucketStats)
        router.get("/repo/stats", use: self.repositoryStats)
        router.get("/stats/daily") { request, context in try await self.rows(.day, request, context) }
        router.get("/stats/minute") { request, context in try await self.rows(.minute, request, context) }
    }

    @Sendable func bucketStats(_ request: Request, context: AuthenticatedContext) async throws -> TrafficTotalsResponse {
        let ids = try request.uuidList("bucketId")
        let totals = try await self.traffic.bucketTotals(AccessPolicy.readScope(of: context.principal), bucketIds: ids)
        return TrafficTotalsResponse(totals, of: .bucket)
    }

    @Sendable func repositoryStats(_ request: Request, context: AuthenticatedContext) async throws -> TrafficTotalsResponse {
        let ids = try request.uuidList("repoId")
        let totals = try await self.traffic.repositoryTotals(AccessPolicy.readScope(of: context.principal), repositoryIds: ids)
        return TrafficTotalsResponse(totals, of: .repository)
    }

    func rows(_ period: TrafficPeriod, _ request: Request, _ context: AuthenticatedContext) async throws -> TrafficRowsResponse {
        let now = self.timeSource.now
        let end = try request.instant("endDate", endOfDay: true) ?? now
        let start = try request.instant("startDate", endOfDay: false) ?? end.addingTimeInterval(period == .day ? -30 * 86_400 : -3_600)
        guard start <= end else { throw CisternError.invalid("startDate", "must not be after endDate") }
        // A day row starts at midnight: the day `start` falls in counts.
        let first = period == .day ? Date(millisecondsSince1970: TrafficPeriod.day.start(of: start)) : start
        let filter = TrafficFilter(
            start: first, end: end, repositoryIds: try request.uuidList("repoId"),
            bucketIds: try request.uuidList("bucketId") ?? request.uuidList("unitId"), hosts: request.textList("hosts")
        )
        let rows = try await self.traffic.rows(period, AccessPolicy.readScope(of: context.principal), filter, limit: Self.rowLimit)
        return TrafficRowsResponse(data: rows.map(TrafficRowsResponse.Row.init))
    }
}

extension TrafficTotalsResponse {
    enum Owner {
        case bucket
        case repository
    }

    init(_ totals: [TrafficTotal], of owner: Owner) {
        self.init(
            stats: totals.map { total in
                Entry(
                    bucketId: owner == .bucket ? total.id.canonical : nil, repoId: owner == .repository ? total.id.canonical : nil,
                    totalCount: total.counts.requests, totalUploadBytes: total.counts.uploadBytes,
                    totalDownloadBytes: total.counts.downloadBytes, totalSizeChange: total.counts.sizeChange
                )
            }
        )
    }
}

extension TrafficRowsResponse.Row {
    init(_ row: TrafficRow) {
        self.init(
            timestamp: row.start.millisecondsSince1970, repoId: row.repositoryId.canonical, bucketId: row.bucketId.canonical,
            requests: row.counts.requests, upl_bytes: row.counts.uploadBytes, dwl_bytes: row.counts.downloadBytes,
            size_change: row.counts.sizeChange,
            latency_ms: row.counts.requests == 0
                ? 0 : (Double(row.counts.latencyMilliseconds) / Double(row.counts.requests) * 10).rounded() / 10,
            host: row.host
        )
    }
}

extension Request {
    /// A comma-separated list of UUIDs; nil when absent or empty. A value that is not a UUID is a
    /// 400 naming the parameter.
    func uuidList(_ name: String) throws -> [UUID]? {
        guard let values = self.textList(name) else { return nil }
        return try values.map { value in
            guard let id = UUID(canonical: value) else { throw CisternError.invalid(name, "must be UUIDs separated by commas") }
            return id
        }
    }

    /// A comma-separated list of words; nil when absent or empty.
    func textList(_ name: String) -> [String]? {
        let values = (self.uri.queryParameters[name[...]].map(String.init) ?? "").split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty }
        return values.isEmpty ? nil : values
    }

    /// An ISO-8601 date (`2026-11-30`: its start, or with `endOfDay` its last millisecond) or
    /// date-time (`2026-11-30T12:00:00Z`, fractions allowed); nil when absent.
    func instant(_ name: String, endOfDay: Bool) throws -> Date? {
        guard let text = self.uri.queryParameters[name[...]].map(String.init), !text.isEmpty else { return nil }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        if text.count == 10, parts.count == 3, let year = Int64(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            (1...12).contains(month), (1...31).contains(day)
        {
            let days = CivilDate.days(year: year, month: month, day: day)
            // A day that does not exist (2026-02-30) comes back as another one: refused.
            if CivilDate.date(daysSince1970: days) == (year, month, day) {
                let start = Date(timeIntervalSince1970: TimeInterval(days) * 86_400)
                return endOfDay ? start.addingTimeInterval(86_400 - 0.001) : start
            }
        }
        for options: ISO8601DateFormatter.Options in [[.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime]] {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = options
            if let date = formatter.date(from: text) { return date }
        }
        throw CisternError.invalid(name, "must be an ISO-8601 date (2026-11-30) or date-time (2026-11-30T12:00:00Z)")
    }
}
