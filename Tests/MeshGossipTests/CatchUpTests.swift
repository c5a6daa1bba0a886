import MeshCore
import Testing

@testable import MeshGossip

/// A catch-up after a partition: hundreds of messages asked for at once, answered in a queue on each neighbour's
/// reliable stream, must not read as misbehaviour (`Specs/gossip.md`, section 5: promises, duplicates after PRUNE,
/// the patience of GRAFTs). Found in the simulator: a node cut off for 30 s graylisted its honest neighbours while
/// they answered its requests, and never caught up.
@Suite("Gossip catch-up")
struct CatchUpTests {
    static let start = ScoringTests.start
    static let topic = GossipTests.topic

    static func publish(_ origin: NodeID, _ serial: Int) -> [UInt8] {
        GossipFrame.publish(topic: topic, origin: origin, payload: GossipTests.payload(9, serial)).encoded()
    }

    static func id(_ serial: Int) -> MessageID { MessageID(topic: topic, payload: GossipTests.payload(9, serial)) }

    /// The GRAFTs in `effects`, by the peer they go to.
    static func grafts(_ effects: [GossipEffect]) -> [NodeID] {
        effects.compactMap { effect in
            guard case .sendReliably(let bytes, let peer) = effect, case .graft? = try? GossipFrame(decoding: bytes)
            else { return nil }
            return peer
        }
    }

    @Test func anAnnouncerDeliveringItsQueueIsWaitedForAndKeepsItsPromises() {
        let first = ScoringTests.peer(2)
        let second = ScoringTests.peer(3)
        let origin = ScoringTests.peer(9)
        var router = ScoringTests.router(peers: [first, second])
        // Both announce 40 messages; `first` announced first, so it is asked first.
        let entries = (0..<40).map { (id: Self.id($0), origin: origin.originTag) }
        for peer in [first, second] {
            _ = router.receive(
                GossipFrame.ihave(topic: Self.topic, entries: entries).encoded(), from: peer, now: Self.start
            ) { _ in .accept }
        }
        var now = Self.start
        var asked: [NodeID] = []
        // `first` answers one message every 100 ms, as a queue on a slow stream does, for 4 s.
        for step in 0..<40 {
            now = now + .milliseconds(100)
            if step >= 7 {
                _ = router.receive(Self.publish(origin, step - 7), from: first, now: now) { _ in .accept }
            }
            asked += Self.grafts(router.timerFired(now: now))
        }
        // One GRAFT, to `first`, at 0.6 s; none to `second` while `first` was delivering; no promise broken.
        #expect(asked == [first])
        #expect(router.counters.brokenPromises == 0)
        #expect(router.scoreComponents(of: first)?.brokenPromises == 0)
        // `first` falls silent: the messages still missing go to `second` within one retry timeout.
        for _ in 0..<5 {
            now = now + .milliseconds(100)
            asked += Self.grafts(router.timerFired(now: now))
        }
        #expect(asked.last == second)
    }

    @Test func aLargeCatchUpIsSpreadOverTheAnnouncers() throws {
        let peers = (2...4).map { ScoringTests.peer(UInt8($0)) }
        let origin = ScoringTests.peer(9)
        var router = ScoringTests.router(peers: peers)
        // Each of the three announces the same 300 messages (a DIGEST's offers after a partition).
        let entries = (0..<300).map {
            (
                id: MessageID(topic: Self.topic, payload: [9, UInt8($0 >> 8), UInt8($0 & 0xFF)]),
                origin: origin.originTag
            )
        }
        for peer in peers {
            for chunk in stride(from: 0, to: entries.count, by: 64) {
                let frame = GossipFrame.ihave(
                    topic: Self.topic, entries: Array(entries[chunk..<min(chunk + 64, entries.count)]))
                _ = router.receive(frame.encoded(), from: peer, now: Self.start) { _ in .accept }
            }
        }
        var asked: [NodeID: Int] = [:]
        for effect in router.timerFired(now: Self.start + .milliseconds(600)) {
            guard case .sendReliably(let bytes, let peer) = effect,
                case .graft(_, _, let ids)? = try? GossipFrame(decoding: bytes)
            else { continue }
            asked[peer, default: 0] += ids.count
        }
        // 300 asked at once: 100 of each announcer, not 300 of the first.
        #expect(asked.values.reduce(0, +) == 300)
        #expect(peers.allSatisfy { asked[$0] == 100 }, "\(asked)")
        // A few at once still go to their first announcer.
        var small = ScoringTests.router(peers: peers)
        for peer in peers {
            let frame = GossipFrame.ihave(topic: Self.topic, entries: Array(entries.prefix(10)))
            _ = small.receive(frame.encoded(), from: peer, now: Self.start) { _ in .accept }
        }
        let grafts = Self.grafts(small.timerFired(now: Self.start + .milliseconds(600)))
        #expect(grafts == [peers[0]])
    }

