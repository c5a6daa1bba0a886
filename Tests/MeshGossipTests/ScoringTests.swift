import MeshCore
import Testing

@testable import MeshGossip

/// The score's parts and thresholds (`Specs/gossip.md`, section 5).
@Suite("Gossip scoring")
struct ScoringTests {
    static let me = NodeID(publicKey: Bytes32([UInt8](repeating: 1, count: 32))!)
    static func peer(_ index: UInt8) -> NodeID { NodeID(publicKey: Bytes32([UInt8](repeating: index, count: 32))!) }
    static let start = Instant(nanosecondsSinceEpoch: 1_795_219_200_000_000_000)

    /// A router subscribed to the test topic with `peers` as neighbours on it.
    static func router(
        peers: [NodeID], groups: [UInt64?]? = nil, settings: GossipRouter.Settings = .init()
    ) -> GossipRouter {
        var router = GossipRouter(nodeID: me, settings: settings, now: start)
        _ = router.subscribe(GossipTests.topic)
        for (index, peer) in peers.enumerated() {
            _ = router.neighbourUp(peer, group: groups?[index], now: start)
            _ = router.receive(GossipFrame.subscriptions([(GossipTests.topic, true)]).encoded(), from: peer, now: start)
            {
                _ in .accept
            }
        }
        return router
    }

    @Test func timeInMeshAndFirstDeliveriesEarnCappedCredit() {
        let a = Self.peer(2)
        var router = Self.router(peers: [a])
        #expect(router.score(of: a) == 0)
        for serial in 0..<40 {
            let frame = GossipFrame.publish(
                topic: GossipTests.topic, origin: a, payload: GossipTests.payload(2, serial)
            ).encoded()
            _ = router.receive(frame, from: a, now: Self.start) { _ in .accept }
        }
        // 40 first deliveries at 0.5 each, capped at 10.
        #expect(router.scoreComponents(of: a)?.firstDeliveries == router.settings.firstDeliveryCap)
        // Half an hour in: half the time-in-mesh cap; two hours in: the cap, and the delivery credit decayed away.
        _ = router.timerFired(now: Self.start + .seconds(1800))
        #expect(abs((router.scoreComponents(of: a)?.timeInMesh ?? 0) - 5) < 1e-9)
        for step in 1...200 { _ = router.timerFired(now: Self.start + .seconds(7200) + .milliseconds(100 * step)) }
        let parts = router.scoreComponents(of: a)!
        #expect(abs(parts.timeInMesh - 10) < 1e-9)
        #expect(parts.firstDeliveries < 0.2)
    }

