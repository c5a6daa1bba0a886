import DequeModule
public import MeshCore

/// Gossip datagrams waiting for room on the path to a neighbour (`Specs/gossip.md`, section 5, "Backpressure"): the
/// transport refuses a datagram while the congestion window to the peer is full, and what it refused waits here,
/// bounded per neighbour, instead of being lost. Each neighbour's queue sends control frames first, then this node's
/// own publications, then messages it forwards; when a queue is over its bound, the oldest frame of the lowest class
/// it holds is dropped (counted by class). A neighbour whose queue keeps overflowing is slow: the node core stops
/// pushing messages to it for a while (`GossipRouter.demote`), and it gets announcements instead, which it can ask
/// for at its own pace.
///
/// Hand-written over swift-collections' `Deque`: no library keeps per-key bounded priority queues with drop
/// accounting, and this one is a few dozen lines.
public struct GossipSendQueues: Sendable {
    /// What a frame is, in the order queues send them.
    public enum Class: Int, Sendable, CaseIterable, Comparable {
        /// IHAVE, IWANT, IDONTWANT (small, and what repair and pruning depend on).
        case control
        /// A PUBLISH of this node's own message.
        case own
        /// A PUBLISH this node forwards.
        case forwarded

        /// Ordered as sent: control first.
        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

        /// Its name in metrics.
        public var name: String {
            switch self {
            case .control: "control"
            case .own: "own"
            case .forwarded: "forwarded"
            }
        }
    }

    /// The bounds and the slow-neighbour rule.
    public struct Limits: Sendable, Equatable {
        /// Frames one neighbour's queue holds at most.
        public var frames = 512
        /// Bytes one neighbour's queue holds at most.
        public var bytes = 512 << 10
        /// This many frames dropped from one neighbour's queue within `slowWindow`, while the queue has not been empty
        /// for `slowAfter`, make it slow. (A burst overflows every queue at once; only a neighbour that does not
        /// drain it is slow.)
        public var slowDrops = 64
        /// See `slowDrops`.
        public var slowAfter = Duration.seconds(2)
        /// See `slowDrops`.
        public var slowWindow = Duration.seconds(10)
        /// How long a slow neighbour is pushed no messages.
        public var demotion = Duration.seconds(30)

        /// The defaults.
        public init() {}
    }

    private struct Queue: Sendable {
        var frames: [Deque<[UInt8]>] = Array(repeating: [], count: Class.allCases.count)
        var count = 0
        var bytes = 0
        /// When frames were dropped lately (at most `slowDrops` kept).
        var drops = Deque<Instant>()
        /// Since when frames have waited without the queue emptying.
        var waitingSince: Instant?
    }

    /// The limits in force.
    public let limits: Limits
    private var queues: [NodeID: Queue] = [:]
    /// Frames dropped, by class (index: `Class.rawValue`), because a queue was over its bound or its neighbour left.
    public private(set) var dropped = [0, 0, 0]
    /// Frames that had to wait (the transport refused them, or others were waiting before them).
    public private(set) var delayed = 0
    /// Neighbours found slow.
    public private(set) var slowNeighbours = 0

    /// Empty queues with `limits`.
    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Whether frames wait for `peer` (a new frame must then wait behind them, to keep their order).
    public func isWaiting(_ peer: NodeID) -> Bool { queues[peer].map { $0.count > 0 } ?? false }

    /// Frames waiting for `peer`.
    public func waiting(for peer: NodeID) -> Int { queues[peer]?.count ?? 0 }

    /// Frames waiting in all (kept as a count: the node core reads it after every input).
    public private(set) var total = 0

    /// The neighbours with frames waiting, in id order.
    public var peersWaiting: [NodeID] { queues.filter { $0.value.count > 0 }.map(\.key).sorted() }

    /// Puts `frame` of `kind` at the back of `peer`'s queue at `now`, dropping the oldest frames of the lowest class
    /// present while the queue is over its bounds. True if `peer` has just become slow (its drops within
    /// `slowWindow` reached `slowDrops`): the caller demotes it.
    public mutating func enqueue(_ frame: [UInt8], _ kind: Class, to peer: NodeID, now: Instant) -> Bool {
        var queue = queues.removeValue(forKey: peer) ?? Queue()
        defer { queues[peer] = queue }
        delayed += 1
        if queue.count == 0 { queue.waitingSince = now }
        queue.frames[kind.rawValue].append(frame)
        queue.count += 1
        total += 1
        queue.bytes += frame.count
        var slow = false
        while queue.count > limits.frames || queue.bytes > limits.bytes,
            let lowest = Class.allCases.last(where: { !queue.frames[$0.rawValue].isEmpty })
        {
            let gone = queue.frames[lowest.rawValue].removeFirst()
            queue.count -= 1
            total -= 1
            queue.bytes -= gone.count
            dropped[lowest.rawValue] += 1
            queue.drops.append(now)
            while let first = queue.drops.first, now - first >= limits.slowWindow { queue.drops.removeFirst() }
            if queue.drops.count >= limits.slowDrops, let since = queue.waitingSince, now - since >= limits.slowAfter {
                queue.drops.removeAll()
                slowNeighbours += 1
                slow = true
            }
        }
        return slow
    }

    /// Takes the first frame waiting for `peer`: the oldest of the highest class.
    public mutating func popFirst(for peer: NodeID) -> (frame: [UInt8], kind: Class)? {
        // Kept when empty (until the neighbour leaves): `putBack` must find when its frames began to wait.
        guard var queue = queues.removeValue(forKey: peer) else { return nil }
        defer { queues[peer] = queue }
        guard let kind = Class.allCases.first(where: { !queue.frames[$0.rawValue].isEmpty }) else { return nil }
        let frame = queue.frames[kind.rawValue].removeFirst()
        queue.count -= 1
        total -= 1
        queue.bytes -= frame.count
        return (frame, kind)
    }

    /// Puts back a frame `popFirst` gave that the transport refused again, first in its class.
    /// It has waited since it first did.
    public mutating func putBack(_ frame: [UInt8], _ kind: Class, for peer: NodeID) {
        var queue = queues.removeValue(forKey: peer) ?? Queue()
        queue.frames[kind.rawValue].prepend(frame)
        queue.count += 1
        total += 1
        queue.bytes += frame.count
        queues[peer] = queue
    }

    /// Forgets `peer`'s queue (it is no longer a neighbour): its frames count as dropped.
    public mutating func remove(_ peer: NodeID) {
        guard let queue = queues.removeValue(forKey: peer) else { return }
        total -= queue.count
        for kind in Class.allCases { dropped[kind.rawValue] += queue.frames[kind.rawValue].count }
    }
}
