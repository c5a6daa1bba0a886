public import MeshCore

/// Per-source token buckets for handshake initiations (WireGuard's ratelimiter): each source host may start a
/// handshake at `rate` per second with bursts of `burst`. The table is bounded; when full, the entry that has been
/// idle longest is evicted, which only ever makes that source's next packet more welcome, never less.
public struct SourceRateLimiter: Sendable {
    /// Limits.
    public struct Settings: Sendable {
        /// Initiations per second allowed per source host. Default 20 (WireGuard's INITIATIONS_PER_SECOND).
        public var rate: Int64 = 20
        /// Initiations allowed at once before the rate applies. Default 5 (WireGuard's INITIATIONS_BURSTABLE).
        public var burst: Int64 = 5
        /// Sources tracked at once. Default 4096.
        public var maxSources = 4096

        /// WireGuard's limits: 20 initiations per second, bursts of 5, 4096 sources.
        public init() {}
    }

    private struct Bucket {
        /// Tokens in units of 1/rate seconds expressed as nanoseconds of credit.
        var credit: Int64
        var updated: Instant
    }

    /// The limits the limiter was created with.
    public let settings: Settings
    private var buckets: [SocketAddress: Bucket] = [:]

    /// An empty table. Traps unless `rate`, `burst` and `maxSources` are all positive: a zero rate would divide
    /// by zero and a zero burst would refuse every source.
    public init(settings: Settings = Settings()) {
        precondition(settings.rate > 0 && settings.burst > 0 && settings.maxSources > 0, "rate limiter settings")
        self.settings = settings
    }

    /// The number of sources tracked.
    public var trackedSources: Int { buckets.count }

    /// Whether an initiation from `source` may be processed now; consumes one token if so.
    public mutating func allow(_ source: SocketAddress, now: Instant) -> Bool {
        let host = source.host
        let cost = 1_000_000_000 / settings.rate
        let capacity = cost * settings.burst
        var bucket = buckets[host] ?? Bucket(credit: capacity, updated: now)
        bucket.credit = min(capacity, bucket.credit + max(0, (now - bucket.updated).nanoseconds))
        bucket.updated = now
        let allowed = bucket.credit >= cost
        if allowed { bucket.credit -= cost }
        if buckets[host] == nil && buckets.count >= settings.maxSources { evictIdlest() }
        buckets[host] = bucket
        return allowed
    }

    private mutating func evictIdlest() {
        // O(n) over a bounded table, and only when a new source arrives at a full table.
        guard
            let idlest = buckets.min(by: {
                ($0.value.updated, $0.key.description) < ($1.value.updated, $1.key.description)
            })
        else { return }
        buckets.removeValue(forKey: idlest.key)
    }
}
