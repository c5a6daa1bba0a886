import HeapModule
public import MeshCore
import MeshCrypto
import MeshGossip
public import MeshMembership
public import MeshNode
import MeshSignals
import MeshTransport

/// A deterministic network of real node cores (`NodeCore`: the shipped transport and membership code, real
/// cryptography) on a virtual clock (DESIGN.md: the simulator is the second shell around the same cores).
///
/// Everything random comes from one generator seeded with `seed`: the nodes' keys, their secrets and protocol
/// choices (each node gets its own seeds drawn from it), when each node starts (a random phase within the first
/// second, so timers do not tick in lockstep), and every datagram's delay and fate. Events run in time order with
/// ties broken by the order they were scheduled in, and the run folds every event into `traceHash`: the same seed
/// gives the same hash, which is how nondeterminism is caught (`Simulation.checkDeterminism`).
///
/// Faults (`schedule(_:at:)`): partitions that heal, crashes and restarts from what was durably written, pauses,
/// clock jumps and drift, churn. Observations: `overlay()`, traffic per node, drops by reason, datagram delays.
public final class Simulation {
    /// One simulated node.
    public struct Node {
        /// The node's core (its latest incarnation's, after a restart).
        public fileprivate(set) var core: NodeCore
        /// Its address on the simulated network.
        public let address: SocketAddress
        /// Whether it runs the seed profile.
        public let isSeed: Bool
        /// False once crashed (until restarted): it receives nothing and its timers do not fire.
        public fileprivate(set) var up = true
        /// How many times it has been (re)started.
        public fileprivate(set) var incarnation = 0
        /// Bytes and datagrams it has sent (all incarnations).
        public fileprivate(set) var bytesSent = 0
        /// Datagrams it has sent.
        public fileprivate(set) var datagramsSent = 0
        /// What it has written durably (its peer store: records and bans), as of its last save.
        public fileprivate(set) var durable: (records: [PeerRecord], bans: [NodeID: Instant]) = ([], [:])
        /// Session-key digests of its earlier incarnations (the last 4096), for `Invariant.noSessionKeyReuse`.
        public fileprivate(set) var earlierSessionKeyDigests: [Bytes32] = []

        fileprivate let key: Ed25519PrivateKey
        fileprivate var wakeGeneration: UInt64 = 0
        /// The local instant the core last asked to be woken at (its latest `wake` replaces earlier ones).
        fileprivate var requestedWake: Instant?
        /// The time of the timer event in the heap for this node, if one is (of generation `wakeGeneration`).
        fileprivate var scheduledWake: Instant?
        /// The clock: local = global + offset + drift × (global − driftSince), never running backwards.
        fileprivate var clockOffset = Duration.zero
        fileprivate var drift = 0.0
        fileprivate var driftSince: Instant
        fileprivate var lastLocal: Instant?
        /// Paused until this instant, with the datagrams that arrived meanwhile.
        fileprivate var pausedUntil: Instant?
        fileprivate var inbox: [(from: SocketAddress, datagram: [UInt8])] = []
        /// When its uplink is free again (bandwidth model).
        fileprivate var uplinkFreeAt: Instant
    }

    private struct Event: Comparable {
        enum Kind {
            case start(node: Int, incarnation: Int)
            case timer(node: Int, generation: UInt64)
            case deliver(to: Int, from: SocketAddress, datagram: [UInt8], sentAt: Instant)
            case fault(Int)
            case heal(partition: Int)
            case resume(node: Int)
            case save(node: Int, incarnation: Int)
            case churn(Int)
            case publish(node: Int)
            case attack(node: Int)
        }
        var time: Instant
        var sequence: UInt64
        var kind: Kind

        static func < (lhs: Event, rhs: Event) -> Bool { (lhs.time, lhs.sequence) < (rhs.time, rhs.sequence) }
        static func == (lhs: Event, rhs: Event) -> Bool { lhs.time == rhs.time && lhs.sequence == rhs.sequence }
    }

    /// Datagrams a paused node's socket buffer holds; later ones are dropped (reason `paused`).
    public static let pausedInboxLimit = 256
    /// A node writes its peer store this long after it starts, then every `saveInterval` (as `signalmesh run`).
    public static let firstSave = Duration.seconds(5)
    /// See `firstSave`.
    public static let saveInterval = Duration.seconds(30)
    /// Datagram delays kept for the report (every delivered datagram's until this many, then a thinning sample).
    public static let delaySampleLimit = 20_000

    /// The seed the run was made from.
    public let seed: UInt64
    /// The network model.
    public let network: NetworkModel
    /// The membership settings of ordinary nodes (seeds use the seed profile's view sizes).
    public let membership: MembershipSettings
    /// The nodes; the first `seedCount` are the seeds; nodes that join by churn are appended.
    public private(set) var nodes: [Node] = []
    /// How many of the nodes are seeds.
    public let seedCount: Int
    /// The virtual time.
    public private(set) var now: Instant
    /// The virtual time the simulation was made at.
    public let startedAt: Instant
    /// Events processed so far.
    public private(set) var eventsProcessed = 0
    /// Datagrams delivered so far.
    public private(set) var datagramsDelivered = 0
    /// Datagrams dropped, by reason: `loss`, `partition`, `mtu`, `queue`, `down` (the receiver had crashed),
    /// `paused` (a paused receiver's buffer was full), `unknown address`.
    public private(set) var drops: [String: Int] = [:]
    /// Datagrams the network model delivered twice.
    public private(set) var datagramsDuplicated = 0
    /// A sample of delivered datagrams' one-way delays (queueing included).
    public private(set) var delaySample: [Duration] = []
    /// A 64-bit hash folding in every event processed (its time, node, kind and bytes): equal for equal runs.
    public private(set) var traceHash: UInt64 = 0xcbf2_9ce4_8422_2325
    /// The faults scheduled, in the order they were.
    public private(set) var faults: [ScheduledFault] = []

