import DequeModule
import MeshCore

/// The ids of messages seen within a window (`Specs/gossip.md`, section 4): buckets of a twelfth of the window each,
/// the oldest dropped as time passes, at most `limit` ids in all (the oldest buckets go first when more come). A
/// duplicate is recognised while its id is held; after that it counts as new (and is then refused by the
/// application's own checks: expiry, per-issuer sequence).
struct SeenCache: Sendable {
    private var buckets: Deque<(start: Instant, ids: Set<MessageID>)> = []
    private let span: Duration
    private let window: Duration
    private let limit: Int
    private var total = 0

    init(window: Duration, limit: Int, now: Instant) {
        self.window = window
        self.limit = max(limit, 1)
        span = Duration.nanoseconds(max(window.nanoseconds / 12, 1))
        buckets.append((now, []))
    }

    /// How many ids are held.
    var count: Int { total }

    func contains(_ id: MessageID) -> Bool { buckets.contains { $0.ids.contains(id) } }

    /// Records `id`; false when it was already there.
    mutating func insert(_ id: MessageID, now: Instant) -> Bool {
        guard !contains(id) else { return false }
        if let last = buckets.last, now - last.start >= span || last.ids.count >= limit / 12 + 1 {
            buckets.append((now, []))
        }
        buckets[buckets.count - 1].ids.insert(id)
        total += 1
        while total > limit, buckets.count > 1 { total -= buckets.removeFirst().ids.count }
        return true
    }

    /// Drops the buckets that ended more than a window ago.
    mutating func age(now: Instant) {
        while buckets.count > 1, let second = buckets.dropFirst().first, now - second.start > window {
            total -= buckets.removeFirst().ids.count
        }
    }
}

/// The messages kept to answer IWANT and GRAFT (`Specs/gossip.md`, section 4): for a window, at most `maxMessages`
/// of them and `maxBytes` of payload, the oldest dropped first.
struct MessageCache: Sendable {
    private var messages: [MessageID: (topic: Topic, origin: NodeID, payload: [UInt8])] = [:]
    private var order: Deque<(id: MessageID, at: Instant, size: Int)> = []
    private let window: Duration
    private let maxMessages: Int
    private let maxBytes: Int
    private var bytes = 0

    init(window: Duration, maxMessages: Int, maxBytes: Int) {
        self.window = window
        self.maxMessages = maxMessages
        self.maxBytes = maxBytes
    }

    /// How many messages and payload bytes are held.
    var count: Int { messages.count }
    var payloadBytes: Int { bytes }

    func message(_ id: MessageID) -> (topic: Topic, origin: NodeID, payload: [UInt8])? { messages[id] }

    /// What this node holds of `topic`'s messages, by origin: how many, the XOR of their ids' first 8 bytes (an
    /// order-free summary two nodes compare), and the ids, oldest first.
    /// `before`: only the messages cached at or before it (a periodic digest leaves out those still spreading).
    func summary(of topic: Topic, before: Instant? = nil) -> [OriginTag: OriginSummary] {
        var summaries: [OriginTag: OriginSummary] = [:]
        for entry in order {
            if let before, entry.at > before { break }
            guard let message = messages[entry.id], message.topic == topic else { continue }
            summaries[message.origin.originTag, default: OriginSummary()].add(entry.id)
        }
        return summaries
    }

    mutating func insert(_ id: MessageID, topic: Topic, origin: NodeID, payload: [UInt8], now: Instant) {
        guard messages[id] == nil, payload.count <= maxBytes else { return }
        messages[id] = (topic, origin, payload)
        order.append((id, now, payload.count))
        bytes += payload.count
        while messages.count > maxMessages || bytes > maxBytes { dropOldest() }
    }

    /// Drops the messages older than the window.
    mutating func age(now: Instant) {
        while let first = order.first, now - first.at > window { dropOldest() }
    }

    private mutating func dropOldest() {
        let oldest = order.removeFirst()
        messages[oldest.id] = nil
        bytes -= oldest.size
    }
}

/// One origin's messages on a topic as a node holds them (`MessageCache.summary`): a DIGEST entry and its ids.
struct OriginSummary: Sendable, Equatable {
    var count: UInt32 = 0
    var hash: UInt64 = 0
    var ids: [MessageID] = []

    mutating func add(_ id: MessageID) {
        count += 1
        hash ^= id.bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        ids.append(id)
    }
}
