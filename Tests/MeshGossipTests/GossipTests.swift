import MeshCore
import MeshWire
import Testing

@testable import MeshGossip

/// The gossip frames and the router: every message reaches every subscriber, the eager tree prunes duplicates, lazy
/// announcements repair what was lost, invalid senders are graylisted, caches stay within bounds.
@Suite("Gossip")
struct GossipTests {
    static let topic = Topic.signals("AAPL")!

    /// A payload published by `node`: its index first (the test validator reads it), then `size − 1` bytes.
    static func payload(_ node: Int, _ serial: Int, size: Int = 200) -> [UInt8] {
        [UInt8(node)] + (0..<(size - 1)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ serial) }
    }

    @Test func framesRoundTripAndMalformedOnesAreRefused() throws {
        let id = MessageID(topic: Self.topic, payload: [1, 2, 3])
        let origin = NodeID(publicKey: Bytes32([UInt8](repeating: 9, count: 32))!)
        let frames: [GossipFrame] = [
            .publish(topic: Self.topic, origin: origin, payload: [1, 2, 3]),
            .ihave(topic: Self.topic, entries: [(id, OriginTag(1)), (id, origin.originTag)]), .iwant(ids: [id]),
            .graft(topic: Self.topic, origins: [7], ids: []), .prune(topic: Self.topic, origins: [1, 2]),
            .idontwant(ids: [id]), .subscriptions([(Self.topic, true), (Topic("orders/BTC-USD")!, false)]),
        ]
        for frame in frames { #expect(try GossipFrame(decoding: frame.encoded()) == frame) }
        #expect(origin.originTag == 0x0909_0909_0909_0909)
        let good = GossipFrame.iwant(ids: [id]).encoded()
        for bad in [
            [], [99], Array(good.dropLast()), good + [0],
            GossipFrame.iwant(ids: Array(repeating: id, count: GossipFrame.maxIDs + 1)).encoded(),
            // A topic of spaces; a frame of another type.
            Frame(type: GossipFrame.wireType, payload: [5, 3, 0x20, 0x20, 0x20, 0]).encoded,
            Frame(type: 30, payload: GossipFrame.prune(topic: Self.topic, origins: []).encoded()).encoded,
        ] {
            #expect(throws: WireError.self) { try GossipFrame(decoding: bad) }
        }
        #expect(Topic("") == nil && Topic(String(repeating: "a", count: 65)) == nil && Topic("signals/A B") == nil)
        #expect(MessageID(topic: Self.topic, payload: [1]) != MessageID(topic: Topic.signals("MSFT")!, payload: [1]))
    }

    @Test("every subscriber gets every message once; the tree prunes duplicates", arguments: [1, 2, 3])
    func delivery(seed: Int) {
        var network = GossipNetwork(nodes: 100, degree: 6, seed: UInt64(seed))
        network.subscribeAll(Self.topic)
        network.run(for: .seconds(2))
        // Ten issuers, each publishing six messages in turn (as strategies give signals over time).
        var ids: [MessageID] = []
        var published: [(id: MessageID, publisher: Int, at: Instant)] = []
        for serial in 0..<60 {
            let publisher = ((serial % 10) * 37 + seed) % 100
            ids.append(network.publish(Self.payload(publisher, serial), on: Self.topic, from: publisher)!)
            published.append((ids.last!, publisher, network.now))
            network.run(for: .milliseconds(500))
        }
        network.run(for: .seconds(5))
        for node in 0..<100 {
            #expect(ids.allSatisfy { network.delivered[node][$0] != nil }, "node \(node) missed messages")
        }
        let duplicates = network.duplicatesPerNodePerMessage
        // After each issuer's first message (which floods and prunes its tree into the shortest paths).
        let ratios = network.latencyRatios(Array(published.dropFirst(10)))
        #expect(duplicates < 1.5, "duplicates per node per message: \(duplicates)")
        // Once pruned, each node keeps two parents in each origin's tree (`eagerParents`): the tree's children over
        // all nodes number two per node, a few less (the origin's own neighbours may have had one copy only).
        let origin = network.id((9 * 37 + seed) % 100)
        let children = (0..<100).reduce(0) {
            $0 + (network.routers[$1].children(of: origin, on: Self.topic)?.count ?? 0)
        }
        #expect((190...198).contains(children), "children in the last origin's tree: \(children)")
        // Its messages travel the shortest paths: delivery latency within 1.3 times the shortest path's at p99.
        #expect(ratios[ratios.count * 99 / 100] <= 1.3)
    }

    @Test("with 5% of datagrams lost, lazy announcements and GRAFTs repair every gap")
    func repairUnderLoss() {
        var network = GossipNetwork(nodes: 80, degree: 6, loss: 0.05, seed: 9)
        network.subscribeAll(Self.topic)
        network.run(for: .seconds(2))
        var ids: [MessageID] = []
        for serial in 0..<40 {
            let publisher = (serial % 8) * 13 % 80
            ids.append(network.publish(Self.payload(publisher, serial), on: Self.topic, from: publisher)!)
            network.run(for: .milliseconds(300))
        }
        network.run(for: .seconds(10))
        let missing = (0..<80).reduce(0) { total, node in
            total + ids.filter { network.delivered[node][$0] == nil }.count
        }
        #expect(missing == 0, "\(missing) deliveries missing")
        #expect(network.routers.reduce(0) { $0 + $1.counters.graftsSent } > 0)
    }

    @Test(
        "a neighbour sending invalid messages is graylisted and cut off until its score recovers; honest messages reach every honest node"
    )
    func graylisting() {
        var network = GossipNetwork(nodes: 60, degree: 6, seed: 4)
        network.liars = [7]
        network.subscribeAll(Self.topic)
        network.run(for: .seconds(1))
        for serial in 0..<10 {
            network.publish(Self.payload(7, serial), on: Self.topic, from: 7)
            network.run(for: .milliseconds(200))
        }
        let neighbours = network.links[7]
        for peer in neighbours {
            let score = network.routers[peer].score(of: network.id(7)) ?? 0
            #expect(network.routers[peer].isGraylisted(network.id(7)), "neighbour \(peer): \(score)")
        }
        // Nothing the liar sent was delivered anywhere, and honest traffic is complete.
        #expect((0..<60).allSatisfy { node in network.delivered[node].count == (node == 7 ? 10 : 0) })
        var honest: [MessageID] = []
        for serial in 0..<10 {
            honest.append(network.publish(Self.payload(serial + 10, serial), on: Self.topic, from: serial + 10)!)
            network.run(for: .milliseconds(300))
        }
        network.run(for: .seconds(3))
        // Every honest node has them; the liar, under the publish and gossip thresholds, is neither pushed them nor
        // told of them.
        #expect((0..<60).allSatisfy { node in node == 7 || honest.allSatisfy { network.delivered[node][$0] != nil } })
        #expect(honest.allSatisfy { network.delivered[7][$0] == nil })
        // Its penalties (−100, ten invalid messages) decay slowly, 0.99 a second: once back above the publish
        // threshold, three minutes later, it is pushed messages again.
        network.run(for: .seconds(180))
        let later = network.publish(Self.payload(30, 1), on: Self.topic, from: 30)!
        network.run(for: .seconds(3))
        #expect(
            (0..<60).allSatisfy { network.delivered[$0][later] != nil },
            "missing at \((0..<60).filter { network.delivered[$0][later] == nil }), liar's score at its neighbours \(network.links[7].map { network.routers[$0].scoreComponents(of: network.id(7))! })"
        )
    }

    @Test("only subscribers deliver and relay; a non-subscriber's publication fans out to subscribers")
    func subscriptions() {
        var network = GossipNetwork(nodes: 40, degree: 5, seed: 5)
        let outsiders: Set<Int> = [0, 1, 2]
        network.subscribeAll(Self.topic, except: outsiders)
        network.run(for: .seconds(1))
        let id = network.publish(Self.payload(3, 1), on: Self.topic, from: 3)!
        let fanned = network.publish(Self.payload(0, 2), on: Self.topic, from: 0)!
        network.run(for: .seconds(5))
        for node in 0..<40 where !outsiders.contains(node) {
            #expect(network.delivered[node][id] != nil && network.delivered[node][fanned] != nil, "node \(node)")
        }
        for node in outsiders.subtracting([0]) { #expect(network.delivered[node].isEmpty) }
        // Unsubscribing removes the node from its neighbours' links.
        network.send(network.routers[5].unsubscribe(Self.topic), from: 5)
        network.run(for: .seconds(1))
        for peer in network.links[5] {
            #expect(network.routers[peer].children(of: network.id(3), on: Self.topic)?.contains(network.id(5)) != true)
        }
    }

    @Test func cachesStayWithinTheirBounds() {
        let start = Instant(nanosecondsSinceEpoch: 0)
        var seen = SeenCache(window: .seconds(120), limit: 1000, now: start)
        for serial in 0..<5000 {
            _ = seen.insert(
                MessageID(topic: Self.topic, payload: [UInt8(serial & 0xFF), UInt8(serial >> 8)]), now: start)
        }
        #expect(seen.count <= 1000)
        seen.age(now: start + .seconds(500))
        #expect(seen.count <= 1000)
        var cache = MessageCache(window: .seconds(60), maxMessages: 100, maxBytes: 10_000)
        for serial in 0..<500 {
            cache.insert(
                MessageID(topic: Self.topic, payload: [UInt8(serial & 0xFF), UInt8(serial >> 8)]), topic: Self.topic,
                origin: NodeID(publicKey: .zero), payload: [UInt8](repeating: 1, count: 300),
                now: start + .seconds(serial))
        }
        #expect(cache.count <= 100 && cache.payloadBytes <= 10_000)
        cache.age(now: start + .seconds(1000))
        #expect(cache.count == 0 && cache.payloadBytes == 0)
    }
}