    private var generator: Xoshiro256StarStar
    private var events = Heap<Event>()
    private var sequence: UInt64 = 0
    private var indexByAddress: [SocketAddress: Int] = [:]
    private var indexByID: [NodeID: Int] = [:]
    private var seedContacts: [PeerContact] = []
    /// Partitions started, with the node sets they read; nil once healed.
    private var partitions: [(partition: Partition, sets: (Set<Int>, Set<Int>))?] = []
    private var activePartitions = 0
    /// Churn under way: its end and the interval between leaves.
    private var churns: [(end: Instant, interval: Duration)] = []
    private var delaysSeen = 0
    /// Signal traffic: every node subscribes to `SignalTraffic.symbol` and signs with its key (nil: no gossip).
    public private(set) var signalTraffic: SignalTraffic?
    /// The attack under way (nil: none), and its attackers.
    public private(set) var attack: AttackTraffic?
    /// See `attack`.
    public private(set) var attackers: Set<Int> = []
    /// Frames the attackers pushed.
    public private(set) var attackFramesSent = 0
    /// Each published record's (issuer, sequence) with when it was published and how many nodes other than its
    /// publisher were up then (the deliveries it should get).
    private var published: [SignalKey: (at: Instant, expected: Int)] = [:]
    /// Deliveries of signal records to nodes, and their latencies from publication (a bounded sample).
    public private(set) var signalDeliveries = 0
    /// Deliveries that came after the record had already been delivered to that node (should be none).
    public private(set) var repeatedDeliveries = 0
    /// First deliveries' latencies from publication: a uniform sample (reservoir) of five times `delaySampleLimit`.
    public private(set) var signalLatencySample: [Duration] = []
    /// The sampler of `signalLatencySample` and `pathSample`: a generator of its own, so that sampling leaves the
    /// simulation's draws (and its trace) as they are.
    private var sampler: SplitMix64
    private var latenciesSeen = 0
    private var pathsSeen = 0
    /// For the first `shortestPathSignals` signals: the shortest-path latency from the publisher to each node over
    /// the overlay at publication (links weighted by their mean delay), by signal.
    private var shortestPaths: [SignalKey: [Duration]] = [:]
    /// Pairs of (delivery latency, shortest-path latency) of the deliveries of those signals.
    public private(set) var pathSample: [(latency: Duration, shortest: Duration)] = []
    /// How many signals get a shortest-path reference (a Dijkstra over the overlay each).
    public static let shortestPathSignals = 200
    private var deliveredTo: Set<SignalDelivery> = []

    struct SignalKey: Hashable {
        var issuer: NodeID
        var sequence: UInt64
    }

    private struct SignalDelivery: Hashable {
        var key: SignalKey
        var node: Int
    }

    /// `nodeCount` nodes, the first `seedCount` of them seeds (seed profile) that every node joins through, on
    /// `network`, starting at `start`. Call `start()` to let them join.
    public init(
        seed: UInt64, nodes nodeCount: Int, seeds seedCount: Int, network: NetworkModel = NetworkModel(),
        start: Instant = Instant(nanosecondsSinceEpoch: 1_800_000_000_000_000_000),
        membership: MembershipSettings = MembershipSettings(), signals: SignalTraffic? = nil,
        attack: AttackTraffic? = nil
    ) {
        precondition(nodeCount >= 1 && (1...nodeCount).contains(seedCount), "at least one node, 1 to nodeCount seeds")
        precondition(nodeCount <= 1 << 24, "addresses run out past 2^24 nodes")
        self.seed = seed
        self.network = network
        self.seedCount = seedCount
        self.membership = membership
        now = start
        startedAt = start
        generator = Xoshiro256StarStar(seed: seed)
        sampler = SplitMix64(seed: seed ^ 0x5A4D_504C_4552)
        self.signalTraffic = signals
        self.attack = attack
        if let attack {
            let reserved = seedCount + (signals?.publishers ?? 0)
            attackers = Set((nodeCount - attack.count(of: nodeCount, reserved: reserved))..<nodeCount)
        }
        let keys = (0..<nodeCount).map { _ in newKey() }
        seedContacts = (0..<seedCount).map {
            PeerContact(
                seed: SeedList.Seed(
                    peerID: keys[$0].nodeID, addresses: [Self.address(of: $0)], operatorName: "sim", contact: ""))
        }
        for key in keys { addNode(key: key) }
    }

    /// The address of node `index`.
    static func address(of index: Int) -> SocketAddress { .ipv4(0x0A00_0000 + UInt32(index), port: 9000) }

