import HeapModule
import MeshCore

@testable import MeshGossip

/// Gossip routers joined by an in-memory network: each node has `degree` neighbours drawn at random (as a HyParView
/// active view would give), links have a latency of 20 to 150 ms and may lose datagrams; virtual time. Deterministic
/// for a seed.
struct GossipNetwork {
    var routers: [GossipRouter] = []
    var links: [Set<Int>]
    var latency: [[Int: Duration]]
    var now = Instant(nanosecondsSinceEpoch: 1_795_219_200_000_000_000)
    var loss: Double
    var random: Xoshiro256StarStar
    /// Datagrams in flight: when, to whom, from whom, what (in order of arrival, then of sending).
    private var inFlight = Heap<Datagram>()
    private var sent = 0

    private struct Datagram: Comparable {
        var at: Instant
        var serial: Int
        var to: Int
        var from: Int
        var bytes: [UInt8]
        static func < (a: Datagram, b: Datagram) -> Bool { (a.at, a.serial) < (b.at, b.serial) }
        static func == (a: Datagram, b: Datagram) -> Bool { a.at == b.at && a.serial == b.serial }
    }
    /// What each node delivered, by message id, with when.
    var delivered: [[MessageID: Instant]]
    /// Nodes whose messages every validator rejects.
    var liars: Set<Int> = []
    var indexOf: [NodeID: Int] = [:]

    init(nodes: Int, degree: Int, loss: Double = 0, seed: UInt64, settings: GossipRouter.Settings = .init()) {
        random = Xoshiro256StarStar(seed: seed)
        self.loss = loss
        links = Array(repeating: [], count: nodes)
        latency = Array(repeating: [:], count: nodes)
        delivered = Array(repeating: [:], count: nodes)
        // A ring first (so the graph is connected), then random links up to the degree.
        for index in 0..<nodes { connect(index, (index + 1) % nodes) }
        var attempts = 0
        while links.contains(where: { $0.count < degree }) && attempts < nodes * degree * 20 {
            attempts += 1
            let a = Int(random.next() % UInt64(nodes))
            let b = Int(random.next() % UInt64(nodes))
            guard a != b, links[a].count < degree, links[b].count < degree else { continue }
            connect(a, b)
        }
        for index in 0..<nodes {
            var bytes = [UInt8](repeating: 0, count: 32)
            bytes[0] = UInt8(index & 0xFF)
            bytes[1] = UInt8(index >> 8)
            let id = NodeID(publicKey: Bytes32(bytes)!)
            indexOf[id] = index
            routers.append(GossipRouter(nodeID: id, settings: settings, now: now))
        }
        for index in 0..<nodes {
            for peer in links[index].sorted() { send(routers[index].neighbourUp(routers[peer].nodeID), from: index) }
        }
    }

    private mutating func connect(_ a: Int, _ b: Int) {
        guard links[a].insert(b).inserted else { return }
        links[b].insert(a)
        let delay = Duration.milliseconds(20 + Int(random.next() % 131))
        latency[a][b] = delay
        latency[b][a] = delay
    }

    func id(_ index: Int) -> NodeID { routers[index].nodeID }

    mutating func subscribeAll(_ topic: Topic, except: Set<Int> = []) {
        for index in routers.indices where !except.contains(index) {
            send(routers[index].subscribe(topic), from: index)
        }
    }

    /// Publishes `payload` from `node`; its id.
    @discardableResult
    mutating func publish(_ payload: [UInt8], on topic: Topic, from node: Int) -> MessageID? {
        let (id, effects) = routers[node].publish(payload, on: topic, now: now)
        if let id { delivered[node][id] = now }
        send(effects, from: node)
        return id
    }

    mutating func send(_ effects: [GossipEffect], from node: Int) {
        for effect in effects {
            switch effect {
            case .send(let frame, let peer):
                guard let target = indexOf[peer], let delay = latency[node][target] else { continue }
                if loss > 0 && Double(random.next() >> 11) / Double(1 << 53) < loss { continue }
                sent += 1
                inFlight.insert(Datagram(at: now + delay, serial: sent, to: target, from: node, bytes: frame))
            case .deliver(let message):
                if delivered[node][message.id] == nil { delivered[node][message.id] = now }
            case .sendReliably(let frame, let peer):
                // Reliable: never lost (the transport resends), in order on each link.
                guard let target = indexOf[peer], let delay = latency[node][target] else { continue }
                sent += 1
                inFlight.insert(Datagram(at: now + delay, serial: sent, to: target, from: node, bytes: frame))
            case .penalized:
                break
            }
        }
    }

    /// Runs until `time` has passed.
    mutating func run(for time: Duration) {
        let end = now + time
        while true {
            let far = Instant(nanosecondsSinceEpoch: .max)
            let nextTimer = routers.indices.min {
                (routers[$0].nextDeadline ?? far) < (routers[$1].nextDeadline ?? far)
            }!
            let timerAt = routers[nextTimer].nextDeadline ?? far
            let datagramAt = inFlight.min?.at
            let at = min(datagramAt ?? timerAt, timerAt)
            guard at <= end else { break }
            now = max(now, at)
            if datagramAt == at {
                let datagram = inFlight.removeMin()
                let liars = self.liars
                let indexOf = self.indexOf
                let effects = routers[datagram.to].receive(
                    datagram.bytes, from: id(datagram.from), now: now,
                    validate: { message in
                        // A liar's own messages are invalid wherever they go (their payload names the liar).
                        guard let origin = message.payload.first, liars.contains(Int(origin)) else { return .accept }
                        _ = indexOf
                        return .reject(reason: "bad signature")
                    })
                send(effects, from: datagram.to)
            } else {
                send(routers[nextTimer].timerFired(now: now), from: nextTimer)
            }
        }
        now = end
    }

    /// Copies received beyond the first, per node per message, over all routers.
    var duplicatesPerNodePerMessage: Double {
        let duplicates = routers.reduce(0) { $0 + $1.counters.duplicates }
        let messages = Set(delivered.flatMap(\.keys)).count
        return Double(duplicates) / Double(max(1, messages * routers.count))
    }
}

extension GossipNetwork {
    /// The shortest-path latency from `source` to every node over the links (Dijkstra).
    func shortestPaths(from source: Int) -> [Duration] {
        var best = [Duration](repeating: Duration(nanoseconds: .max), count: routers.count)
        var done = [Bool](repeating: false, count: routers.count)
        best[source] = .zero
        for _ in routers.indices {
            guard let next = routers.indices.filter({ !done[$0] }).min(by: { best[$0] < best[$1] }) else { break }
            done[next] = true
            for (peer, delay) in latency[next] where best[next] + delay < best[peer] { best[peer] = best[next] + delay }
        }
        return best
    }

    /// Each delivery's latency divided by the shortest-path latency from its publisher, for `messages` published at
    /// `published` by `publishers`.
    func latencyRatios(_ messages: [(id: MessageID, publisher: Int, at: Instant)]) -> [Double] {
        var ratios: [Double] = []
        var paths: [Int: [Duration]] = [:]
        for message in messages {
            let shortest = paths[message.publisher] ?? shortestPaths(from: message.publisher)
            paths[message.publisher] = shortest
            for node in routers.indices where node != message.publisher {
                guard let at = delivered[node][message.id] else { continue }
                ratios.append(Double((at - message.at).nanoseconds) / Double(shortest[node].nanoseconds))
            }
        }
        return ratios.sorted()
    }
}