/// Bytes from a neighbour are untrusted: random and mutated frames never crash the router, and cost the sender.
@Suite("Gossip input")
struct GossipInputTests {
    @Test func randomAndMutatedFramesAreRefusedWithoutHarm() {
        var random = Xoshiro256StarStar(seed: 42)
        let me = NodeID(publicKey: Bytes32([UInt8](repeating: 1, count: 32))!)
        let peer = NodeID(publicKey: Bytes32([UInt8](repeating: 2, count: 32))!)
        let now = Instant(nanosecondsSinceEpoch: 0)
        var router = GossipRouter(nodeID: me, now: now)
        _ = router.neighbourUp(peer)
        _ = router.subscribe(GossipTests.topic)
        let valid = GossipFrame.publish(topic: GossipTests.topic, origin: peer, payload: [1, 2, 3]).encoded()
        var delivered = 0
        for round in 0..<20_000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<Int(random.next() % 80)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            } else {
                bytes = valid
                let index = Int(random.next() % UInt64(bytes.count))
                bytes[index] = UInt8(truncatingIfNeeded: random.next())
            }
            for effect in router.receive(bytes, from: peer, now: now, validate: { _ in .accept }) {
                if case .deliver = effect { delivered += 1 }
            }
        }
        // Mutations of the payload are new valid messages; everything else was refused and cost the sender, who is
        // graylisted by now (its frames dropped unread).
        #expect(router.counters.droppedFrames > 5000)
        #expect(router.isGraylisted(peer))
        #expect(delivered < 20_000)
    }
}

/// Neighbour-up order: a peer's subscriptions can arrive before this node counts it as a neighbour.
@Suite("Gossip neighbours")
struct GossipNeighbourTests {
    @Test func subscriptionsSentBeforeTheNeighbourUpAreKept() {
        let me = NodeID(publicKey: Bytes32([UInt8](repeating: 1, count: 32))!)
        let peer = NodeID(publicKey: Bytes32([UInt8](repeating: 2, count: 32))!)
        let now = Instant(nanosecondsSinceEpoch: 0)
        var router = GossipRouter(nodeID: me, now: now)
        _ = router.subscribe(GossipTests.topic)
        let early = GossipFrame.subscriptions([(GossipTests.topic, true)]).encoded()
        #expect(router.receive(early, from: peer, now: now, validate: { _ in .accept }).isEmpty)
        _ = router.neighbourUp(peer)
        // The peer is on the topic: this node's own message goes to it.
        let (_, effects) = router.publish([1, 2, 3], on: GossipTests.topic, now: now)
        #expect(effects.contains { if case .send(_, let to) = $0 { to == peer } else { false } })
    }
}