    private func newKey() -> Ed25519PrivateKey {
        var bytes = [UInt8](repeating: 0, count: 32)
        for chunk in 0..<4 {
            let word = generator.next()
            for byte in 0..<8 { bytes[chunk * 8 + byte] = UInt8(truncatingIfNeeded: word >> (8 * byte)) }
        }
        // 32 bytes are always a valid Ed25519 seed.
        return try! Ed25519PrivateKey(seed: bytes)
    }

    /// Appends a node with `key` (not started).
    @discardableResult
    private func addNode(key: Ed25519PrivateKey) -> Int {
        let index = nodes.count
        precondition(index < 1 << 24, "addresses run out past 2^24 nodes")
        let address = Self.address(of: index)
        let isSeed = index < seedCount
        nodes.append(
            Node(
                core: makeCore(key: key, isSeed: isSeed, address: address, localNow: now), address: address,
                isSeed: isSeed, key: key, driftSince: now, uplinkFreeAt: now))
        indexByAddress[address] = index
        indexByID[nodes[index].core.nodeID] = index
        return index
    }

    /// A fresh node core (a process starting) for `key`, its clock reading `localNow`.
    private func makeCore(key: Ed25519PrivateKey, isSeed: Bool, address: SocketAddress, localNow: Instant) -> NodeCore {
        var endpointSettings = EndpointSettings(network: "sim")
        endpointSettings.keepsSessionKeyDigests = true
        let endpoint = Endpoint(
            identity: key, settings: endpointSettings, random: SeededRandomBytes(seed: generator.next()),
            seed: generator.next(), now: localNow)
        // As `signalmesh run`: the record's seq is the start time, so a restarted node's record supersedes.
        let record = PeerRecord(
            key: key, seq: UInt64(max(localNow.nanosecondsSinceEpoch, 1)), issuedAt: localNow,
            roles: isSeed ? [.seed] : [], addresses: [address])
        var settings = membership
        if isSeed {
            settings.activeViewSize = MembershipSettings.seed.activeViewSize
            settings.passiveViewSize = MembershipSettings.seed.passiveViewSize
        }
        let core = Membership(
            selfRecord: record, seeds: seedContacts, settings: settings, seed: generator.next(), now: localNow)
        return NodeCore(
            endpoint: endpoint, membership: core, exchangeLimit: isSeed ? NodeCore.seedExchangeLimit : nil,
            signingKey: signalTraffic == nil ? nil : key,
            subscriptions: signalTraffic == nil ? [] : [SignalTraffic.symbol], now: localNow)
    }

    /// Starts every node at a random instant within `window` (default one second) from now.
    public func start(over window: Duration = .seconds(1)) {
        let span = UInt64(max(1, window.nanoseconds))
        for index in nodes.indices {
            let phase = Duration.nanoseconds(Int64(generator.next() % span))
            schedule(at: now + phase, .start(node: index, incarnation: nodes[index].incarnation))
        }
    }

    /// Schedules the signal traffic: each of `publishers` nodes (after the seeds) publishes a signal every
    /// `interval` from `start` (its phase drawn at random within the interval) until `end`, both from the start (the
    /// scenario stops 5 s before its end, so that the last signals reach everyone).
    public func scheduleSignals(until end: Duration) {
        guard let traffic = signalTraffic else { return }
        let span = UInt64(max(1, traffic.interval.nanoseconds))
        for publisher in 0..<min(traffic.publishers, nodes.count - seedCount) {
            var time = startedAt + traffic.start + .nanoseconds(Int64(generator.next() % span))
            while time < startedAt + end {
                schedule(at: time, .publish(node: seedCount + publisher))
                time = time + traffic.interval
            }
        }
    }

    /// Schedules the attack: each attacker pushes its frames every `1 / rate` s from the attack's start (its phase
    /// drawn at random) until `end`.
    public func scheduleAttacks(until end: Duration) {
        guard let attack else { return }
        let interval = Duration.nanoseconds(Int64(1e9 / attack.rate))
        for attacker in attackers.sorted() {
            let time = startedAt + attack.start + .nanoseconds(Int64(generator.next() % UInt64(interval.nanoseconds)))
            if time < startedAt + end { schedule(at: time, .attack(node: attacker)) }
        }
        attackEnd = startedAt + end
    }

    private var attackEnd: Instant?

    /// Where the `seen`-th item goes in a uniform sample of five times `delaySampleLimit` holding `held` (reservoir
    /// sampling): at the end while there is room, then in a random place with probability room / seen, or nowhere.
    private func reservoirSlot(seen: Int, held: Int) -> Int? {
        let room = Self.delaySampleLimit * 5
        if held < room { return held }
        let slot = Int(sampler.next() % UInt64(seen))
        return slot < room ? slot : nil
    }

