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
        /// When its latest incarnation started (nil before it has).
        public fileprivate(set) var startedAt: Instant?
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
        /// Its clock.
        fileprivate var clock: Clock
        /// Paused until this instant, with the datagrams that arrived meanwhile.
        fileprivate var pausedUntil: Instant?
        fileprivate var inbox: [(from: SocketAddress, datagram: [UInt8])] = []
        /// When its uplink is free again (bandwidth model).
        fileprivate var uplinkFreeAt: Instant
        /// The draws for the datagrams it sends (delay, loss, duplication): its own generator, so that what happens
        /// to a node's datagrams does not depend on the order in which nodes are processed within a window.
        fileprivate var random: Xoshiro256StarStar
        /// Events it has scheduled (their sequence numbers: ties at one instant go by origin, then sequence).
        fileprivate var scheduled: UInt64 = 0
        /// Its events folded into a hash (see `traceHash`).
        fileprivate var trace: UInt64 = 0xcbf2_9ce4_8422_2325
    }

    /// A node's clock: local = global + offset + drift × (global − driftSince), never running backwards. Plain
    /// values, so that reading it copies nothing that is counted.
    fileprivate struct Clock {
        var offset = Duration.zero
        var drift = 0.0
        var driftSince: Instant
        var lastLocal: Instant?

        /// The reading at global instant `now`, never behind the last reading.
        func localNow(at now: Instant) -> Instant {
            let elapsed = Double((now - driftSince).nanoseconds)
            let local = now + offset + .nanoseconds(Int64(elapsed * drift))
            return max(local, lastLocal ?? local)
        }

        /// The global instant at which the clock reads `local` (at least `now`).
        func globalInstant(local: Instant, now: Instant) -> Instant {
            let base = driftSince + offset
            let elapsed = Double((local - base).nanoseconds) / (1 + drift)
            // Rounded up, so the clock has reached `local` when the event fires.
            let global = driftSince + .nanoseconds(Int64(elapsed.rounded(.up)))
            return max(global, now)
        }
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
        /// The node that scheduled it, or `Event.global` (the simulation itself: faults, traffic, starts).
        var origin: UInt32
        /// The origin's count of events scheduled, this one included.
        var sequence: UInt64
        var kind: Kind

        /// The origin of events the simulation schedules itself.
        static let global = UInt32.max

        /// The node whose state the event reads and changes alone (nil: the simulation's own events, which may
        /// read or change any node and run on their own between windows).
        var node: Int? {
            switch kind {
            case .start(let node, _), .timer(let node, _), .deliver(let node, _, _, _), .resume(let node),
                .save(let node, _):
                node
            case .fault, .heal, .churn, .publish, .attack:
                nil
            }
        }

        static func < (lhs: Event, rhs: Event) -> Bool {
            (lhs.time, lhs.origin, lhs.sequence) < (rhs.time, rhs.origin, rhs.sequence)
        }
        static func == (lhs: Event, rhs: Event) -> Bool {
            lhs.time == rhs.time && lhs.origin == rhs.origin && lhs.sequence == rhs.sequence
        }
    }

    /// What processing one window's chunk of nodes (or one of the simulation's own events) changes beyond the
    /// nodes themselves, merged into the simulation in chunk order once the window is done (`merge`): so the run
    /// is the same whichever thread processed which chunk, and the same with one thread or several.
    private struct Lane {
        /// The nodes (their storage, held by the simulation for the window; a lane touches only its own).
        let nodes: UnsafeMutablePointer<Node>
        /// The virtual time of the event being processed.
        var now: Instant
        /// The node whose events are being processed, and the end of the window: its own events before then go
        /// on its queue rather than to the heap.
        var current = -1
        var windowEnd: Instant
        /// The current node's events in the window, latest first.
        var queue: [Event] = []
        /// Events for the heaps.
        var scheduled: [Event] = []
        var drops: [String: Int] = [:]
        var eventsProcessed = 0
        var delivered = 0
        var duplicated = 0
        /// Delivered datagrams' delays, in the order delivered.
        var delays: [Duration] = []
        /// Signal records handed to nodes: the node, the record and when.
        var receipts: [(node: Int, key: SignalKey, at: Instant)] = []

        init(nodes: UnsafeMutablePointer<Node>, now: Instant, windowEnd: Instant) {
            self.nodes = nodes
            self.now = now
            self.windowEnd = windowEnd
        }

        /// Schedules `kind` at `time`, scheduled by node `origin`.
        mutating func schedule(at time: Instant, _ kind: Event.Kind, by origin: Int) {
            nodes[origin].scheduled += 1
            let event = Event(time: time, origin: UInt32(origin), sequence: nodes[origin].scheduled, kind: kind)
            guard current >= 0, time < windowEnd, event.node == current else {
                scheduled.append(event)
                return
            }
            // Latest first: the next event is the last.
            var index = queue.count
            while index > 0, queue[index - 1] < event { index -= 1 }
            queue.insert(event, at: index)
        }
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
    /// Each node folds its own events (in the order it processed them), the simulation its own events; this folds
    /// those together in node order.
    public var traceHash: UInt64 {
        var hash = globalTrace
        for index in nodes.indices { Self.mix(nodes[index].trace, into: &hash) }
        return hash
    }
    private var globalTrace: UInt64 = 0xcbf2_9ce4_8422_2325
    /// Threads that process a window's nodes (the calling thread and `threads − 1` helpers); the run is the same
    /// with any number.
    public let threads: Int
    private var pool: WorkerPool?
    /// No datagram arrives sooner than this after it is sent: events of different nodes less than this apart
    /// cannot affect each other, so a window this long is processed node by node, the nodes in parallel.
    private let lookahead: Duration
    /// The faults scheduled, in the order they were.
    public private(set) var faults: [ScheduledFault] = []

    private var generator: Xoshiro256StarStar
    /// Events of one node each (`Event.node`), and the simulation's own events.
    private var nodeEvents = Heap<Event>()
    private var globalEvents = Heap<Event>()
    /// The simulation's count of events it scheduled itself.
    private var sequence: UInt64 = 0
    /// A window's events by node (reused from window to window).
    private var windowEvents: [[Event]] = []
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
    private var published: [SignalKey: Publication] = [:]
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

    /// A record published, and who was owed it: the nodes that existed then (`nodeCount`), were up, were not
    /// attackers and did not publish it.
    private struct Publication {
        var at: Instant
        var expected: Int
        var publisher: Int
        var nodeCount: Int
        /// Nodes down or attacking at publication, ascending.
        var exempt: [Int]
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
        attack: AttackTraffic? = nil, threads: Int = 1
    ) {
        precondition(nodeCount >= 1 && (1...nodeCount).contains(seedCount), "at least one node, 1 to nodeCount seeds")
        precondition((1...256).contains(threads), "1 to 256 threads")
        self.threads = threads
        lookahead = network.minimumDelay
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

    deinit {
        pool?.stop()
    }

    /// The address of honest node `index`: public-looking, spread over 51,200 address groups (/16s: first octet 20 to
    /// 219, second the index over 200), so that the membership's per-group limits (`Specs/membership.md`) bind only
    /// where an attack puts many nodes in one network.
    static func address(of index: Int) -> SocketAddress {
        let (low, rest) = (UInt32(index % 200), UInt32(index / 200))
        return .ipv4((20 + low) << 24 | (rest & 0xFF) << 16 | (rest >> 8), port: 9000)
    }

    /// The address of sybil `index` (`AttackTraffic.Kind.eclipse`): all of them in two /16s, 223.1 and 223.2, as an
    /// attacker renting addresses from one or two providers has them.
    static func sybilAddress(of index: Int) -> SocketAddress {
        .ipv4(223 << 24 | UInt32(1 + index % 2) << 16 | UInt32(index / 2 & 0xFFFF), port: 9000)
    }

    /// Whether node `index` is a sybil of an eclipse attack.
    private func isSybil(_ index: Int) -> Bool { attack?.kind == .eclipse && attackers.contains(index) }

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
        let address = isSybil(index) ? Self.sybilAddress(of: index) : Self.address(of: index)
        let isSeed = index < seedCount
        let core = makeCore(key: key, isSeed: isSeed, sybil: isSybil(index), address: address, localNow: now)
        nodes.append(
            Node(
                core: core, address: address, isSeed: isSeed, key: key, clock: Clock(driftSince: now),
                uplinkFreeAt: now,
                random: Xoshiro256StarStar(seed: generator.next())))
        indexByAddress[address] = index
        indexByID[nodes[index].core.nodeID] = index
        return index
    }

    /// A fresh node core (a process starting) for `key`, its clock reading `localNow`.
    private func makeCore(
        key: Ed25519PrivateKey, isSeed: Bool, sybil: Bool = false, address: SocketAddress, localNow: Instant
    ) -> NodeCore {
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
            settings.maxActivePerGroup = MembershipSettings.seed.maxActivePerGroup
            settings.maxPassivePerGroup = MembershipSettings.seed.maxPassivePerGroup
        }
        if sybil {
            // A sybil holds as many victims as it can, and keeps among its own kind.
            settings.activeViewSize = 64
            settings.passiveViewSize = 256
            settings.maxActivePerGroup = nil
            settings.maxPassivePerGroup = nil
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
    /// Honest nodes that started in the last `eclipseWindow` (the sybils' targets), as of `at`.
    private var recentJoiners: (at: Instant, nodes: [Int])?
    /// How long after its start a node is a target of the sybils.
    static let eclipseWindow = Duration.seconds(20)
    /// Honest nodes the sybils aimed at (at least once).
    public private(set) var eclipseTargets: Set<Int> = []

    /// One round of sybil `node`'s eclipse attempt: omniscient (it knows which honest nodes started in the last 20 s,
    /// as an attacker watching the seeds would), it asks one of them, with high priority, to take it as a neighbour —
    /// an operator's request, so its own core keeps the link when accepted — and sends another a SHUFFLE whose
    /// records are all sybils', to fill its passive view with them.
    private func eclipseTick(by node: Int, now local: Instant) {
        if recentJoiners.map({ now - $0.at >= .seconds(1) }) ?? true {
            recentJoiners = (
                now,
                nodes.indices.filter { index in
                    !attackers.contains(index) && !nodes[index].isSeed && nodes[index].up
                        && nodes[index].startedAt.map { now - $0 < Self.eclipseWindow } ?? false
                }
            )
        }
        guard let targets = recentJoiners?.nodes, !targets.isEmpty else { return }
        var effects: [NodeEffect] = []
        let victim = targets[Int(generator.next() % UInt64(targets.count))]
        eclipseTargets.insert(victim)
        let victimContact = PeerContact(record: nodes[victim].core.membership.selfRecord)
        if !nodes[node].core.membership.isActive(victimContact.nodeID),
            let asked = try? nodes[node].core.connect(victimContact, now: local)
        {
            attackFramesSent += 1
            effects += asked
        }
        let other = targets[Int(generator.next() % UInt64(targets.count))]
        eclipseTargets.insert(other)
        let sybils = attackers.sorted().filter { $0 != node && nodes[$0].up }
        var records: [PeerRecord] = []
        if !sybils.isEmpty {
            let first = Int(generator.next() % UInt64(sybils.count))
            for offset in 0..<min(8, sybils.count) {
                records.append(nodes[sybils[(first + offset) % sybils.count]].core.membership.selfRecord)
            }
        }
        let shuffle = MembershipMessage.shuffle(
            origin: nodes[node].core.membership.selfRecord, ttl: 0, records: records, path: [])
        attackFramesSent += 1
        effects += nodes[node].core.injectMembership(
            shuffle, to: PeerContact(record: nodes[other].core.membership.selfRecord), now: local)
        withLane { carryOut(effects, from: node, lane: &$0) }
    }

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
            key: nodes[node].key, isSeed: nodes[node].isSeed, sybil: isSybil(node), address: nodes[node].address,
            localNow: local)
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
        withLane { carryOut(effects, from: node, lane: &$0) }
        schedule(at: now, .start(node: node, incarnation: nodes[node].incarnation))
    }

    /// Runs until the virtual clock reaches `end`.
    ///
    /// The simulation's own events (faults, traffic) run on their own; between them, time is cut into windows of
    /// `lookahead` (at least a nanosecond), each processed node by node: every event a node has in the window, in
    /// order, the nodes in parallel on `threads` threads. A node's events come in the same order as one event at
    /// a time would give them (a datagram sent within a window arrives after its end), so windows change how fast
    /// the run goes, not what happens.
    public func run(until end: Instant) {
        while true {
            let nextNode = nodeEvents.min?.time
            let nextGlobal = globalEvents.min?.time
            if let global = nextGlobal, global <= end, nextNode.map({ global <= $0 }) ?? true {
                let event = globalEvents.removeMin()
                now = event.time
                process(event)
                continue
            }
            guard let start = nextNode, start <= end else { break }
            var windowEnd = min(start + max(lookahead, .nanoseconds(1)), end + .nanoseconds(1))
            if let global = nextGlobal { windowEnd = min(windowEnd, global) }
            now = start
            runWindow(from: start, to: windowEnd)
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
        nodes[node].clock.localNow(at: now)
    }

    // MARK: Engine

    private func index(of id: NodeID) -> Int? {
        indexByID[id]
    }

    /// Schedules `kind` at `time` as the simulation's own event.
    private func schedule(at time: Instant, _ kind: Event.Kind) {
        sequence += 1
        insert(Event(time: time, origin: Event.global, sequence: sequence, kind: kind))
    }

    private func insert(_ event: Event) {
        if event.node == nil { globalEvents.insert(event) } else { nodeEvents.insert(event) }
    }

    /// Runs `body` with a lane over the nodes at the current time (for the simulation's own events, which may make
    /// nodes act), then merges it.
    private func withLane(_ body: (inout Lane) -> Void) {
        let lane = nodes.withUnsafeMutableBufferPointer { buffer in
            var lane = Lane(nodes: buffer.baseAddress!, now: now, windowEnd: now)
            body(&lane)
            return lane
        }
        merge(lane)
    }

    /// Processes the events of the window [start, end) node by node: the nodes with events in it are cut into
    /// chunks that the threads take in turn, each into a lane of its own; the lanes are merged in chunk order.
    private func runWindow(from start: Instant, to end: Instant) {
        if windowEvents.count < nodes.count {
            windowEvents += Array(repeating: [], count: nodes.count - windowEvents.count)
        }
        var active: [Int] = []
        while let next = nodeEvents.min, next.time < end {
            let event = nodeEvents.removeMin()
            let node = event.node!
            if windowEvents[node].isEmpty { active.append(node) }
            windowEvents[node].append(event)
        }
        active.sort()
        // Enough chunks that the threads finish together (one node's event can be a handshake's 0.4 ms of
        // Diffie-Hellman, so even two nodes are worth sharing out); few enough that a chunk is worth its lane.
        let chunkCount = threads == 1 ? 1 : max(1, min(active.count, threads * 8))
        var lanes = [Lane?](repeating: nil, count: chunkCount)
        nodes.withUnsafeMutableBufferPointer { nodeBuffer in
            let nodes = nodeBuffer.baseAddress!
            windowEvents.withUnsafeMutableBufferPointer { eventBuffer in
                let windowEvents = eventBuffer.baseAddress!
                lanes.withUnsafeMutableBufferPointer { laneBuffer in
                    let lanes = laneBuffer.baseAddress!
                    let work = { (chunk: Int) in
                        var lane = Lane(nodes: nodes, now: start, windowEnd: end)
                        let range =
                            (active.count * chunk / chunkCount)..<(active.count * (chunk + 1) / chunkCount)
                        for node in active[range] {
                            lane.current = node
                            lane.queue = windowEvents[node].reversed()
                            windowEvents[node].removeAll(keepingCapacity: true)
                            while let event = lane.queue.popLast() {
                                lane.now = event.time
                                self.process(event, node: node, lane: &lane)
                            }
                        }
                        lane.current = -1
                        lanes[chunk] = lane
                    }
                    if chunkCount > 1, threads > 1 {
                        if pool == nil { pool = WorkerPool(helpers: threads - 1) }
                        pool!.run(chunks: chunkCount, work)
                    } else {
                        for chunk in 0..<chunkCount { work(chunk) }
                    }
                }
            }
        }
        for lane in lanes { merge(lane!) }
    }

    /// Folds a lane's results into the simulation, in the order they came.
    private func merge(_ lane: Lane) {
        for event in lane.scheduled { insert(event) }
        for (reason, count) in lane.drops { drops[reason, default: 0] += count }
        eventsProcessed += lane.eventsProcessed
        datagramsDelivered += lane.delivered
        datagramsDuplicated += lane.duplicated
        for delay in lane.delays { noteDelay(delay) }
        for receipt in lane.receipts { noteReceipt(receipt.key, node: receipt.node, at: receipt.at) }
        now = max(now, lane.now)
    }

    /// One of the simulation's own events: on its own, between windows.
    private func process(_ event: Event) {
        eventsProcessed += 1
        Self.mix(UInt64(bitPattern: event.time.nanosecondsSinceEpoch), into: &globalTrace)
        switch event.kind {
        case .publish(let node):
            Self.mix(UInt64(node) << 8 | 9, into: &globalTrace)
            guard nodes[node].up, nodes[node].pausedUntil == nil else { return }
            let local = tick(node)
            let signal = Signal(
                strategy: "sim", rule: "tick", symbol: SignalTraffic.symbol, timeframe: "-",
                time: local.nanosecondsSinceEpoch / 1_000_000, price: 100, side: .buy, kind: .entry, strength: 1,
                snapshot: [:])
            let (record, effects) = nodes[node].core.publish(signal, now: local)
            if let record {
                // Attackers are not counted: honest nodes owe them nothing (under the publish threshold they are
                // pushed nothing).
                let exempt = nodes.indices.filter { !nodes[$0].up || attackers.contains($0) }
                let expected = nodes.count - exempt.count - (exempt.contains(node) ? 0 : 1)
                let key = SignalKey(issuer: record.issuer, sequence: record.sequence)
                published[key] = Publication(
                    at: now, expected: expected, publisher: node, nodeCount: nodes.count, exempt: exempt)
                if shortestPaths.count < Self.shortestPathSignals {
                    shortestPaths[key] = shortestPathLatencies(from: node)
                }
            }
            withLane { carryOut(effects, from: node, lane: &$0) }
        case .attack(let node):
            Self.mix(UInt64(node) << 8 | 10, into: &globalTrace)
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
            case .eclipse:
                eclipseTick(by: node, now: local)
                return
            }
            var effects: [NodeEffect] = []
            for peer in nodes[node].core.membership.active.map(\.nodeID) {
                for frame in frames {
                    attackFramesSent += 1
                    effects += nodes[node].core.injectGossip(frame, to: peer, now: local)
                }
            }
            withLane { carryOut(effects, from: node, lane: &$0) }
        case .fault(let index):
            Self.mix(UInt64(index) << 8 | 4, into: &globalTrace)
            apply(faults[index].fault)
        case .heal(let partition):
            Self.mix(UInt64(partition) << 8 | 5, into: &globalTrace)
            if partitions[partition] != nil {
                partitions[partition] = nil
                activePartitions -= 1
            }
        case .churn(let index):
            Self.mix(UInt64(index) << 8 | 8, into: &globalTrace)
            churn(index)
        case .start, .timer, .deliver, .resume, .save:
            preconditionFailure("a node's event is processed in a window")
        }
    }

    /// One event of `node`'s, in a window (on any thread: it reads and changes `node` and `lane` alone, and what
    /// the simulation does not change during windows).
    private func process(_ event: Event, node: Int, lane: inout Lane) {
        let nodes = lane.nodes
        lane.eventsProcessed += 1
        Self.mix(UInt64(bitPattern: event.time.nanosecondsSinceEpoch), into: &nodes[node].trace)
        switch event.kind {
        case .start(_, let incarnation):
            Self.mix(UInt64(node) << 8 | 1, into: &nodes[node].trace)
            guard nodes[node].up, nodes[node].incarnation == incarnation else { return }
            nodes[node].startedAt = lane.now
            carryOut(nodes[node].core.start(now: tick(node, lane: lane)), from: node, lane: &lane)
            lane.schedule(at: lane.now + Self.firstSave, .save(node: node, incarnation: incarnation), by: node)
        case .timer(_, let generation):
            guard nodes[node].up, nodes[node].wakeGeneration == generation else { return }
            nodes[node].scheduledWake = nil
            if nodes[node].pausedUntil != nil { return }  // the resume fires what is due
            // The core asked for a later wake since this event was scheduled: move the event, not the core.
            if let requested = nodes[node].requestedWake {
                let due = nodes[node].clock.globalInstant(local: requested, now: lane.now)
                if due > lane.now {
                    scheduleWake(of: node, at: due, lane: &lane)
                    return
                }
            }
            Self.mix(UInt64(node) << 8 | 2, into: &nodes[node].trace)
            // The clock has reached the instant the core asked for: the conversion from global time can fall a
            // nanosecond short under drift, and a core woken a nanosecond early asks again for the same instant, at
            // the same global time, forever.
            var local = tick(node, lane: lane)
            if let requested = nodes[node].requestedWake, requested > local {
                local = requested
                nodes[node].clock.lastLocal = local
            }
            nodes[node].requestedWake = nil
            carryOut(nodes[node].core.timerFired(now: local), from: node, lane: &lane)
        case .deliver(_, let source, let datagram, let sentAt):
            Self.mix(UInt64(node) << 8 | 3, into: &nodes[node].trace)
            guard nodes[node].up else {
                lane.drops["down", default: 0] += 1
                return
            }
            if nodes[node].pausedUntil != nil {
                guard nodes[node].inbox.count < Self.pausedInboxLimit else {
                    lane.drops["paused", default: 0] += 1
                    return
                }
                nodes[node].inbox.append((source, datagram))
                return
            }
            deliver(datagram, from: source, to: node, sentAt: sentAt, lane: &lane)
        case .resume:
            Self.mix(UInt64(node) << 8 | 6, into: &nodes[node].trace)
            guard nodes[node].up, let until = nodes[node].pausedUntil, until <= lane.now else { return }
            nodes[node].pausedUntil = nil
            let inbox = nodes[node].inbox
            nodes[node].inbox = []
            for (source, datagram) in inbox { deliver(datagram, from: source, to: node, sentAt: nil, lane: &lane) }
            if nodes[node].up, let requested = nodes[node].requestedWake {
                scheduleWake(
                    of: node, at: nodes[node].clock.globalInstant(local: requested, now: lane.now), lane: &lane)
            }
        case .save(_, let incarnation):
            guard nodes[node].up, nodes[node].incarnation == incarnation else { return }
            Self.mix(UInt64(node) << 8 | 7, into: &nodes[node].trace)
            if nodes[node].pausedUntil == nil {
                let membership = nodes[node].core.membership
                nodes[node].durable = (membership.knownRecords, membership.bans)
            }
            lane.schedule(at: lane.now + Self.saveInterval, .save(node: node, incarnation: incarnation), by: node)
        case .fault, .heal, .churn, .publish, .attack:
            preconditionFailure("the simulation's own events are processed between windows")
        }
    }

    /// The local time handed to `node`'s core for an input now; remembered, so the clock never runs backwards.
    private func tick(_ node: Int) -> Instant {
        let local = nodes[node].clock.localNow(at: now)
        nodes[node].clock.lastLocal = local
        return local
    }

    /// `tick` in a lane.
    private func tick(_ node: Int, lane: Lane) -> Instant {
        let local = lane.nodes[node].clock.localNow(at: lane.now)
        lane.nodes[node].clock.lastLocal = local
        return local
    }

    private func deliver(
        _ datagram: [UInt8], from source: SocketAddress, to node: Int, sentAt: Instant?, lane: inout Lane
    ) {
        Self.mix(bytes: datagram, into: &lane.nodes[node].trace)
        lane.delivered += 1
        if let sentAt { lane.delays.append(lane.now - sentAt) }
        let local = tick(node, lane: lane)
        carryOut(lane.nodes[node].core.receive(datagram, from: source, now: local), from: node, lane: &lane)
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

    /// A signal record handed to `node`'s subscribers at `time`: counted once per node, its latency sampled.
    private func noteReceipt(_ key: SignalKey, node: Int, at time: Instant) {
        guard !attackers.contains(node) else { return }
        guard deliveredTo.insert(SignalDelivery(key: key, node: node)).inserted else {
            repeatedDeliveries += 1
            return
        }
        signalDeliveries += 1
        guard let sent = published[key] else { return }
        latenciesSeen += 1
        if let slot = reservoirSlot(seen: latenciesSeen, held: signalLatencySample.count) {
            if slot == signalLatencySample.count {
                signalLatencySample.append(time - sent.at)
            } else {
                signalLatencySample[slot] = time - sent.at
            }
        }
        if let shortest = shortestPaths[key]?[node], shortest < .seconds(3600) {
            pathsSeen += 1
            if let slot = reservoirSlot(seen: pathsSeen, held: pathSample.count) {
                if slot == pathSample.count {
                    pathSample.append((time - sent.at, shortest))
                } else {
                    pathSample[slot] = (time - sent.at, shortest)
                }
            }
        }
    }

    // MARK: Applying faults

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
                nodes[node].clock.lastLocal = current
                nodes[node].clock.offset = current - now + offset
                nodes[node].clock.drift = drift
                nodes[node].clock.driftSince = now
                if nodes[node].up, nodes[node].pausedUntil == nil, let requested = nodes[node].requestedWake {
                    let due = nodes[node].clock.globalInstant(local: requested, now: now)
                    withLane { scheduleWake(of: node, at: due, lane: &$0) }
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

    private func carryOut(_ effects: [NodeEffect], from node: Int, lane: inout Lane) {
        for effect in effects {
            switch effect {
            case .send(let datagram, let address):
                send(datagram, to: address, from: node, lane: &lane)
            case .wake(let at):
                // Only an earlier wake needs a new event; a later one moves the scheduled event when it comes up.
                // Most wakes a core asks for are later than the last (a deadline pushed back by traffic), and each
                // used to leave a stale event behind in the heap.
                lane.nodes[node].requestedWake = at
                let due = lane.nodes[node].clock.globalInstant(local: at, now: lane.now)
                if lane.nodes[node].pausedUntil == nil, lane.nodes[node].scheduledWake.map({ due < $0 }) ?? true {
                    scheduleWake(of: node, at: due, lane: &lane)
                }
            case .event(.signalReceived(let record, _)):
                lane.receipts.append(
                    (node, SignalKey(issuer: record.issuer, sequence: record.sequence), lane.now))
            case .event:
                break
            }
        }
    }

    private func send(_ datagram: [UInt8], to address: SocketAddress, from node: Int, lane: inout Lane) {
        let nodes = lane.nodes
        let now = lane.now
        nodes[node].bytesSent += datagram.count
        nodes[node].datagramsSent += 1
        guard let target = indexByAddress[address] else {
            lane.drops["unknown address", default: 0] += 1
            return
        }
        guard datagram.count <= network.mtu else {
            lane.drops["mtu", default: 0] += 1
            return
        }
        if activePartitions > 0 {
            for case let (partition, sets)? in partitions where partition.cuts(from: node, to: target, sets: sets) {
                lane.drops["partition", default: 0] += 1
                return
            }
        }
        // The uplink: the datagram leaves once those queued before it have.
        var departure = now
        if let bandwidth = network.bandwidth {
            let start = max(now, nodes[node].uplinkFreeAt)
            let queued = Double((start - now).nanoseconds) * Double(bandwidth) / 1e9
            guard queued + Double(datagram.count) <= Double(network.queueLimit) else {
                lane.drops["queue", default: 0] += 1
                return
            }
            departure = start + .nanoseconds(Int64(Double(datagram.count) * 1e9 / Double(bandwidth)))
            nodes[node].uplinkFreeAt = departure
        }
        if network.loss > 0, nodes[node].random.unit() < network.loss {
            lane.drops["loss", default: 0] += 1
            return
        }
        let source = nodes[node].address
        let delay = network.delay(from: node, to: target, using: &nodes[node].random)
        lane.schedule(
            at: departure + delay, .deliver(to: target, from: source, datagram: datagram, sentAt: now), by: node)
        if network.duplication > 0, nodes[node].random.unit() < network.duplication {
            lane.duplicated += 1
            let delay = network.delay(from: node, to: target, using: &nodes[node].random)
            lane.schedule(
                at: departure + delay, .deliver(to: target, from: source, datagram: datagram, sentAt: now), by: node)
        }
    }

    /// Puts a timer event for `node` at `time` in the heap, making any earlier one stale. A wake asked for a moment
    /// already past (a deadline that came due while the core had no input) is for now: the clock never goes back.
    private func scheduleWake(of node: Int, at time: Instant, lane: inout Lane) {
        let time = max(time, lane.now)
        lane.nodes[node].wakeGeneration += 1
        lane.nodes[node].scheduledWake = time
        lane.schedule(at: time, .timer(node: node, generation: lane.nodes[node].wakeGeneration), by: node)
    }

    /// Folds `bytes` into `hash` eight at a time (a multiply and a rotation per word: byte-by-byte FNV over every
    /// datagram was 3% of a run), then their count.
    private static func mix(bytes: [UInt8], into hash: inout UInt64) {
        var value = hash
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset + 8 <= raw.count {
                let word = raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                let product = (value ^ word) &* 0x9E37_79B9_7F4A_7C15
                value = product << 29 | product >> 35
                offset += 8
            }
            while offset < raw.count {
                value = (value ^ UInt64(raw[offset])) &* 0x100_0000_01b3
                offset += 1
            }
        }
        hash = value
        mix(UInt64(bytes.count), into: &hash)
    }

    /// Folds `value` into `hash` (FNV-1a, 64 bits).
    private static func mix(_ value: UInt64, into hash: inout UInt64) {
        var result = hash
        var rest = value
        repeat {
            result = (result ^ (rest & 0xFF)) &* 0x100_0000_01b3
            rest >>= 8
        } while rest != 0
        hash = result
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
        for (index, node) in nodes.enumerated() where !attackers.contains(index) && node.up {
            for peer in node.core.membership.active {
                guard let other = self.index(of: peer.nodeID), node.core.gossip.score(of: peer.nodeID) != nil
                else { continue }
                let isGraylisted = node.core.gossip.isGraylisted(peer.nodeID)
                if attackers.contains(other) {
                    links += 1
                    if isGraylisted { graylisted += 1 }
                } else if isGraylisted {
                    honestGraylisted += 1
                }
            }
        }
        return (attackers.count, links, graylisted, attackFramesSent, honestGraylisted)
    }

    /// The records some node owed them never received, oldest publication first (then by publisher and
    /// sequence): when each was published (virtual seconds from the start), by which node, and the nodes that
    /// missed it (ascending); at most `limit` records, each listing at most `nodesLimit` nodes, with the totals.
    public func undeliveredSignals(
        limit: Int, nodesLimit: Int = 20
    ) -> (
        records: Int, deliveries: Int,
        sample: [(publishedAt: Duration, publisher: Int, sequence: UInt64, missed: Int, nodes: [Int])]
    ) {
        var short: [(key: SignalKey, publication: Publication, missing: [Int])] = []
        for (key, publication) in published {
            let missing = nodesMissing(key, publication)
            if !missing.isEmpty { short.append((key, publication, missing)) }
        }
        short.sort {
            ($0.publication.at, $0.publication.publisher, $0.key.sequence)
                < ($1.publication.at, $1.publication.publisher, $1.key.sequence)
        }
        let sample = short.prefix(max(0, limit)).map { entry in
            (
                publishedAt: entry.publication.at - startedAt, publisher: entry.publication.publisher,
                sequence: entry.key.sequence, missed: entry.missing.count,
                nodes: Array(entry.missing.prefix(max(0, nodesLimit)))
            )
        }
        return (short.count, short.reduce(0) { $0 + $1.missing.count }, sample)
    }

    /// The nodes owed `key` (`Publication`) that have not received it, ascending.
    private func nodesMissing(_ key: SignalKey, _ publication: Publication) -> [Int] {
        let exempt = Set(publication.exempt)
        return (0..<publication.nodeCount).filter { node in
            node != publication.publisher && !exempt.contains(node)
                && !deliveredTo.contains(SignalDelivery(key: key, node: node))
        }
    }

    /// What an eclipse attempt (`AttackTraffic.Kind.eclipse`) left: the honest nodes the sybils aimed at, those of
    /// the live honest nodes (seeds aside) with no honest neighbour, the share of sybils in the targets' active views
    /// (mean and largest), the fewest honest neighbours any of those live honest nodes has, and how many pieces the
    /// links between live honest nodes form.
    public var eclipseFigures:
        (
            targets: Int, eclipsed: [Int], meanSybilShare: Double, maxSybilShare: Double, fewestHonestNeighbours: Int,
            honestComponents: Int
        )
    {
        var eclipsed: [Int] = []
        var shares: [Double] = []
        var fewest = Int.max
        var parent = Array(nodes.indices)
        func root(_ node: Int) -> Int {
            var node = node
            while parent[node] != node {
                parent[node] = parent[parent[node]]
                node = parent[node]
            }
            return node
        }
        let honest = nodes.indices.filter { nodes[$0].up && !attackers.contains($0) }
        for node in honest {
            let neighbours = neighbours(of: node).filter { nodes[$0].up }
            let honestNeighbours = neighbours.filter { !attackers.contains($0) }
            for other in honestNeighbours { parent[root(other)] = root(node) }
            if !nodes[node].isSeed {
                if honestNeighbours.isEmpty { eclipsed.append(node) }
                fewest = min(fewest, honestNeighbours.count)
            }
            if eclipseTargets.contains(node) {
                shares.append(
                    neighbours.isEmpty
                        ? 1 : Double(neighbours.count - honestNeighbours.count) / Double(neighbours.count))
            }
        }
        let components = Set(honest.map(root)).count
        return (
            eclipseTargets.count, eclipsed, shares.isEmpty ? 0 : shares.reduce(0, +) / Double(shares.count),
            shares.max() ?? 0, fewest == .max ? 0 : fewest, components
        )
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