    @Test func announcementsNeverDeliveredAreBrokenPromisesThatSilenceTheAnnouncer() {
        let liar = Self.peer(2)
        let honest = Self.peer(3)
        var settings = GossipRouter.Settings()
        settings.brokenPromisePenalty = -3
        var router = Self.router(peers: [liar, honest], settings: settings)
        // The liar announces 8 messages it will never send.
        let fake = (0..<8).map { serial in
            (id: MessageID(topic: GossipTests.topic, payload: GossipTests.payload(9, serial)), origin: liar.originTag)
        }
        _ = router.receive(
            GossipFrame.ihave(topic: GossipTests.topic, entries: fake).encoded(), from: liar, now: Self.start
        ) { _ in .accept }
        var now = Self.start
        var grafts = 0
        for _ in 0..<52 {
            now = now + .milliseconds(100)
            grafts +=
                router.timerFired(now: now).filter { if case .sendReliably(_, liar) = $0 { true } else { false } }
                .count
        }
        // Six GRAFTs (at 0.6 s, then every 300 ms), one promise each (on the frame's first id); three seconds
        // after each, none of the messages had come: six broken promises, about −15 with their decay.
        #expect(grafts == 6)
        #expect(router.counters.brokenPromises == 6)
        let parts = router.scoreComponents(of: liar)!
        #expect(
            parts.total < router.settings.gossipThreshold && parts.total > router.settings.graylistScore, "\(parts)")
        // Under the gossip threshold its announcements are ignored and it gets none.
        let more = [(id: MessageID(topic: GossipTests.topic, payload: [7]), origin: liar.originTag)]
        let ignored = router.counters.gossipIgnored
        _ = router.receive(GossipFrame.ihave(topic: GossipTests.topic, entries: more).encoded(), from: liar, now: now) {
            _ in .accept
        }
        #expect(router.counters.gossipIgnored == ignored + 1)
        // Above the publish threshold it is still pushed messages, but never sent an announcement or a digest.
        for serial in 0..<10 {
            let frame = GossipFrame.publish(
                topic: GossipTests.topic, origin: honest, payload: GossipTests.payload(3, serial)
            ).encoded()
            var effects = router.receive(frame, from: honest, now: now) { _ in .accept }
            now = now + .milliseconds(100)
            effects += router.timerFired(now: now)
            for case .send(let bytes, liar) in effects {
                let sent = try? GossipFrame(decoding: bytes)
                if case .ihave? = sent { Issue.record("an IHAVE went to a neighbour under the gossip threshold") }
            }
        }
        // The honest neighbour kept every promise it made (none) and has no penalty.
        #expect(router.scoreComponents(of: honest)?.brokenPromises == 0)
    }

    @Test func aPromiseKeptByAnotherAnnouncerIsNotBroken() {
        let slow = Self.peer(2)
        let other = Self.peer(3)
        var router = Self.router(peers: [slow, other])
        let payload = GossipTests.payload(3, 5)
        let id = MessageID(topic: GossipTests.topic, payload: payload)
        let entry = [(id: id, origin: other.originTag)]
        _ = router.receive(
            GossipFrame.ihave(topic: GossipTests.topic, entries: entry).encoded(), from: slow, now: Self.start
        ) { _ in .accept }
        _ = router.timerFired(now: Self.start + .milliseconds(700))  // GRAFT to `slow`
        let frame = GossipFrame.publish(topic: GossipTests.topic, origin: other, payload: payload).encoded()
        _ = router.receive(frame, from: other, now: Self.start + .seconds(1)) { _ in .accept }
        _ = router.timerFired(now: Self.start + .seconds(5))
        #expect(router.counters.brokenPromises == 0)
        #expect(router.scoreComponents(of: slow)?.brokenPromises == 0)
    }

    @Test func neighboursCrowdedOnOneAddressLoseScoreLoopbackIsExempt() {
        let peers = (2...7).map { Self.peer(UInt8($0)) }
        let sybil = GossipRouter.addressGroup(of: .ipv4(0x0A00_0105, port: 9000))
        let elsewhere = GossipRouter.addressGroup(of: .ipv4(0x0A00_0206, port: 9000))
        #expect(GossipRouter.addressGroup(of: .ipv4(0x7F00_0001, port: 1)) == nil)
        #expect(GossipRouter.addressGroup(of: .ipv6(.loopback, port: 1)) == nil)
        // Five on one address (threshold 3: a surplus of 2, 4 × −20 each), one elsewhere.
        var router = Self.router(peers: peers, groups: [sybil, sybil, sybil, sybil, sybil, elsewhere])
        for peer in peers.prefix(5) {
            #expect(router.scoreComponents(of: peer)?.colocation == -80)
        }
        #expect(router.scoreComponents(of: peers[5])?.colocation == 0)
        // Two leave: three left, at the threshold, no penalty.
        router.neighbourDown(peers[0])
        router.neighbourDown(peers[1])
        #expect(router.scoreComponents(of: peers[2])?.colocation == 0)
        // All on loopback (a devnet): no penalty.
        let local = Self.router(peers: peers, groups: Array(repeating: nil, count: 6))
        #expect(peers.allSatisfy { local.scoreComponents(of: $0)?.colocation == 0 })
    }

    @Test func aNeighbourUnderThePublishThresholdIsNotPushedOwnOrForwardedMessages() {
        let low = Self.peer(2)
        let good = Self.peer(3)
        var router = Self.router(peers: [low, good])
        // Two undecodable frames: −20, at the threshold (pushes go to scores at or above it); a third: under.
        for _ in 0..<3 { _ = router.receive([0xFF, 0x00], from: low, now: Self.start) { _ in .accept } }
        #expect((router.score(of: low) ?? 0) < router.settings.publishThreshold)
        let published = router.publish(GossipTests.payload(1, 1), on: GossipTests.topic, now: Self.start)
        let targets = published.effects.compactMap { effect -> NodeID? in
            if case .send(_, let to) = effect { to } else { nil }
        }
        #expect(targets == [good])
    }
}
