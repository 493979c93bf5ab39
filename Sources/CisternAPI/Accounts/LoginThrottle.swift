import CisternCore
import CisternWire
import Foundation

/// Brute-force protection for `POST /user/login`, by growing delays rather than lock-outs.
///
/// Failures are counted under three keys: the pair (account, client address), the account, and
/// the client address. Each key has a number of free failures (`perPair`, `perAccount`,
/// `perAddress`); past it, the key must wait 1 second after its next failure, then 2, 4, 8...
/// before another attempt (a pair at most `window`, an account or an address at most a minute),
/// and an attempt during the wait answers 429 with `Retry-After`. A count is forgotten `window` seconds after its last failure, and a success
/// clears the pair's and the account's counts.
///
/// So a guesser slows down exponentially, while the account's owner, trying from another address,
/// waits seconds rather than a quarter of an hour; and many clients behind one proxy (see
/// `ClientAddress`) are slowed together only after `perAddress` failures, never locked out.
///
/// Counts live in this process's memory: behind a load balancer each replica counts on its own.
actor LoginThrottle {
    struct Limits: Sendable {
        var perAccount: Int
        var perAddress: Int
        var window: TimeInterval
        /// Free failures of one account from one address.
        var perPair: Int { min(self.perAccount, 5) }
    }

    private struct Count {
        var failures: Int
        var lastFailure: Date
    }

    private let limits: Limits
    private let timeSource: any TimeSource
    private var counts: [String: Count] = [:]

    init(limits: Limits, timeSource: any TimeSource) {
        self.limits = limits
        self.timeSource = timeSource
    }

    /// Throws 429 while any of the attempt's keys is waiting out its delay.
    func check(account: String, address: String) throws(CisternError) {
        let now = self.timeSource.now
        var wait: TimeInterval = 0
        for (key, freeFailures, longest) in self.keys(account: account, address: address) {
            guard let count = self.current(key, now: now), count.failures >= freeFailures else { continue }
            let delay = min(longest, TimeInterval(1 << min(count.failures - freeFailures, 30)))
            wait = max(wait, count.lastFailure.addingTimeInterval(delay).timeIntervalSince(now))
        }
        if wait > 0 { throw CisternError.tooManyLoginAttempts(retryAfter: max(1, Int(wait.rounded(.up)))) }
    }

    /// Counts a failed attempt against each of its keys.
    func recordFailure(account: String, address: String) {
        let now = self.timeSource.now
        for (key, _, _) in self.keys(account: account, address: address) {
            var count = self.current(key, now: now) ?? Count(failures: 0, lastFailure: now)
            count.failures += 1
            count.lastFailure = now
            self.counts[key] = count
        }
        if self.counts.count > 100_000 {
            self.counts = self.counts.filter { now.timeIntervalSince($0.value.lastFailure) < self.limits.window }
        }
    }

    /// Clears the account's counts after a successful login.
    func recordSuccess(account: String, address: String) {
        self.counts[Self.accountKey(account)] = nil
        self.counts[Self.pairKey(account, address)] = nil
    }

    /// Each key of an attempt, with its free failures and its longest delay.
    private func keys(account: String, address: String) -> [(key: String, free: Int, longest: TimeInterval)] {
        let shared = min(self.limits.window, 60)
        return [
            (Self.pairKey(account, address), self.limits.perPair, self.limits.window),
            (Self.accountKey(account), self.limits.perAccount, shared), (Self.addressKey(address), self.limits.perAddress, shared),
        ]
    }

    private func current(_ key: String, now: Date) -> Count? {
        guard let count = self.counts[key], now.timeIntervalSince(count.lastFailure) < self.limits.window else { return nil }
        return count
    }

    private static func normalized(_ email: String) -> String { email.trimmingCharacters(in: .whitespaces).lowercased() }
    private static func accountKey(_ email: String) -> String { "account:" + normalized(email) }
    private static func addressKey(_ address: String) -> String { "address:" + address }
    private static func pairKey(_ email: String, _ address: String) -> String { "pair:" + address + " " + normalized(email) }
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
