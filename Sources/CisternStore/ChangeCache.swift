import Synchronization

/// Values read from the database, kept in memory until the change feed says something changed
/// (any change: entries are few and cheap to reload, and one rule is easy to trust).
///
/// An entry is served only when it was read under the feed's current generation and `usable`
/// accepts it; otherwise `load` reads it again. While the feed cannot vouch for its caches
/// (`ChangeFeed.current` is nil), nothing is served from memory or stored. Bounded by `capacity`
/// in units of `weight` (entries by default): a full cache first drops what is stale, then
/// everything.
public final class ChangeCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    let feed: ChangeFeed
    let capacity: Int
    let weight: @Sendable (Value) -> Int

    private struct Entry: Sendable {
        var value: Value
        var generation: Int
        var weight: Int
    }

    private struct Entries: Sendable {
        var byKey: [Key: Entry] = [:]
        var weight = 0
    }

    private let entries = Mutex(Entries())

    public init(feed: ChangeFeed, capacity: Int, weight: @escaping @Sendable (Value) -> Int = { _ in 1 }) {
        self.feed = feed
        self.capacity = capacity
        self.weight = weight
    }

    /// The value of `key`: from memory when current and `usable`, else from `load` (nil: none, not kept).
    public func value(
        _ key: Key, usable: (Value) -> Bool = { _ in true }, load: () async throws -> Value?
    ) async throws -> Value? {
        let generation = self.feed.current
        if let generation, let entry = self.entries.withLock({ $0.byKey[key] }), entry.generation == generation, usable(entry.value) {
            return entry.value
        }
        // The generation is read before loading: a change committed during the load moves it,
        // and what the load read is then never served.
        guard let value = try await load() else {
            self.entries.withLock { entries in
                if let gone = entries.byKey.removeValue(forKey: key) { entries.weight -= gone.weight }
            }
            return nil
        }
        if let generation { self.store(value, for: key, generation: generation) }
        return value
    }

    private func store(_ value: Value, for key: Key, generation: Int) {
        let weight = self.weight(value)
        guard weight <= self.capacity else { return }
        self.entries.withLock { entries in
            if let replaced = entries.byKey.removeValue(forKey: key) { entries.weight -= replaced.weight }
            if entries.weight + weight > self.capacity {
                entries.byKey = entries.byKey.filter { $0.value.generation == generation }
                entries.weight = entries.byKey.values.reduce(0) { $0 + $1.weight }
                if entries.weight + weight > self.capacity { entries = Entries() }
            }
            entries.byKey[key] = Entry(value: value, generation: generation, weight: weight)
            entries.weight += weight
        }
    }

    /// How many entries are held (for tests).
    public var count: Int { self.entries.withLock { $0.byKey.count } }
}
