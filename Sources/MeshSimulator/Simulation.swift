import HeapModule
public import MeshCore
import MeshCrypto
public import MeshMembership
public import MeshNode
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
/// This first slice (issue 5) has nodes, seeds, latency, loss and duplication, crashes, and convergence checks;
/// partitions, clock faults, restarts with durable state and reports follow.
public final class Simulation {
    /// One simulated node.
    public struct Node {
        /// The node's core.
        public fileprivate(set) var core: NodeCore
        /// Its address on the simulated network.
        public let address: SocketAddress
        /// False once crashed: it receives nothing and its timers do not fire.
        public fileprivate(set) var up = true
        fileprivate var wakeGeneration: UInt64 = 0
        /// The instant the core last asked to be woken at (its latest `wake` replaces earlier ones).
        fileprivate var requestedWake: Instant?
        /// The time of the timer event in the heap for this node, if one is (of generation `wakeGeneration`).
        fileprivate var scheduledWake: Instant?
    }

    private struct Event: Comparable {
        enum Kind {
            case start(node: Int)
            case timer(node: Int, generation: UInt64)
            case deliver(to: Int, from: SocketAddress, datagram: [UInt8])
        }
        var time: Instant
        var sequence: UInt64
        var kind: Kind

        static func < (lhs: Event, rhs: Event) -> Bool { (lhs.time, lhs.sequence) < (rhs.time, rhs.sequence) }
        static func == (lhs: Event, rhs: Event) -> Bool { lhs.time == rhs.time && lhs.sequence == rhs.sequence }
    }

    /// The seed the run was made from.
    public let seed: UInt64
    /// The network model.
    public let network: NetworkModel
    /// The nodes; the first `seedCount` are the seeds.
    public private(set) var nodes: [Node] = []
    /// How many of the nodes are seeds.
    public let seedCount: Int
    /// The virtual time.
    public private(set) var now: Instant
    /// The virtual time the simulation was made at.
    public let startedAt: Instant
    /// Events processed so far.
    public private(set) var eventsProcessed = 0
    /// Datagrams delivered, lost and duplicated so far.
    public private(set) var datagramsDelivered = 0
    /// Datagrams the network model dropped.
    public private(set) var datagramsLost = 0
    /// Datagrams the network model delivered twice.
    public private(set) var datagramsDuplicated = 0
    /// FNV-1a over every event processed (its time, node, kind and bytes): equal for equal runs.
    public private(set) var traceHash: UInt64 = 0xcbf2_9ce4_8422_2325

    private var generator: Xoshiro256StarStar
    private var events = Heap<Event>()
    private var sequence: UInt64 = 0
    private var indexByAddress: [SocketAddress: Int] = [:]

    /// `nodeCount` nodes, the first `seedCount` of them seeds (seed profile) that every node joins through, on
    /// `network`, starting at `start`. Call `start()` to let them join.
    public init(
        seed: UInt64, nodes nodeCount: Int, seeds seedCount: Int, network: NetworkModel = NetworkModel(),
        start: Instant = Instant(nanosecondsSinceEpoch: 1_800_000_000_000_000_000),
        membership: MembershipSettings = MembershipSettings()
    ) {
        precondition(nodeCount >= 1 && (1...nodeCount).contains(seedCount), "at least one node, 1 to nodeCount seeds")
        precondition(nodeCount <= 1 << 24, "addresses run out past 2^24 nodes")
        self.seed = seed
        self.network = network
        self.seedCount = seedCount
        now = start
        startedAt = start
        generator = Xoshiro256StarStar(seed: seed)
        var keys: [Ed25519PrivateKey] = []
        for _ in 0..<nodeCount {
            var bytes = [UInt8](repeating: 0, count: 32)
            for chunk in 0..<4 {
                let word = generator.next()
                for byte in 0..<8 { bytes[chunk * 8 + byte] = UInt8(truncatingIfNeeded: word >> (8 * byte)) }
            }
            // 32 bytes are always a valid Ed25519 seed.
            keys.append(try! Ed25519PrivateKey(seed: bytes))
        }
        let addresses = (0..<nodeCount).map { SocketAddress.ipv4(0x0A00_0000 + UInt32($0), port: 9000) }
        let seedContacts = (0..<seedCount).map {
            PeerContact(
                seed: SeedList.Seed(
                    peerID: keys[$0].nodeID, addresses: [addresses[$0]], operatorName: "sim", contact: ""))
        }
        for index in 0..<nodeCount {
            let isSeed = index < seedCount
            let endpoint = Endpoint(
                identity: keys[index], settings: EndpointSettings(network: "sim"),
                random: SeededRandomBytes(seed: generator.next()), seed: generator.next(), now: start)
            let record = PeerRecord(
                key: keys[index], seq: 1, issuedAt: start, roles: isSeed ? [.seed] : [], addresses: [addresses[index]])
            var settings = membership
            if isSeed {
                settings.activeViewSize = MembershipSettings.seed.activeViewSize
                settings.passiveViewSize = MembershipSettings.seed.passiveViewSize
            }
            let core = Membership(
                selfRecord: record, seeds: seedContacts, settings: settings, seed: generator.next(), now: start)
            nodes.append(
                Node(
                    core: NodeCore(
                        endpoint: endpoint, membership: core, exchangeLimit: isSeed ? NodeCore.seedExchangeLimit : nil),
                    address: addresses[index]))
            indexByAddress[addresses[index]] = index
        }
    }

