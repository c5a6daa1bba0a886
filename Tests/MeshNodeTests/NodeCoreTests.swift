import MeshCore
import MeshCrypto
import MeshGossip
import MeshIndicators
import MeshMembership
import MeshSignals
import MeshTransport
import Testing

@testable import MeshNode

/// Node cores joined by an in-memory UDP network with a fixed latency and virtual time: real handshakes, real
/// encrypted sessions, real membership messages.
struct NodeNetwork {
    struct Node {
        var core: NodeCore
        let address: SocketAddress
        var wake: Instant?
        var up = true
        var events: [NodeEvent] = []
    }

    var nodes: [Node] = []
    var now = Instant(nanosecondsSinceEpoch: 1_795_219_200_000_000_000)
    var latency = Duration.milliseconds(5)
    /// Nodes whose datagrams are lost (they receive, but nothing they send arrives: no acknowledgments either).
    var muted: Set<Int> = []
    private var inFlight: [(at: Instant, sequence: Int, to: Int, from: SocketAddress, bytes: [UInt8])] = []
    private var sequence = 0
    private var indexByAddress: [SocketAddress: Int] = [:]

    /// `sharedHost`: every node on one IP address (ports differ), as behind a NAT; `exchangeLimit`: the seeds'
    /// per-IP limit on peer-exchange requests.
    /// `subscriptions`: symbols every node receives signals of (each signs its own with its key); `engines`: the
    /// strategies of some nodes.
    init(
        count: Int, seedCount: Int, sharedHost: Bool = false, exchangeLimit: SourceRateLimiter.Settings? = nil,
        subscriptions: [String] = [], engines: [Int: SignalEngine] = [:]
    ) {
        let keys = (0..<count).map { index in
            try! Ed25519PrivateKey(seed: (0..<32).map { UInt8(truncatingIfNeeded: (index &* 31) >> ($0 % 3)) ^ 0xA5 })
        }
        let addresses = (0..<count).map {
            sharedHost
                ? SocketAddress.ipv4(0x0A00_0100, port: 9000 + UInt16($0))
                : SocketAddress.ipv4(0x0A00_0100 + UInt32($0), port: 9000)
        }
        let seeds = (0..<seedCount).map {
            PeerContact(
                seed: SeedList.Seed(
                    peerID: keys[$0].nodeID, addresses: [addresses[$0]], operatorName: "test", contact: ""))
        }
        for index in 0..<count {
            let endpoint = Endpoint(
                identity: keys[index], settings: EndpointSettings(network: "test"),
                random: SeededRandomBytes(seed: UInt64(index) + 1), seed: UInt64(index) + 100, now: now)
            let record = PeerRecord(key: keys[index], seq: 1, issuedAt: now, addresses: [addresses[index]])
            let membership = Membership(
                selfRecord: record, seeds: seeds, settings: index < seedCount ? .seed : MembershipSettings(),
                seed: UInt64(index) + 1000, now: now)
            let core = NodeCore(
                endpoint: endpoint, membership: membership, exchangeLimit: index < seedCount ? exchangeLimit : nil,
                signals: engines[index] ?? (try! SignalEngine()),
                signingKey: subscriptions.isEmpty && engines.isEmpty ? nil : keys[index], subscriptions: subscriptions,
                now: now)
            nodes.append(Node(core: core, address: addresses[index]))
            indexByAddress[addresses[index]] = index
        }
    }

    func id(_ index: Int) -> NodeID { nodes[index].core.nodeID }

    mutating func start(_ indices: some Sequence<Int>) {
        for index in indices { apply(nodes[index].core.start(now: now), at: index) }
    }

    mutating func crash(_ index: Int) { nodes[index].up = false }

    /// A bar of `symbol`'s feed for node `index`.
    mutating func feed(_ index: Int, symbol: String, bar: TimeBar, timeframe: Timeframe?) {
        apply(nodes[index].core.feed(symbol: symbol, bar: bar, timeframe: timeframe, now: now), at: index)
    }

    /// Publishes `signal` from node `index` (`signals.publish`).
    mutating func publish(_ index: Int, _ signal: Signal) {
        apply(nodes[index].core.publish(signal, now: now).effects, at: index)
    }

    mutating func ban(_ peer: Int, at index: Int, for duration: Duration) {
        apply(nodes[index].core.ban(id(peer), until: now + duration, now: now), at: index)
    }

    /// Runs virtual time for `duration`: datagrams arrive after `latency`, timers fire when due.
    mutating func run(for duration: Duration) {
        let end = now + duration
        while true {
            // In flight: sorted by arrival (all have the same latency, so appending keeps the order).
            let nextDatagram = inFlight.first
            var nextTimer: (Int, Instant)?
            for index in nodes.indices where nodes[index].up {
                if let at = nodes[index].wake, nextTimer.map({ at < $0.1 }) ?? true { nextTimer = (index, at) }
            }
            let datagramAt = nextDatagram?.at
            let timerAt = nextTimer?.1
            guard let next = [datagramAt, timerAt].compactMap({ $0 }).min(), next <= end else { break }
            // A wake asked for a moment already past (a core's deadline that came due while it had no input) fires
            // now: virtual time never goes back.
            now = max(now, next)
            if let datagram = nextDatagram, datagram.at == next {
                inFlight.removeFirst()
                guard nodes[datagram.to].up else { continue }
                apply(nodes[datagram.to].core.receive(datagram.bytes, from: datagram.from, now: now), at: datagram.to)
            } else if let (index, _) = nextTimer {
                nodes[index].wake = nil
                apply(nodes[index].core.timerFired(now: now), at: index)
            }
        }
        now = end
    }