    /// The shortest-path latency from `source` to every node over the overlay as it is (each live node's active
    /// view; links weighted by their mean delay): Dijkstra. An hour for a node out of reach.
    private func shortestPathLatencies(from source: Int) -> [Duration] {
        var distance = [Duration](repeating: .seconds(3600), count: nodes.count)
        distance[source] = .zero
        var queue = Heap<PathEntry>()
        queue.insert(PathEntry(distance: .zero, node: source))
        while let entry = queue.popMin() {
            guard entry.distance == distance[entry.node], nodes[entry.node].up else { continue }
            for peer in nodes[entry.node].core.membership.active {
                guard let next = index(of: peer.nodeID), nodes[next].up else { continue }
                let through = entry.distance + network.meanDelay(from: entry.node, to: next)
                if through < distance[next] {
                    distance[next] = through
                    queue.insert(PathEntry(distance: through, node: next))
                }
            }
        }
        return distance
    }

    private struct PathEntry: Comparable {
        var distance: Duration
        var node: Int
        static func < (lhs: Self, rhs: Self) -> Bool { (lhs.distance, lhs.node) < (rhs.distance, rhs.node) }
    }

    /// Schedules `fault` at `offset` from the simulation's start (at once if that has passed).
    public func schedule(_ fault: ScheduledFault) {
        faults.append(fault)
        schedule(at: max(startedAt + fault.at, now), .fault(faults.count - 1))
    }

    /// Schedules `fault` at `offset` from the simulation's start.
    public func schedule(_ fault: Fault, at offset: Duration) {
        schedule(ScheduledFault(at: offset, fault: fault))
    }

    /// Crashes `node` now: it stops receiving and its timers stop, as if the process died.
    public func crash(_ node: Int) {
        guard nodes[node].up else { return }
        nodes[node].up = false
        nodes[node].wakeGeneration += 1
        nodes[node].scheduledWake = nil
        nodes[node].requestedWake = nil
        nodes[node].pausedUntil = nil
        nodes[node].inbox = []
    }

    /// Restarts `node` now from what it wrote durably (crashing it first if it is up).
    public func restart(_ node: Int) {
        crash(node)
        let local = localNow(of: node)
        var core = makeCore(
            key: nodes[node].key, isSeed: nodes[node].isSeed, address: nodes[node].address, localNow: local)
        core.remember(nodes[node].durable.records)
        var effects: [NodeEffect] = []
        for (peer, until) in nodes[node].durable.bans.sorted(by: { $0.key.text < $1.key.text }) where until > local {
            effects += core.ban(peer, until: until, now: local)
        }
        nodes[node].earlierSessionKeyDigests = Array(
            (nodes[node].earlierSessionKeyDigests + nodes[node].core.endpoint.sessionKeyDigests).suffix(4096))
        nodes[node].core = core
        nodes[node].up = true
        nodes[node].incarnation += 1
        carryOut(effects, from: node)
        schedule(at: now, .start(node: node, incarnation: nodes[node].incarnation))
    }

    /// Runs until the virtual clock reaches `end`.
    public func run(until end: Instant) {
        while let next = events.min, next.time <= end {
            let event = events.removeMin()
            now = event.time
            process(event)
        }
        if end > now { now = end }
    }

    /// Runs for `duration` of virtual time.
    public func run(for duration: Duration) {
        run(until: now + duration)
    }

    /// Runs until `condition` holds (checked every `interval` of virtual time) or `limit` has passed; returns the
    /// virtual time it took, or nil if the limit came first.
    @discardableResult
    public func run(
        until condition: (Simulation) -> Bool, checkingEvery interval: Duration = .milliseconds(100),
        limit: Duration
    ) -> Duration? {
        let started = now
        let end = now + limit
        while now < end {
            run(until: min(now + interval, end))
            if condition(self) { return now - started }
        }
        return nil
    }

    // MARK: Observations

    /// The active-view neighbours of `node` (by index).
    public func neighbours(of node: Int) -> [Int] {
        // By id: a contact's address list is built on each read, and a contact known by id alone has none.
        nodes[node].core.membership.active.compactMap { indexByID[$0.nodeID] }
    }

    /// Whether the live nodes' active views form one connected graph in which each has at least `minimum`
    /// neighbours (by default the membership low watermark, or every other node in a small network).
    public func isConverged(minimum: Int? = nil) -> Bool {
        let snapshot = overlay(minimum: minimum)
        return snapshot.belowMinimum == 0 && snapshot.components <= 1
    }

    /// The shape of the overlay at one instant: what convergence is judged on.
    public struct OverlaySnapshot: Sendable, Equatable {
        /// The virtual time since the simulation was made.
        public var time: Duration
        /// Live nodes.
        public var live: Int
        /// Live nodes with fewer live links (listed by both ends) than the minimum asked for.
        public var belowMinimum: Int
        /// Connected components of the graph of live nodes and their active links (a link counts when both ends
        /// list each other).
        public var components: Int
        /// Nodes in the largest component.
        public var largestComponent: Int
        /// Mean number of live links per live node.
        public var meanDegree: Double
    }

