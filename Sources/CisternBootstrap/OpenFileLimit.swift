#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's limit on open files: every connection, database file and provider connection
/// takes one, and running out mid-request fails in places that cannot recover.
package enum OpenFileLimit {
    /// Raises the soft limit to the hard one (what any process may do) and returns the soft limit
    /// now in force.
    @discardableResult
    package static func raise() -> Int {
        var limit = rlimit()
        guard getrlimit(Self.resource, &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Self.resource, &raised) == 0 { limit = raised }
        }
        return limit.rlim_cur >= rlim_t(Int32.max) ? Int(Int32.max) : Int(limit.rlim_cur)
    }

    /// Connections to serve at once under `limit` open files: what is left after a reserve for
    /// the database pool, the event loops, log files and provider connections.
    package static func connectionCap(limit: Int, databaseConnections: Int, configured: Int) -> Int {
        let reserve = 32 + 2 * databaseConnections
        return max(4, min(configured, limit - reserve))
    }

    #if canImport(Glibc)
    private static let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let resource = RLIMIT_NOFILE
    #endif
}
