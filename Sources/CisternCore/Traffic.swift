import Foundation

/// What one serving process counted for one repository and one of its buckets in one period
/// (a minute, or once rolled up, a day).
public struct TrafficCounts: Sendable, Equatable {
    public var requests: Int64 = 0
    public var uploadBytes: Int64 = 0
    public var downloadBytes: Int64 = 0
    /// Bytes written minus bytes deleted, as far as the gateway knows them.
    public var sizeChange: Int64 = 0
    /// The sum of the requests' latencies; the mean is this over `requests`.
    public var latencyMilliseconds: Int64 = 0

    public init(requests: Int64 = 0, uploadBytes: Int64 = 0, downloadBytes: Int64 = 0, sizeChange: Int64 = 0, latencyMilliseconds: Int64 = 0) {
        self.requests = requests
        self.uploadBytes = uploadBytes
        self.downloadBytes = downloadBytes
        self.sizeChange = sizeChange
        self.latencyMilliseconds = latencyMilliseconds
    }

    public static func += (left: inout TrafficCounts, right: TrafficCounts) {
        left.requests += right.requests
        left.uploadBytes += right.uploadBytes
        left.downloadBytes += right.downloadBytes
        left.sizeChange += right.sizeChange
        left.latencyMilliseconds += right.latencyMilliseconds
    }
}

/// Which counter a request adds to: its minute, its repository, the bucket that served it.
public struct TrafficKey: Sendable, Hashable {
    /// The start of the minute, in milliseconds since 1970 (UTC).
    public var minute: Int64
    public var repositoryId: UUID
    public var bucketId: UUID

    public init(minute: Int64, repositoryId: UUID, bucketId: UUID) {
        self.minute = minute
        self.repositoryId = repositoryId
        self.bucketId = bucketId
    }

    /// The key of a request served at `date`.
    public init(at date: Date, repositoryId: UUID, bucketId: UUID) {
        self.init(minute: TrafficPeriod.minute.start(of: date), repositoryId: repositoryId, bucketId: bucketId)
    }
}

/// One row of `GET /stats/daily` or `/stats/minute`.
public struct TrafficRow: Sendable, Equatable {
    /// The period's start.
    public var start: Date
    public var repositoryId: UUID
    public var bucketId: UUID
    public var host: String
    public var counts: TrafficCounts

    public init(start: Date, repositoryId: UUID, bucketId: UUID, host: String, counts: TrafficCounts) {
        self.start = start
        self.repositoryId = repositoryId
        self.bucketId = bucketId
        self.host = host
        self.counts = counts
    }
}

/// What the rows of `GET /stats/daily` and `/stats/minute` are narrowed to.
public struct TrafficFilter: Sendable, Equatable {
    public var start: Date
    public var end: Date
    public var repositoryIds: [UUID]?
    public var bucketIds: [UUID]?
    public var hosts: [String]?

    public init(start: Date, end: Date, repositoryIds: [UUID]? = nil, bucketIds: [UUID]? = nil, hosts: [String]? = nil) {
        self.start = start
        self.end = end
        self.repositoryIds = repositoryIds
        self.bucketIds = bucketIds
        self.hosts = hosts
    }
}

/// How finely traffic is kept.
public enum TrafficPeriod: Sendable {
    case minute
    case day

    public var milliseconds: Int64 { self == .minute ? 60_000 : 86_400_000 }

    /// The start of the period `date` falls in, in milliseconds since 1970 (UTC).
    public func start(of date: Date) -> Int64 {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        return milliseconds - milliseconds % self.milliseconds
    }
}