    /// The overlay now: components, nodes short of `minimum` neighbours (by default the membership low watermark,
    /// or every other node in a small network), mean degree.
    public func overlay(minimum: Int? = nil) -> OverlaySnapshot {
        let live = nodes.indices.filter { nodes[$0].up }
        let needed = minimum ?? min(membership.lowWatermark, max(live.count - 1, 0))
        var listed = [[Int]](repeating: [], count: nodes.count)
        for node in live { listed[node] = neighbours(of: node).filter { nodes[$0].up } }
        // A link counts when both ends list each other: a node that one side dropped gets nothing from it.
        var adjacency = [[Int]](repeating: [], count: nodes.count)
        var belowMinimum = 0
        var degrees = 0
        for node in live {
            adjacency[node] = listed[node].filter { listed[$0].contains(node) }
            if adjacency[node].count < needed { belowMinimum += 1 }
            degrees += adjacency[node].count
        }
        var component = [Int](repeating: -1, count: nodes.count)
        var components = 0
        var largest = 0
        for start in live where component[start] < 0 {
            component[start] = components
            var size = 1
            var stack = [start]
            while let node = stack.popLast() {
                for peer in adjacency[node] where component[peer] < 0 {
                    component[peer] = components
                    size += 1
                    stack.append(peer)
                }
            }
            components += 1
            largest = max(largest, size)
        }
        return OverlaySnapshot(
            time: now - startedAt, live: live.count, belowMinimum: belowMinimum, components: components,
            largestComponent: largest, meanDegree: live.isEmpty ? 0 : Double(degrees) / Double(live.count))
    }

    /// Noise handshakes completed across all nodes (each counted once, on its initiator's side; a restarted
    /// node's count starts again).
    public var handshakesCompleted: Int { nodes.reduce(0) { $0 + $1.core.endpoint.counters.handshakesCompleted } }

    /// Datagrams the network model lost (`drops["loss"]`).
    public var datagramsLost: Int { drops["loss"] ?? 0 }

    /// Whether any partition is in force.
    public var isPartitioned: Bool { activePartitions > 0 }

    /// Runs a scenario twice with the same seed and reports whether the traces are equal (`scenario` builds, starts
    /// and runs a simulation and returns it).
    public static func checkDeterminism(_ scenario: () -> Simulation) -> (equal: Bool, first: UInt64, second: UInt64) {
        let first = scenario().traceHash
        let second = scenario().traceHash
        return (first == second, first, second)
    }

    // MARK: Clocks

    /// `node`'s clock now.
    public func localNow(of node: Int) -> Instant {
        let elapsed = Double((now - nodes[node].driftSince).nanoseconds)
        let local = now + nodes[node].clockOffset + .nanoseconds(Int64(elapsed * nodes[node].drift))
        return max(local, nodes[node].lastLocal ?? local)
    }

    /// The global instant at which `node`'s clock reads `local` (at least now).
    private func globalInstant(of node: Int, local: Instant) -> Instant {
        let base = nodes[node].driftSince + nodes[node].clockOffset
        let elapsed = Double((local - base).nanoseconds) / (1 + nodes[node].drift)
        // Rounded up, so the clock has reached `local` when the event fires.
        let global = nodes[node].driftSince + .nanoseconds(Int64(elapsed.rounded(.up)))
        return max(global, now)
    }

    /// The local time handed to `node`'s core for an input now; remembered, so the clock never runs backwards.
    private func tick(_ node: Int) -> Instant {
        let local = localNow(of: node)
        nodes[node].lastLocal = local
        return local
    }

    // MARK: Engine

    private func index(of id: NodeID) -> Int? {
        indexByID[id]
    }

    private func schedule(at time: Instant, _ kind: Event.Kind) {
        sequence += 1
        events.insert(Event(time: time, sequence: sequence, kind: kind))
    }

