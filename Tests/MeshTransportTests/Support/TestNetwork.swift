import MeshCore
import MeshCrypto
import Testing

@testable import MeshTransport

/// Endpoints joined by an in-memory network with virtual time: links that delay, lose, duplicate and reorder,
/// all drawn from one seeded generator so a failing run replays from its seed.
struct TestNetwork {
    struct Node {
        var endpoint: Endpoint
        let address: SocketAddress
        var wake: Instant?
        var delivered: [(from: NodeID, message: [UInt8])] = []
        var ups: [NodeID] = []
        var downs: [(NodeID, SessionDownReason)] = []
        var pongs: [(NodeID, Duration)] = []
        var pinged: [NodeID] = []
        var writable: [NodeID] = []
        var sent: [(datagram: [UInt8], to: SocketAddress)] = []
    }

    struct InFlight {
        var at: Instant
        var sequence: Int
        var from: SocketAddress
        var to: SocketAddress
        var bytes: [UInt8]
    }

    var nodes: [Node] = []
    var now = Instant(nanosecondsSinceEpoch: 1_700_000_000_000_000_000)
    var inFlight: [InFlight] = []
    var sequence = 0
    var generator: Xoshiro256StarStar
    var latency = Duration.milliseconds(20)
    var jitter = Duration.zero
    var loss = 0.0
    var duplication = 0.0
    /// Sees every datagram before it is scheduled; returns the bytes to deliver (nil drops it).
    var tamper: ((inout TestNetwork, _ bytes: [UInt8], _ from: SocketAddress, _ to: SocketAddress) -> [UInt8]?)?

    init(seed: UInt64) {
        generator = Xoshiro256StarStar(seed: seed)
    }

    /// Adds a node at 10.0.0.<n>:9000 with a key drawn from the network's generator.
    @discardableResult
    mutating func addNode(settings: EndpointSettings = EndpointSettings()) -> Int {
        let index = nodes.count
        var keySource = SeededRandomBytes(seed: generator.next())
        let identity = Ed25519PrivateKey(using: &keySource)
        let endpoint = Endpoint(
            identity: identity, settings: settings, random: SeededRandomBytes(seed: generator.next()),
            seed: generator.next(), now: now)
        nodes.append(Node(endpoint: endpoint, address: .ipv4(0x0a00_0001 + UInt32(index), port: 9000)))
        return index
    }

    func id(_ node: Int) -> NodeID { nodes[node].endpoint.nodeID }
    func address(_ node: Int) -> SocketAddress { nodes[node].address }

    mutating func connect(_ from: Int, to: Int) throws {
        let effects = try nodes[from].endpoint.connect(to: id(to), at: address(to), now: now)
        apply(effects, at: from)
    }

    mutating func send(_ message: [UInt8], from: Int, to: Int) throws {
        let effects = try nodes[from].endpoint.send(message, to: id(to), now: now)
        apply(effects, at: from)
    }

    mutating func sendReliable(_ message: [UInt8], from: Int, to: Int) throws {
        let effects = try nodes[from].endpoint.sendReliable(message, to: id(to), now: now)
        apply(effects, at: from)
    }

    mutating func ping(from: Int, to: Int) throws {
        let effects = try nodes[from].endpoint.ping(id(to), now: now)
        apply(effects, at: from)
    }

    /// Delivers a datagram to a node right now, as if it came from `source`.
    mutating func inject(_ bytes: [UInt8], to node: Int, from source: SocketAddress) {
        let effects = nodes[node].endpoint.receive(bytes, from: source, now: now)
        apply(effects, at: node)
    }

    mutating func apply(_ effects: [EndpointEffect], at node: Int) {
        for effect in effects {
            switch effect {
            case .send(let datagram, let to):
                nodes[node].sent.append((datagram, to))
                schedule(datagram, from: nodes[node].address, to: to)
            case .wake(let at):
                nodes[node].wake = at
            case .deliver(let message, let from):
                nodes[node].delivered.append((from, message))
            case .sessionUp(let peer, _):
                nodes[node].ups.append(peer)
            case .sessionDown(let peer, let reason):
                nodes[node].downs.append((peer, reason))
            case .writable(let peer):
                nodes[node].writable.append(peer)
            case .pong(let peer, let rtt):
                nodes[node].pongs.append((peer, rtt))
            case .pinged(let peer):
                nodes[node].pinged.append(peer)
            }
        }
    }

    mutating func schedule(_ datagram: [UInt8], from: SocketAddress, to: SocketAddress) {
        var bytes = datagram
        if let tamper {
            guard let changed = tamper(&self, datagram, from, to) else { return }
            bytes = changed
        }
        let copies = chance(duplication) ? 2 : 1
        for _ in 0..<copies where !chance(loss) {
            var delay = latency
            if jitter > .zero { delay += .nanoseconds(Int64(generator.next() % UInt64(jitter.nanoseconds))) }
            sequence += 1
            inFlight.append(InFlight(at: now + delay, sequence: sequence, from: from, to: to, bytes: bytes))
        }
    }

    mutating func chance(_ probability: Double) -> Bool {
        probability > 0 && Double(generator.next() >> 11) / Double(1 << 53) < probability
    }

    /// Runs events in time order until `deadline`.
    mutating func run(for duration: Duration) {
        let deadline = now + duration
        while true {
            let nextPacket = inFlight.indices.min {
                (inFlight[$0].at, inFlight[$0].sequence) < (inFlight[$1].at, inFlight[$1].sequence)
            }
            let nextWake = nodes.indices.filter { nodes[$0].wake != nil }.min { nodes[$0].wake! < nodes[$1].wake! }
            let packetTime = nextPacket.map { inFlight[$0].at }
            let wakeTime = nextWake.map { nodes[$0].wake! }
            guard let time = [packetTime, wakeTime].compactMap({ $0 }).min(), time <= deadline else { break }
            now = max(now, time)
            if let packetIndex = nextPacket, packetTime == time {
                let packet = inFlight.remove(at: packetIndex)
                guard let target = nodes.firstIndex(where: { $0.address == packet.to }) else { continue }
                let effects = nodes[target].endpoint.receive(packet.bytes, from: packet.from, now: now)
                apply(effects, at: target)
            } else if let node = nextWake {
                nodes[node].wake = nil
                let effects = nodes[node].endpoint.timerFired(now: now)
                apply(effects, at: node)
                // Progress: after the timers ran, nothing may still be due (a stuck deadline stalls the shell).
                let next = nodes[node].endpoint.nextDeadline
                #expect(
                    next.map { $0 > now } ?? true,
                    "node \(node) left a deadline \(String(describing: next)) due at \(now)")
            }
        }
        now = deadline
    }
}