    /// Starts every node at a random instant within the next second: seeds first, then the rest.
    public func start() {
        for index in nodes.indices {
            let phase = Duration.nanoseconds(Int64(generator.next() % 1_000_000_000))
            schedule(at: now + phase, .start(node: index))
        }
    }

    /// Crashes `node`: it stops receiving and its timers stop, as if the process died.
    public func crash(_ node: Int) {
        nodes[node].up = false
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
        nodes[node].core.membership.active.compactMap { contact in
            contact.addresses.first.flatMap { indexByAddress[$0] } ?? index(of: contact.nodeID)
        }
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
        /// Live nodes with fewer live neighbours than the minimum asked for.
        public var belowMinimum: Int
        /// Connected components of the graph of live nodes and their active links (a link counts when either end
        /// lists the other).
        public var components: Int
        /// Nodes in the largest component.
        public var largestComponent: Int
        /// Mean number of live neighbours per live node.
        public var meanDegree: Double
    }

    /// The overlay now: components, nodes short of `minimum` neighbours (by default the membership low watermark,
    /// or every other node in a small network), mean degree.
    public func overlay(minimum: Int? = nil) -> OverlaySnapshot {
        let live = nodes.indices.filter { nodes[$0].up }
        let needed = minimum ?? min(MembershipSettings().lowWatermark, max(live.count - 1, 0))
        var adjacency = [[Int]](repeating: [], count: nodes.count)
        var belowMinimum = 0
        var degrees = 0
        for node in live {
            let peers = neighbours(of: node).filter { nodes[$0].up }
            if peers.count < needed { belowMinimum += 1 }
            degrees += peers.count
            for peer in peers {
                adjacency[node].append(peer)
                adjacency[peer].append(node)
            }
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

    /// Noise handshakes completed across all nodes (each counted once, on its initiator's side).
    public var handshakesCompleted: Int { nodes.reduce(0) { $0 + $1.core.endpoint.counters.handshakesCompleted } }

    /// Runs a scenario twice with the same seed and reports whether the traces are equal (`scenario` builds, starts
    /// and runs a simulation and returns it).
    public static func checkDeterminism(_ scenario: () -> Simulation) -> (equal: Bool, first: UInt64, second: UInt64) {
        let first = scenario().traceHash
        let second = scenario().traceHash
        return (first == second, first, second)
    }

    // MARK: Engine

    private func index(of id: NodeID) -> Int? {
        nodes.indices.first { nodes[$0].core.nodeID == id }
    }

    private func schedule(at time: Instant, _ kind: Event.Kind) {
        sequence += 1
        events.insert(Event(time: time, sequence: sequence, kind: kind))
    }

    private func process(_ event: Event) {
        eventsProcessed += 1
        mix(UInt64(bitPattern: event.time.nanosecondsSinceEpoch))
        switch event.kind {
        case .start(let node):
            mix(UInt64(node) << 8 | 1)
            guard nodes[node].up else { return }
            carryOut(nodes[node].core.start(now: now), from: node)
        case .timer(let node, let generation):
            guard nodes[node].up, nodes[node].wakeGeneration == generation else { return }
            nodes[node].scheduledWake = nil
            // The core asked for a later wake since this event was scheduled: move the event, not the core.
            if let requested = nodes[node].requestedWake, requested > now {
                scheduleWake(of: node, at: requested)
                return
            }
            mix(UInt64(node) << 8 | 2)
            nodes[node].requestedWake = nil
            carryOut(nodes[node].core.timerFired(now: now), from: node)
        case .deliver(let node, let source, let datagram):
            mix(UInt64(node) << 8 | 3)
            guard nodes[node].up else { return }
            for byte in datagram { mix(UInt64(byte)) }
            datagramsDelivered += 1
            carryOut(nodes[node].core.receive(datagram, from: source, now: now), from: node)
        }
    }

    private func carryOut(_ effects: [NodeEffect], from node: Int) {
        for effect in effects {
            switch effect {
            case .send(let datagram, let address):
                guard let target = indexByAddress[address] else { continue }
                if network.loss > 0, generator.unit() < network.loss {
                    datagramsLost += 1
                    continue
                }
                schedule(
                    at: now + network.delay(using: &generator),
                    .deliver(to: target, from: nodes[node].address, datagram: datagram))
                if network.duplication > 0, generator.unit() < network.duplication {
                    datagramsDuplicated += 1
                    schedule(
                        at: now + network.delay(using: &generator),
                        .deliver(to: target, from: nodes[node].address, datagram: datagram))
                }
            case .wake(let at):
                // Only an earlier wake needs a new event; a later one moves the scheduled event when it comes up.
                // Most wakes a core asks for are later than the last (a deadline pushed back by traffic), and each
                // used to leave a stale event behind in the heap.
                let at = max(at, now)
                nodes[node].requestedWake = at
                if nodes[node].scheduledWake.map({ at < $0 }) ?? true { scheduleWake(of: node, at: at) }
            case .event:
                break
            }
        }
    }

    /// Puts a timer event for `node` at `time` in the heap, making any earlier one stale.
    private func scheduleWake(of node: Int, at time: Instant) {
        nodes[node].wakeGeneration += 1
        nodes[node].scheduledWake = time
        schedule(at: time, .timer(node: node, generation: nodes[node].wakeGeneration))
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
