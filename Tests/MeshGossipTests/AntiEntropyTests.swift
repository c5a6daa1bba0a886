import MeshCore
import Testing

@testable import MeshGossip

/// DIGEST anti-entropy: what a partition kept from one side is offered and fetched once new links join the sides;
/// a new link between nodes that hold the same messages costs a digest and nothing more.
@Suite("Gossip anti-entropy")
struct AntiEntropyTests {
    static let topic = GossipTests.topic

    @Test func digestFramesRoundTripAndBadFlagsAreRefused() throws {
        let frame = GossipFrame.digest(
            topic: Self.topic,
            entries: [.init(origin: 1, count: 3, hash: 0xDEAD_BEEF), .init(origin: .max, count: 0, hash: 0)],
            final: true, reply: false, settled: true)
        #expect(try GossipFrame(decoding: frame.encoded()) == frame)
        let reply = GossipFrame.digest(topic: Self.topic, entries: [], final: false, reply: true)
        #expect(try GossipFrame(decoding: reply.encoded()) == reply)
        var bytes = GossipFrame.digest(topic: Self.topic, entries: [], final: true, reply: true).encoded()
        // The flags byte follows the kind and the topic; bit 2 and up mean nothing.
        let flagsAt = bytes.count - 2
        #expect(bytes[flagsAt] == 3)
        bytes[flagsAt] = 8
        #expect(throws: (any Error).self) { try GossipFrame(decoding: bytes) }
    }

    /// Cuts every link between `left` and the rest, as a partition that outlasts failure detection does.
    static func cut(_ network: inout GossipNetwork, _ left: Set<Int>) {
        for a in left {
            for b in network.links[a] where !left.contains(b) {
                network.links[a].remove(b)
                network.links[b].remove(a)
                network.routers[a].neighbourDown(network.id(b))
                network.routers[b].neighbourDown(network.id(a))
            }
        }
    }

    /// A new link between `a` and `b` (the membership layer's neighbour-up on both sides).
    static func link(_ network: inout GossipNetwork, _ a: Int, _ b: Int) {
        network.links[a].insert(b)
        network.links[b].insert(a)
        network.latency[a][b] = .milliseconds(60)
        network.latency[b][a] = .milliseconds(60)
        network.send(network.routers[a].neighbourUp(network.id(b)), from: a)
        network.send(network.routers[b].neighbourUp(network.id(a)), from: b)
    }

