import MeshCore
import MeshCrypto

@testable import MeshMembership

/// Membership cores in memory: messages are delivered in order and at once, timers fire in virtual time, and a
/// message to a node that is down or across a partition makes the sender's shell report the peer unreachable.
/// (The transport's own tests cover loss and delay; this drives the view logic.)
struct MembershipNetwork {
    struct Node {
        var core: Membership
        var wake: Instant?
        var up = true
        /// Down without anyone being told: messages to it vanish, as on a real network.
        var silent = false
    }

    private(set) var nodes: [Node] = []
    private(set) var ids: [NodeID] = []
    private var indexByID: [NodeID: Int] = [:]
    private(set) var now = Instant(nanosecondsSinceEpoch: 1_795_219_200_000_000_000)
    /// Pairs of node indices that cannot reach each other.
    var isCut: (Int, Int) -> Bool = { _, _ in false }
    /// A message, or (nil) a transport PING of a `.probe`.
    private var queue: [(from: Int, to: Int, message: MembershipMessage?)] = []
    private var queueHead = 0
    private(set) var delivered = 0

    /// `count` nodes, the first `seedCount` of them seeds (in every node's seed list, with the seed profile).
    init(
        count: Int, seedCount: Int, settings: MembershipSettings = MembershipSettings(),
        seedSettings: MembershipSettings = .seed
    ) {
        let keys = (0..<count).map { index in
            try! Ed25519PrivateKey(seed: (0..<32).map { UInt8(truncatingIfNeeded: index >> (8 * ($0 % 4))) ^ 0x5A })
        }
        let records = keys.enumerated().map { index, key in
            PeerRecord(
                key: key, seq: 1, issuedAt: now, roles: index < seedCount ? [.seed] : [],
                addresses: [.ipv4(0x0A00_0000 | UInt32(index), port: 47000)])
        }
        let seeds = records.prefix(seedCount).map(PeerContact.init(record:))
        for (index, record) in records.enumerated() {
            let core = Membership(
                selfRecord: record, seeds: Array(seeds), settings: index < seedCount ? seedSettings : settings,
                seed: UInt64(index) &* 0x9E37_79B9, now: now)
            nodes.append(Node(core: core))
            ids.append(record.nodeID)
            indexByID[record.nodeID] = index
        }
    }

    /// Starts `indices` (their JOINs go out) and delivers what follows.
    mutating func start(_ indices: some Sequence<Int>) {
        for index in indices {
            nodes[index].up = true
            apply(nodes[index].core.start(now: now), at: index)
        }
        drain()
    }

    /// Stops a node: it no longer answers, and whoever sends to it learns it is unreachable (a refused
    /// connection) or, if `silently`, nothing at all (a host that vanished: only probes tell).
    mutating func crash(_ index: Int, silently: Bool = false) {
        nodes[index].up = false
        nodes[index].silent = silently
    }

    /// `index` bans `peer` for `duration`.
    mutating func ban(_ peer: Int, at index: Int, for duration: Duration) {
        apply(nodes[index].core.ban(ids[peer], until: now + duration, now: now), at: index)
        drain()
    }

    /// Brings a crashed node back with its state (a pause, or a network cable plugged back in).
    mutating func revive(_ index: Int) {
        nodes[index].up = true
        nodes[index].silent = false
        if nodes[index].wake.map({ $0 < now }) ?? false { nodes[index].wake = now }
    }

    /// Runs virtual time forward by `duration`, firing timers in order.
    mutating func run(for duration: Duration) {
        let end = now + duration
        while true {
            var due: (index: Int, at: Instant)?
            for index in nodes.indices where nodes[index].up {
                if let at = nodes[index].wake, due.map({ at < $0.at }) ?? true { due = (index, at) }
            }
            guard let (index, at) = due, at <= end else { break }
            now = max(now, at)
            nodes[index].wake = nil
            apply(nodes[index].core.timerFired(now: now), at: index)
            drain()
        }
        now = end
    }

    private mutating func apply(_ effects: [MembershipEffect], at index: Int) {
        for effect in effects {
            switch effect {
            case .send(let message, let contact):
                guard let target = indexByID[contact.nodeID] else { continue }
                queue.append((index, target, message))
            case .probe(let contact, _):
                // The transport's PING (the session is taken as up): answered by the target's transport, whose core
                // is told it was pinged.
                guard let target = indexByID[contact.nodeID] else { continue }
                queue.append((index, target, nil))
            case .wake(let at):
                nodes[index].wake = at
            case .disconnect, .neighborUp, .neighborDown:
                break
            }
        }
    }

    private mutating func drain() {
        var processed = 0
        defer {
            queue.removeAll(keepingCapacity: true)
            queueHead = 0
        }
        while queueHead < queue.count {
            processed += 1
            precondition(processed < 1_000_000, "messages did not settle")
            let (from, to, message) = queue[queueHead]
            queueHead += 1
            guard nodes[from].up else { continue }
            if !nodes[to].up && nodes[to].silent { continue }
            if !nodes[to].up || isCut(from, to) {
                apply(nodes[from].core.peerUnreachable(ids[to], now: now), at: from)
                continue
            }
            delivered += 1
            guard let message else {
                apply(nodes[to].core.pinged(by: ids[from], now: now), at: to)
                apply(nodes[from].core.probeAnswered(by: ids[to], now: now), at: from)
                continue
            }
            apply(nodes[to].core.received(message, from: ids[from], now: now), at: to)
        }
    }

    // MARK: Checks

    /// The active views as index sets.
    func activeNeighbours(_ index: Int) -> [Int] {
        nodes[index].core.active.compactMap { indexByID[$0.nodeID] }
    }

    /// Whether the nodes in `indices` form one connected graph over their active views (edges in either direction,
    /// among nodes that are up).
    func isConnected(_ indices: [Int]) -> Bool {
        guard let first = indices.first else { return true }
        let members = Set(indices)
        var seen: Set<Int> = [first]
        var frontier = [first]
        var adjacency: [Int: Set<Int>] = [:]
        for index in indices {
            for other in activeNeighbours(index) where members.contains(other) {
                adjacency[index, default: []].insert(other)
                adjacency[other, default: []].insert(index)
            }
        }
        while let next = frontier.popLast() {
            for other in adjacency[next, default: []] where !seen.contains(other) {
                seen.insert(other)
                frontier.append(other)
            }
        }
        return seen.count == members.count
    }

    /// Active-view entries whose peer does not list this node back.
    func asymmetricLinks(_ indices: [Int]) -> Int {
        indices.reduce(0) { total, index in
            total + activeNeighbours(index).filter { !activeNeighbours($0).contains(index) }.count
        }
    }
}