    private func process(_ event: Event) {
        eventsProcessed += 1
        mix(UInt64(bitPattern: event.time.nanosecondsSinceEpoch))
        switch event.kind {
        case .publish(let node):
            mix(UInt64(node) << 8 | 9)
            guard nodes[node].up, nodes[node].pausedUntil == nil else { return }
            let local = tick(node)
            let signal = Signal(
                strategy: "sim", rule: "tick", symbol: SignalTraffic.symbol, timeframe: "-",
                time: local.nanosecondsSinceEpoch / 1_000_000, price: 100, side: .buy, kind: .entry, strength: 1,
                snapshot: [:])
            let (record, effects) = nodes[node].core.publish(signal, now: local)
            if let record {
                let expected = nodes.indices.filter { $0 != node && nodes[$0].up }.count
                let key = SignalKey(issuer: record.issuer, sequence: record.sequence)
                published[key] = (now, expected)
                if shortestPaths.count < Self.shortestPathSignals {
                    shortestPaths[key] = shortestPathLatencies(from: node)
                }
            }
            carryOut(effects, from: node)
        case .attack(let node):
            mix(UInt64(node) << 8 | 10)
            guard let attack else { return }
            let next = now + .nanoseconds(Int64(1e9 / attack.rate))
            if let end = attackEnd, next < end { schedule(at: next, .attack(node: node)) }
            guard nodes[node].up, nodes[node].pausedUntil == nil else { return }
            let local = tick(node)
            let topic = Topic.signals(SignalTraffic.symbol)!
            var frames: [[UInt8]] = []
            switch attack.kind {
            case .invalid:
                // A record-sized payload of garbage: it fails the record's decoding or signature check.
                var payload = [UInt8](repeating: 0, count: 240)
                for index in stride(from: 0, to: payload.count, by: 8) {
                    let word = generator.next()
                    for byte in 0..<8 { payload[index + byte] = UInt8(truncatingIfNeeded: word >> (8 * byte)) }
                }
                frames = [
                    GossipFrame.publish(topic: topic, origin: nodes[node].core.nodeID, payload: payload).encoded()
                ]
            case .duplicate:
                frames = nodes[node].core.signalRecords.suffix(4).map {
                    GossipFrame.publish(topic: topic, origin: $0.issuer, payload: $0.encoded).encoded()
                }
            }
            for peer in nodes[node].core.membership.active.map(\.nodeID) {
                for frame in frames {
                    attackFramesSent += 1
                    carryOut(nodes[node].core.injectGossip(frame, to: peer, now: local), from: node)
                }
            }
        case .start(let node, let incarnation):
            mix(UInt64(node) << 8 | 1)
            guard nodes[node].up, nodes[node].incarnation == incarnation else { return }
            carryOut(nodes[node].core.start(now: tick(node)), from: node)
            schedule(at: now + Self.firstSave, .save(node: node, incarnation: incarnation))
        case .timer(let node, let generation):
            guard nodes[node].up, nodes[node].wakeGeneration == generation else { return }
            nodes[node].scheduledWake = nil
            if nodes[node].pausedUntil != nil { return }  // the resume fires what is due
            // The core asked for a later wake since this event was scheduled: move the event, not the core.
            if let requested = nodes[node].requestedWake {
                let due = globalInstant(of: node, local: requested)
                if due > now {
                    scheduleWake(of: node, at: due)
                    return
                }
            }
            mix(UInt64(node) << 8 | 2)
            // The clock has reached the instant the core asked for: the conversion from global time can fall a
            // nanosecond short under drift, and a core woken a nanosecond early asks again for the same instant, at
            // the same global time, forever.
            var local = tick(node)
            if let requested = nodes[node].requestedWake, requested > local {
                local = requested
                nodes[node].lastLocal = local
            }
            nodes[node].requestedWake = nil
            carryOut(nodes[node].core.timerFired(now: local), from: node)
        case .deliver(let node, let source, let datagram, let sentAt):
            mix(UInt64(node) << 8 | 3)
            guard nodes[node].up else {
                drops["down", default: 0] += 1
                return
            }
            if nodes[node].pausedUntil != nil {
                guard nodes[node].inbox.count < Self.pausedInboxLimit else {
                    drops["paused", default: 0] += 1
                    return
                }
                nodes[node].inbox.append((source, datagram))
                return
            }
            deliver(datagram, from: source, to: node, sentAt: sentAt)
        case .fault(let index):
            mix(UInt64(index) << 8 | 4)
            apply(faults[index].fault)
        case .heal(let partition):
            mix(UInt64(partition) << 8 | 5)
            if partitions[partition] != nil {
                partitions[partition] = nil
                activePartitions -= 1
            }
        case .resume(let node):
            mix(UInt64(node) << 8 | 6)
            guard nodes[node].up, let until = nodes[node].pausedUntil, until <= now else { return }
            nodes[node].pausedUntil = nil
            let inbox = nodes[node].inbox
            nodes[node].inbox = []
            for (source, datagram) in inbox { deliver(datagram, from: source, to: node, sentAt: nil) }
            if nodes[node].up, let requested = nodes[node].requestedWake {
                scheduleWake(of: node, at: globalInstant(of: node, local: requested))
            }
        case .save(let node, let incarnation):
            guard nodes[node].up, nodes[node].incarnation == incarnation else { return }
            mix(UInt64(node) << 8 | 7)
            if nodes[node].pausedUntil == nil {
                let membership = nodes[node].core.membership
                nodes[node].durable = (membership.knownRecords, membership.bans)
            }
            schedule(at: now + Self.saveInterval, .save(node: node, incarnation: incarnation))
        case .churn(let index):
            mix(UInt64(index) << 8 | 8)
            churn(index)
        }
    }

    private func deliver(_ datagram: [UInt8], from source: SocketAddress, to node: Int, sentAt: Instant?) {
        mix(bytes: datagram)
        datagramsDelivered += 1
        if let sentAt { noteDelay(now - sentAt) }
        carryOut(nodes[node].core.receive(datagram, from: source, now: tick(node)), from: node)
    }

    /// Keeps every delay until the sample is full, then every second one seen, then every fourth…: a thinning but
    /// deterministic sample of the whole run.
    private func noteDelay(_ delay: Duration) {
        delaysSeen += 1
        let stride = max(1, delaysSeen / Self.delaySampleLimit)
        if delaySample.count < Self.delaySampleLimit {
            delaySample.append(delay)
        } else if delaysSeen % (stride * 2) == 0 {
            delaySample[(delaysSeen / (stride * 2)) % Self.delaySampleLimit] = delay
        }
    }

