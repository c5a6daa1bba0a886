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
        /// The number of the bucket's latest entry in `recency`.
        var stamp: UInt64
    }

    /// The limits the limiter was created with.
    public let settings: Settings
    private var buckets: [SocketAddress: Bucket] = [:]
    /// Every update in order, oldest first from `recencyHead`, with its stamp; an entry whose stamp is no longer its
    /// bucket's is stale. The first live entry is the least recently updated source: eviction in O(1) amortised. (It
    /// was a scan of the whole table that formatted every address as text, and a seed facing thousands of sources
    /// spent a third of its time there.)
    private var recency: [(host: SocketAddress, stamp: UInt64)] = []
    private var recencyHead = 0
    private var nextStamp: UInt64 = 0

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
        var bucket = buckets[host] ?? Bucket(credit: capacity, updated: now, stamp: 0)
        bucket.credit = min(capacity, bucket.credit + max(0, (now - bucket.updated).nanoseconds))
        bucket.updated = now
        let allowed = bucket.credit >= cost
        if allowed { bucket.credit -= cost }
        if buckets[host] == nil && buckets.count >= settings.maxSources { evictIdlest() }
        nextStamp += 1
        bucket.stamp = nextStamp
        buckets[host] = bucket
        recency.append((host, nextStamp))
        compactRecency()
        return allowed
    }

    /// Evicts the source updated least recently (`now` never goes backwards, so that is the idlest).
    private mutating func evictIdlest() {
        while recencyHead < recency.count {
            let entry = recency[recencyHead]
            recencyHead += 1
            if buckets[entry.host]?.stamp == entry.stamp {
                buckets.removeValue(forKey: entry.host)
                return
            }
        }
    }

    /// Drops the consumed and stale entries once they are most of `recency`, keeping it within a few times the
    /// table's size.
    private mutating func compactRecency() {
        guard recency.count > 64, recency.count > 4 * buckets.count else { return }
        recency = recency[recencyHead...].filter { buckets[$0.host]?.stamp == $0.stamp }
        recencyHead = 0
    }
}
