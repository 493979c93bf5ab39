import CisternCore
import Foundation

/// Brute-force protection for `POST /user/login`: failed attempts are counted per account and
/// per client address in fixed windows; once either count reaches its limit, further attempts
/// (even correct ones) are refused with 429 and `Retry-After` until the window ends. A success
/// clears the account's count.
///
/// Counts live in this process's memory: behind a load balancer each replica counts on its own,
/// so the limits apply per replica.
actor LoginThrottle {
    struct Limits: Sendable {
        var perAccount: Int
        var perAddress: Int
        var window: TimeInterval
    }

    private struct Count {
        var windowStart: Date
        var failures: Int
    }

    private let limits: Limits
    private let timeSource: any TimeSource
    private var counts: [String: Count] = [:]

    init(limits: Limits, timeSource: any TimeSource) {
        self.limits = limits
        self.timeSource = timeSource
    }

    /// Throws 429 when the account or the address has used up its attempts for this window.
    func check(account: String, address: String) throws(CisternError) {
        let now = self.timeSource.now
        for (key, limit) in [(Self.accountKey(account), self.limits.perAccount), (Self.addressKey(address), self.limits.perAddress)] {
            guard let count = self.current(key, now: now), count.failures >= limit else { continue }
            let retryAfter = Int(count.windowStart.addingTimeInterval(self.limits.window).timeIntervalSince(now).rounded(.up))
            throw CisternError.tooManyLoginAttempts(retryAfter: max(1, retryAfter))
        }
    }

    /// Counts a failed attempt against the account and the address.
    func recordFailure(account: String, address: String) {
        let now = self.timeSource.now
        for key in [Self.accountKey(account), Self.addressKey(address)] {
            var count = self.current(key, now: now) ?? Count(windowStart: now, failures: 0)
            count.failures += 1
            self.counts[key] = count
        }
        if self.counts.count > 100_000 { self.counts = self.counts.filter { now.timeIntervalSince($0.value.windowStart) < self.limits.window } }
    }

    /// Clears the account's count after a successful login.
    func recordSuccess(account: String) {
        self.counts[Self.accountKey(account)] = nil
    }

    private func current(_ key: String, now: Date) -> Count? {
        guard let count = self.counts[key], now.timeIntervalSince(count.windowStart) < self.limits.window else { return nil }
        return count
    }

    private static func accountKey(_ email: String) -> String { "account:" + email.trimmingCharacters(in: .whitespaces).lowercased() }
    private static func addressKey(_ address: String) -> String { "address:" + address }
}

extension CisternError {
    static func tooManyLoginAttempts(retryAfter: Int) -> CisternError {
        var error = CisternError(
            .tooManyRequests, code: "TOO_MANY_ATTEMPTS", message: "Too many failed login attempts; try again in \(retryAfter) seconds"
        )
        error.retryAfter = retryAfter
        return error
    }
}