    private mutating func apply(_ effects: [NodeEffect], at index: Int) {
        for effect in effects {
            switch effect {
            case .send(let datagram, let address):
                guard let target = indexByAddress[address], !muted.contains(index) else { continue }
                sequence += 1
                inFlight.append((now + latency, sequence, target, nodes[index].address, datagram))
            case .wake(let at):
                nodes[index].wake = at
            case .event(let event):
                nodes[index].events.append(event)
            }
        }
    }

    func activeNeighbours(_ index: Int) -> [Int] {
        nodes[index].core.membership.active.compactMap { contact in
            nodes.indices.first { nodes[$0].core.nodeID == contact.nodeID }
        }
    }

    func isConnected(_ indices: [Int]) -> Bool {
        guard let first = indices.first else { return true }
        let members = Set(indices)
        var seen: Set<Int> = [first]
        var frontier = [first]
        while let next = frontier.popLast() {
            let linked = activeNeighbours(next) + indices.filter { activeNeighbours($0).contains(next) }
            for other in linked where members.contains(other) && !seen.contains(other) {
                seen.insert(other)
                frontier.append(other)
            }
        }
        return seen.count == members.count
    }
}

@Suite("Node core: membership over the encrypted transport")
struct NodeCoreTests {
    @Test("30 nodes join through 2 seeds over real handshakes and form one overlay with symmetric sessions")
    func joinOverTransport() {
        var network = NodeNetwork(count: 30, seedCount: 2)
        network.start(0..<30)
        network.run(for: .seconds(60))
        #expect(network.isConnected(Array(0..<30)))
        for index in 2..<30 {
            let neighbours = network.activeNeighbours(index)
            #expect(neighbours.count >= MembershipSettings().lowWatermark, "node \(index): \(neighbours)")
            for other in neighbours {
                #expect(network.activeNeighbours(other).contains(index), "\(index) -> \(other) is one-sided")
                #expect(network.nodes[index].core.endpoint.isConnected(to: network.id(other)))
            }
            #expect(!network.nodes[index].events.contains { if case .malformedMessage = $0 { true } else { false } })
        }
    }

    @Test("a seed limits peer-exchange requests per IP: a crowd behind one address is slowed, then all join")
    func seedExchangeLimitPerAddress() {
        var limit = SourceRateLimiter.Settings()
        limit.rate = 1
        limit.burst = 3
        var network = NodeNetwork(count: 10, seedCount: 1, sharedHost: true, exchangeLimit: limit)
        network.start(0..<10)
        network.run(for: .seconds(2))
        // Nine JOINs from one address within moments (the transport's own per-IP handshake limit spreads them a
        // little): three pass at once, later ones beyond the refill rate are refused and counted.
        #expect(network.nodes[0].core.exchangeRequestsLimited >= 1)
        // The refused ones try again on their refill timer, as tokens come back, and all get in.
        network.run(for: .seconds(60))
        #expect(network.isConnected(Array(0..<10)))
        for index in 1..<10 { #expect(!network.activeNeighbours(index).isEmpty, "node \(index) has no neighbour") }

        // Nodes on distinct addresses never meet the limit.
        var spread = NodeNetwork(count: 10, seedCount: 1, exchangeLimit: limit)
        spread.start(0..<10)
        spread.run(for: .seconds(1))
        #expect(spread.nodes[0].core.exchangeRequestsLimited == 0)
    }

    @Test("a crashed node's neighbours notice by probes over the transport and replace it")
    func crashIsRepaired() {
        var network = NodeNetwork(count: 20, seedCount: 2)
        network.start(0..<20)
        network.run(for: .seconds(60))
        let victim = 7
        let hadIt = (0..<20).filter { network.activeNeighbours($0).contains(victim) }
        #expect(!hadIt.isEmpty)
        network.crash(victim)
        // Probes over the transport find it within the probe round, the indirect probes and the suspicion timeout.
        network.run(for: .seconds(30))
        let living = (0..<20).filter { $0 != victim }
        #expect(network.isConnected(living))
        for index in hadIt {
            #expect(!network.activeNeighbours(index).contains(victim), "node \(index) still lists the crashed node")
            #expect(network.nodes[index].events.contains(.neighborDown(network.id(victim))))
        }
    }

    @Test("a banned neighbour's session is closed and stays closed")
    func banClosesTheSession() {
        var network = NodeNetwork(count: 12, seedCount: 2)
        network.start(0..<12)
        network.run(for: .seconds(30))
        let judge = 5
        guard let banned = network.activeNeighbours(judge).first(where: { $0 >= 2 }) else {
            Issue.record("node \(judge) has no ordinary neighbour")
            return
        }
        network.ban(banned, at: judge, for: .seconds(3600))
        network.run(for: .seconds(60))
        #expect(!network.activeNeighbours(judge).contains(banned))
        let stillConnected = network.nodes[judge].core.endpoint.isConnected(to: network.id(banned))
        #expect(!stillConnected)
        #expect(network.isConnected((0..<12).filter { $0 != banned }))
    }
}