    private func apply(_ fault: Fault) {
        switch fault {
        case .partition(let partition, let duration):
            partitions.append((partition, partition.sets))
            activePartitions += 1
            if let duration { schedule(at: now + duration, .heal(partition: partitions.count - 1)) }
        case .crash(let list):
            for node in list where node < nodes.count { crash(node) }
        case .restart(let list):
            for node in list where node < nodes.count { restart(node) }
        case .pause(let list, let duration):
            for node in list where node < nodes.count && nodes[node].up {
                let until = max(nodes[node].pausedUntil ?? now, now + duration)
                nodes[node].pausedUntil = until
                schedule(at: until, .resume(node: node))
            }
        case .clock(let list, let offset, let drift):
            for node in list where node < nodes.count {
                // Fold the drift so far into the offset, then start the new rate from now.
                let current = localNow(of: node)
                // What the clock reads now is its floor from here on: it never runs backwards.
                nodes[node].lastLocal = current
                nodes[node].clockOffset = current - now + offset
                nodes[node].drift = drift
                nodes[node].driftSince = now
                if nodes[node].up, nodes[node].pausedUntil == nil, let requested = nodes[node].requestedWake {
                    scheduleWake(of: node, at: globalInstant(of: node, local: requested))
                }
            }
        case .churn(let fraction, let duration):
            let ordinary = max(1, nodes.indices.filter { !nodes[$0].isSeed && nodes[$0].up }.count)
            let perSecond = fraction * Double(ordinary) / 60
            guard perSecond > 0 else { return }
            let interval = Duration.nanoseconds(max(1_000_000, Int64(1e9 / perSecond)))
            churns.append((now + duration, interval))
            schedule(at: now + interval, .churn(churns.count - 1))
        }
    }

    /// One churn step: a random live ordinary node leaves (crashes), a new node joins through the seeds.
    private func churn(_ index: Int) {
        let (end, interval) = churns[index]
        guard now <= end else { return }
        let candidates = nodes.indices.filter { !nodes[$0].isSeed && nodes[$0].up }
        if !candidates.isEmpty { crash(candidates[Int(generator.next() % UInt64(candidates.count))]) }
        if nodes.count < 1 << 24 {
            let joiner = addNode(key: newKey())
            schedule(at: now, .start(node: joiner, incarnation: 0))
        }
        if now + interval <= end { schedule(at: now + interval, .churn(index)) }
    }

    private func carryOut(_ effects: [NodeEffect], from node: Int) {
        for effect in effects {
            switch effect {
            case .send(let datagram, let address):
                send(datagram, to: address, from: node)
            case .wake(let at):
                // Only an earlier wake needs a new event; a later one moves the scheduled event when it comes up.
                // Most wakes a core asks for are later than the last (a deadline pushed back by traffic), and each
                // used to leave a stale event behind in the heap.
                nodes[node].requestedWake = at
                let due = globalInstant(of: node, local: at)
                if nodes[node].pausedUntil == nil, nodes[node].scheduledWake.map({ due < $0 }) ?? true {
                    scheduleWake(of: node, at: due)
                }
            case .event(.signalReceived(let record, _)):
                let key = SignalKey(issuer: record.issuer, sequence: record.sequence)
                guard deliveredTo.insert(SignalDelivery(key: key, node: node)).inserted else {
                    repeatedDeliveries += 1
                    continue
                }
                signalDeliveries += 1
                if let sent = published[key] {
                    latenciesSeen += 1
                    if let slot = reservoirSlot(seen: latenciesSeen, held: signalLatencySample.count) {
                        if slot == signalLatencySample.count {
                            signalLatencySample.append(now - sent.at)
                        } else {
                            signalLatencySample[slot] = now - sent.at
                        }
                    }
                    if let shortest = shortestPaths[key]?[node], shortest < .seconds(3600) {
                        pathsSeen += 1
                        if let slot = reservoirSlot(seen: pathsSeen, held: pathSample.count) {
                            if slot == pathSample.count {
                                pathSample.append((now - sent.at, shortest))
                            } else {
                                pathSample[slot] = (now - sent.at, shortest)
                            }
                        }
                    }
                }
            case .event:
                break
            }
        }
    }

    private func send(_ datagram: [UInt8], to address: SocketAddress, from node: Int) {
        nodes[node].bytesSent += datagram.count
        nodes[node].datagramsSent += 1
        guard let target = indexByAddress[address] else {
            drops["unknown address", default: 0] += 1
            return
        }
        guard datagram.count <= network.mtu else {
            drops["mtu", default: 0] += 1
            return
        }
        if activePartitions > 0 {
            for case let (partition, sets)? in partitions where partition.cuts(from: node, to: target, sets: sets) {
                drops["partition", default: 0] += 1
                return
            }
        }
        // The uplink: the datagram leaves once those queued before it have.
        var departure = now
        if let bandwidth = network.bandwidth {
            let start = max(now, nodes[node].uplinkFreeAt)
            let queued = Double((start - now).nanoseconds) * Double(bandwidth) / 1e9
            guard queued + Double(datagram.count) <= Double(network.queueLimit) else {
                drops["queue", default: 0] += 1
                return
            }
            departure = start + .nanoseconds(Int64(Double(datagram.count) * 1e9 / Double(bandwidth)))
            nodes[node].uplinkFreeAt = departure
        }
        if network.loss > 0, generator.unit() < network.loss {
            drops["loss", default: 0] += 1
            return
        }
        let source = nodes[node].address
        schedule(
            at: departure + network.delay(from: node, to: target, using: &generator),
            .deliver(to: target, from: source, datagram: datagram, sentAt: now))
        if network.duplication > 0, generator.unit() < network.duplication {
            datagramsDuplicated += 1
            schedule(
                at: departure + network.delay(from: node, to: target, using: &generator),
                .deliver(to: target, from: source, datagram: datagram, sentAt: now))
        }
    }