    @Test("messages published during a partition reach the other side once new links join the sides")
    func partitionHeals() throws {
        var network = GossipNetwork(nodes: 60, degree: 5, seed: 11)
        network.subscribeAll(Self.topic)
        network.run(for: .seconds(2))
        var messages: [MessageID] = []
        for serial in 0..<4 {
            let id = network.publish(GossipTests.payload(serial, serial), on: Self.topic, from: serial * 15)
            messages.append(try #require(id))
        }
        network.run(for: .seconds(3))
        #expect(network.delivered.allSatisfy { delivered in messages.allSatisfy { delivered[$0] != nil } })

        let left = Set(0..<30)
        Self.cut(&network, left)
        var during: [MessageID] = []
        for serial in 10..<30 {
            let node = serial % 2 == 0 ? serial - 10 : 30 + serial
            let id = network.publish(GossipTests.payload(node, serial), on: Self.topic, from: node)
            during.append(try #require(id))
            network.run(for: .milliseconds(500))
        }
        network.run(for: .seconds(3))
        // Each side has its own messages only.
        let missed = network.routers.indices.reduce(0) { total, node in
            total + during.filter { network.delivered[node][$0] == nil }.count
        }
        #expect(missed == 30 * 10 * 2)

        // Three new links across: the digests make each side offer the other what it lacks.
        Self.link(&network, 3, 33)
        Self.link(&network, 17, 48)
        Self.link(&network, 29, 30)
        network.run(for: .seconds(5))
        for node in network.routers.indices {
            let lacking = during.filter { network.delivered[node][$0] == nil }.count
            #expect(lacking == 0, "node \(node) lacks \(lacking)")
        }
        #expect(network.routers.reduce(0) { $0 + $1.counters.catchUpOffered } > 0)
        // Messages published after the heal go everywhere as usual.
        let published = network.publish(GossipTests.payload(5, 99), on: Self.topic, from: 5)
        let after = try #require(published)
        network.run(for: .seconds(3))
        #expect(network.delivered.allSatisfy { $0[after] != nil })
    }

    @Test("a new link between nodes that hold the same messages costs digests and no offers")
    func sameHistoryNoOffers() throws {
        var network = GossipNetwork(nodes: 30, degree: 4, seed: 5)
        network.subscribeAll(Self.topic)
        network.run(for: .seconds(1))
        for serial in 0..<10 {
            let id = network.publish(GossipTests.payload(serial, serial), on: Self.topic, from: serial)
            #expect(id != nil)
        }
        network.run(for: .seconds(3))
        let before = network.routers.reduce(0) { $0 + $1.counters.catchUpOffered }
        let pair = (0..<30).flatMap { a in (0..<30).map { (a, $0) } }.first { a, b in
            a != b && !network.links[a].contains(b)
        }!
        Self.link(&network, pair.0, pair.1)
        network.run(for: .seconds(2))
        #expect(network.routers.reduce(0) { $0 + $1.counters.catchUpOffered } == before)
        #expect(network.routers[pair.0].counters.digestsSent > 0)
    }
}

extension AntiEntropyTests {
    @Test("a node that lost a message on links its neighbours thought up gets it from the periodic digest")
    func periodicDigestRepairs() throws {
        for periodic in [true, false] {
            var settings = GossipRouter.Settings()
            if !periodic { settings.digestInterval = nil }
            var network = GossipNetwork(nodes: 12, degree: 3, seed: 4, settings: settings)
            network.subscribeAll(Self.topic)
            network.run(for: .seconds(1))
            // Everything sent to node 5 is lost for a while, reliable frames too: its neighbours still count it as
            // a neighbour (no neighbour-down, no new digest).
            let saved = network.latency
            for node in network.routers.indices { network.latency[node][5] = nil }
            let published = network.publish(GossipTests.payload(0, 1), on: Self.topic, from: 0)
            let id = try #require(published)
            network.run(for: .seconds(3))
            #expect(network.delivered[5][id] == nil)
            network.latency = saved
            network.run(for: .seconds(40))
            #expect((network.delivered[5][id] != nil) == periodic, "periodic digests \(periodic)")
        }
    }
}

/// Duplicate floods: a neighbour that keeps pushing copies is graylisted, and is not answered with a flood of PRUNEs.
@Suite("Gossip duplicate floods")
struct DuplicateFloodTests {
    @Test func aNeighbourReplayingMessagesIsGraylistedAndPrunedAtMostOncePerInterval() throws {
        let topic = GossipTests.topic
        let me = NodeID(publicKey: Bytes32([UInt8](repeating: 1, count: 32))!)
        let honest = NodeID(publicKey: Bytes32([UInt8](repeating: 2, count: 32))!)
        let flooder = NodeID(publicKey: Bytes32([UInt8](repeating: 3, count: 32))!)
        var now = Instant(nanosecondsSinceEpoch: 1_795_219_200_000_000_000)
        var router = GossipRouter(nodeID: me, now: now)
        _ = router.subscribe(topic)
        _ = router.neighbourUp(honest)
        _ = router.neighbourUp(flooder)
        let subscribe = GossipFrame.subscriptions([(topic, true)]).encoded()
        _ = router.receive(subscribe, from: honest, now: now) { _ in .accept }
        _ = router.receive(subscribe, from: flooder, now: now) { _ in .accept }
        let frame = GossipFrame.publish(topic: topic, origin: honest, payload: [1, 2, 3]).encoded()
        _ = router.receive(frame, from: honest, now: now) { _ in .accept }
        var prunes = 0
        for _ in 0..<600 {
            now = now + .milliseconds(5)
            let effects = router.receive(frame, from: flooder, now: now) { _ in .accept }
            prunes += effects.count
        }
        // One PRUNE for the first copy, then at most one a second; the copies of the first two seconds (the PRUNE's
        // grace) cost nothing, the 200 after it graylist.
        #expect(prunes <= 3, "\(prunes)")
        #expect(router.isGraylisted(flooder))
        #expect(router.counters.graylisted == 1)
        // The honest neighbour has no penalty, and the credit of its first delivery.
        #expect(router.scoreComponents(of: honest)?.behaviour == 0)
        #expect((router.scoreComponents(of: honest)?.firstDeliveries ?? 0) > 0)
        #expect(router.isGraylisted(flooder) && !router.isGraylisted(honest))
        // Graylisted: its frames are dropped unread from now on.
        let dropped = router.counters.droppedFrames
        _ = router.receive(frame, from: flooder, now: now) { _ in .accept }
        #expect(router.counters.droppedFrames == dropped + 1)
    }
}

/// Per-topic size caps.
@Suite("Gossip size caps")
struct SizeCapTests {
    @Test func aMessageOverItsTopicsCapIsRefusedWhenPublishedAndRejectedWhenReceived() {
        let topic = GossipTests.topic
        #expect(topic.maxPayload == 8192 && Topic("ledger/checkpoints")!.maxPayload == GossipFrame.maxPayload)
        let me = NodeID(publicKey: Bytes32([UInt8](repeating: 1, count: 32))!)
        let peer = NodeID(publicKey: Bytes32([UInt8](repeating: 2, count: 32))!)
        let now = Instant(nanosecondsSinceEpoch: 1_795_219_200_000_000_000)
        var router = GossipRouter(nodeID: me, now: now)
        _ = router.subscribe(topic)
        _ = router.neighbourUp(peer)
        _ = router.receive(GossipFrame.subscriptions([(topic, true)]).encoded(), from: peer, now: now) { _ in .accept }
        #expect(router.publish([UInt8](repeating: 7, count: 8193), on: topic, now: now).id == nil)
        #expect(router.publish([UInt8](repeating: 7, count: 8192), on: topic, now: now).id != nil)
        var validated = 0
        let large = GossipFrame.publish(topic: topic, origin: peer, payload: [UInt8](repeating: 9, count: 9000))
        let effects = router.receive(large.encoded(), from: peer, now: now) { _ in
            validated += 1
            return .accept
        }
        #expect(validated == 0)
        #expect(router.counters.rejected == 1 && router.counters.delivered == 0)
        #expect(router.score(of: peer) == router.settings.rejectPenalty)
        #expect(effects.contains { if case .penalized = $0 { true } else { false } })
    }
}

/// Repair budgets: a neighbour asking for the same messages again and again gets a bounded share.
@Suite("Gossip repair budget")
struct RepairBudgetTests {
    @Test func repeatedRequestsAreServedUpToTheBudgetThenRefusedAndPenalized() throws {
        let topic = GossipTests.topic
        let me = NodeID(publicKey: Bytes32([UInt8](repeating: 1, count: 32))!)
        let asker = NodeID(publicKey: Bytes32([UInt8](repeating: 2, count: 32))!)
        var now = Instant(nanosecondsSinceEpoch: 1_795_219_200_000_000_000)
        var settings = GossipRouter.Settings()
        settings.repairBurst = 100
        settings.repairRate = 10
        var router = GossipRouter(nodeID: me, settings: settings, now: now)
        _ = router.subscribe(topic)
        _ = router.neighbourUp(asker)
        let published = router.publish([1, 2, 3], on: topic, now: now)
        let id = try #require(published.id)
        var served = 0
        for _ in 0..<110 {
            served +=
                router.receive(GossipFrame.iwant(ids: [id]).encoded(), from: asker, now: now) { _ in .accept }
                .filter { if case .sendReliably = $0 { true } else { false } }.count
        }
        #expect(served == 100)
        #expect(router.counters.repairsRefused == 10)
        #expect(router.score(of: asker) == -10)
        // A second later, ten more.
        now = now + .seconds(1)
        var later = 0
        for _ in 0..<20 {
            later +=
                router.receive(GossipFrame.iwant(ids: [id]).encoded(), from: asker, now: now) { _ in .accept }
                .filter { if case .sendReliably = $0 { true } else { false } }.count
        }
        #expect(later == 10, "score \(router.score(of: asker) ?? 0), refused \(router.counters.repairsRefused)")
    }
}
