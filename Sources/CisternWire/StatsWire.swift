/// `GET /bucket/stats` and `GET /repo/stats`: all-time figures, each under its owner's id name
/// (`bucketId` or `repoId`; the other is absent).
public struct TrafficTotalsResponse: Codable, Sendable {
    public struct Entry: Codable, Sendable {
        public var bucketId: String?
        public var repoId: String?
        public var totalCount: Int64
        public var totalUploadBytes: Int64
        public var totalDownloadBytes: Int64
        public var totalSizeChange: Int64

        public init(
            bucketId: String?, repoId: String?, totalCount: Int64, totalUploadBytes: Int64, totalDownloadBytes: Int64, totalSizeChange: Int64
        ) {
            self.bucketId = bucketId
            self.repoId = repoId
            self.totalCount = totalCount
            self.totalUploadBytes = totalUploadBytes
            self.totalDownloadBytes = totalDownloadBytes
            self.totalSizeChange = totalSizeChange
        }
    }

    public var success = true
    public var stats: [Entry]

    public init(stats: [Entry]) {
        self.stats = stats
    }
}

/// `GET /stats/daily` and `GET /stats/minute`: one row per period, repository, bucket and host.
public struct TrafficRowsResponse: Codable, Sendable {
    public struct Row: Codable, Sendable {
        /// Start of the period, milliseconds since 1970.
        public var timestamp: Int64
        public var repoId: String
        public var bucketId: String
        public var requests: Int64
        public var upl_bytes: Int64
        public var dwl_bytes: Int64
        public var size_change: Int64
        /// Mean latency of the period's requests, to a tenth of a millisecond.
        public var latency_ms: Double
        public var host: String

        public init(
            timestamp: Int64, repoId: String, bucketId: String, requests: Int64, upl_bytes: Int64, dwl_bytes: Int64, size_change: Int64,
            latency_ms: Double, host: String
        ) {
            self.timestamp = timestamp
            self.repoId = repoId
            self.bucketId = bucketId
            self.requests = requests
            self.upl_bytes = upl_bytes
            self.dwl_bytes = dwl_bytes
            self.size_change = size_change
            self.latency_ms = latency_ms
            self.host = host
        }
    }

    public var success = true
    public var data: [Row]

    public init(data: [Row]) {
        self.data = data
    }
}