    /// Puts a timer event for `node` at `time` in the heap, making any earlier one stale. A wake asked for a moment
    /// already past (a deadline that came due while the core had no input) is for now: the clock never goes back.
    private func scheduleWake(of node: Int, at time: Instant) {
        let time = max(time, now)
        nodes[node].wakeGeneration += 1
        nodes[node].scheduledWake = time
        schedule(at: time, .timer(node: node, generation: nodes[node].wakeGeneration))
    }

    /// Folds `bytes` into the trace hash eight at a time (a multiply and a rotation per word: byte-by-byte FNV over
    /// every datagram was 3% of a run), then their count.
    private func mix(bytes: [UInt8]) {
        var hash = traceHash
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset + 8 <= raw.count {
                let word = raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                let product = (hash ^ word) &* 0x9E37_79B9_7F4A_7C15
                hash = product << 29 | product >> 35
                offset += 8
            }
            while offset < raw.count {
                hash = (hash ^ UInt64(raw[offset])) &* 0x100_0000_01b3
                offset += 1
            }
        }
        traceHash = hash
        mix(UInt64(bytes.count))
    }

    /// Folds `value` into the trace hash (FNV-1a, 64 bits).
    private func mix(_ value: UInt64) {
        var hash = traceHash
        var rest = value
        repeat {
            hash = (hash ^ (rest & 0xFF)) &* 0x100_0000_01b3
            rest >>= 8
        } while rest != 0
        traceHash = hash
    }
}

/// Signals published in a simulation, to measure gossip: every node subscribes to `symbol`'s signals and signs with
/// its key; `publishers` nodes (after the seeds) each publish one every `interval` from `start`.
public struct SignalTraffic: Sendable, Equatable {
    /// The symbol every node subscribes to.
    public static let symbol = "SIM"
    /// How many nodes publish.
    public var publishers: Int
    /// How often each publishes.
    public var interval: Duration
    /// When publishing starts, from the simulation's start.
    public var start: Duration

    /// `publishers` nodes each publishing every `interval` from `start`.
    public init(publishers: Int, interval: Duration, start: Duration) {
        self.publishers = publishers
        self.interval = interval
        self.start = start
    }

    /// `P@Is[+Ss]`: P publishers every I seconds, from S seconds (default 10).
    public init?(text: String) {
        let parts = text.split(separator: "@", maxSplits: 1)
        guard parts.count == 2, let publishers = Int(parts[0]), (1...100_000).contains(publishers) else { return nil }
        let rest = parts[1].split(separator: "+", maxSplits: 1)
        func seconds(_ text: Substring) -> Duration? {
            guard text.hasSuffix("s"), let value = Double(text.dropLast()), value > 0, value <= 86_400 else {
                return nil
            }
            return .nanoseconds(Int64(value * 1e9))
        }
        guard let interval = seconds(rest[0]) else { return nil }
        let start = rest.count == 2 ? seconds(rest[1]) : .seconds(10)
        guard let start else { return nil }
        self.init(publishers: publishers, interval: interval, start: start)
    }

    /// The text form (`10@1s+10s`).
    public var text: String {
        func seconds(_ duration: Duration) -> String {
            let value = Double(duration.nanoseconds) / 1e9
            return value == value.rounded() ? "\(Int(value))s" : "\(value)s"
        }
        return "\(publishers)@\(seconds(interval))+\(seconds(start))"
    }
}

extension Simulation {
    /// What the attack met: attackers, the links honest nodes had to them at the end (in their active views), how
    /// many of those the honest side had graylisted, the frames the attackers pushed, and the links between honest
    /// nodes that one side had graylisted (should be none).
    public var attackFigures:
        (
            attackers: Int, links: Int, graylistedLinks: Int, framesSent: Int, honestGraylisted: Int
        )
    {
        var links = 0
        var graylisted = 0
        var honestGraylisted = 0
        let threshold = GossipRouter.Settings().graylistScore
        for (index, node) in nodes.enumerated() where !attackers.contains(index) && node.up {
            for peer in node.core.membership.active {
                guard let other = self.index(of: peer.nodeID), let score = node.core.gossip.score(of: peer.nodeID)
                else { continue }
                if attackers.contains(other) {
                    links += 1
                    if score <= threshold { graylisted += 1 }
                } else if score <= threshold {
                    honestGraylisted += 1
                }
            }
        }
        return (attackers.count, links, graylisted, attackFramesSent, honestGraylisted)
    }

    /// What the signal traffic showed: records published, deliveries against those expected, latencies, and
    /// copies received beyond the first per node per record.
    public var signalFigures: (published: Int, expected: Int, delivered: Int, duplicatesPerNodePerMessage: Double) {
        let expected = published.values.reduce(0) { $0 + $1.expected }
        let duplicates = nodes.reduce(0) { $0 + $1.core.gossip.counters.duplicates }
        let perNode = published.isEmpty ? 0 : Double(duplicates) / Double(published.count * max(1, nodes.count))
        return (published.count, expected, signalDeliveries, perNode)
    }
}