    @Test func patienceEndsAfterTenSecondsFromTheFirstRequest() {
        let first = ScoringTests.peer(2)
        let second = ScoringTests.peer(3)
        let origin = ScoringTests.peer(9)
        var router = ScoringTests.router(peers: [first, second])
        let entries = [(id: Self.id(1000), origin: origin.originTag)]
        for peer in [first, second] {
            _ = router.receive(
                GossipFrame.ihave(topic: Self.topic, entries: entries).encoded(), from: peer, now: Self.start
            ) { _ in .accept }
        }
        // `first` delivers other messages all along, never the one asked for.
        var now = Self.start
        var asked: [(NodeID, Duration)] = []
        for step in 0..<120 {
            now = now + .milliseconds(100)
            _ = router.receive(Self.publish(origin, step), from: first, now: now) { _ in .accept }
            asked += Self.grafts(router.timerFired(now: now)).map { ($0, now - Self.start) }
        }
        // Asked of `first` at 0.6 s, then of no one while it delivered; of `second` once ten seconds had passed
        // since the first request (then in turn, as without patience).
        #expect(asked.first?.0 == first && asked.first?.1 == .milliseconds(600), "\(asked)")
        #expect(asked.count >= 2 && asked[1].0 == second, "\(asked)")
        #expect(asked.count >= 2 && asked[1].1 >= .milliseconds(10_600) && asked[1].1 <= .seconds(11), "\(asked)")
    }

    @Test func copiesSoonAfterAPruneOrAnsweringAGraftCostNothingLaterOnesDo() {
        let parent = ScoringTests.peer(2)
        let other = ScoringTests.peer(3)
        let origin = ScoringTests.peer(9)
        var settings = GossipRouter.Settings()
        settings.eagerParents = 1
        var router = ScoringTests.router(peers: [parent, other], settings: settings)
        var now = Self.start
        // `parent` delivers; `other`'s copy is a duplicate: PRUNE.
        _ = router.receive(Self.publish(origin, 0), from: parent, now: now) { _ in .accept }
        _ = router.receive(Self.publish(origin, 0), from: other, now: now) { _ in .accept }
        // Copies in flight within the grace cost nothing.
        now = now + .milliseconds(500)
        _ = router.receive(Self.publish(origin, 1), from: parent, now: now) { _ in .accept }
        _ = router.receive(Self.publish(origin, 1), from: other, now: now) { _ in .accept }
        #expect(router.scoreComponents(of: other)?.behaviour == 0)
        // After it, each costs a point.
        now = now + .seconds(2)
        _ = router.receive(Self.publish(origin, 2), from: parent, now: now) { _ in .accept }
        _ = router.receive(Self.publish(origin, 2), from: other, now: now) { _ in .accept }
        let penalised = router.scoreComponents(of: other)?.behaviour ?? 0
        #expect(penalised < -0.9)

        // A neighbour this node asked (GRAFT) is not penalised for copies for `requestGrace`, though pruned since.
        let entries = [(id: Self.id(50), origin: origin.originTag), (id: Self.id(51), origin: origin.originTag)]
        _ = router.receive(GossipFrame.ihave(topic: Self.topic, entries: entries).encoded(), from: other, now: now) {
            _ in .accept
        }
        var asked: [NodeID] = []
        for _ in 0..<7 {
            now = now + .milliseconds(100)
            asked += Self.grafts(router.timerFired(now: now))
        }
        #expect(asked == [other])
        _ = router.receive(Self.publish(origin, 50), from: parent, now: now) { _ in .accept }
        _ = router.receive(Self.publish(origin, 50), from: other, now: now) { _ in .accept }  // PRUNE again
        now = now + .seconds(5)
        _ = router.receive(Self.publish(origin, 51), from: parent, now: now) { _ in .accept }
        let before = router.scoreComponents(of: other)?.behaviour ?? 0
        _ = router.receive(Self.publish(origin, 51), from: other, now: now) { _ in .accept }  // the queued answer
        #expect(router.scoreComponents(of: other)?.behaviour == before)
    }
}
