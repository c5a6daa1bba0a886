import MeshCore
import Testing

@testable import MeshGossip

/// A neighbour demoted as slow (`GossipRouter.demote`) is pushed no forwarded messages but gets them announced.
@Suite("Gossip demotion")
struct DemotionTests {
    @Test func aDemotedNeighbourGetsAnnouncementsInsteadOfPushesUntilItsTimeIsUp() {
        let sender = ScoringTests.peer(2)
        let slow = ScoringTests.peer(3)
        let origin = ScoringTests.peer(9)
        var router = ScoringTests.router(peers: [sender, slow])
        var now = ScoringTests.start
        router.demote(slow, until: now + .seconds(30))
        #expect(router.isDemoted(slow) && !router.isDemoted(sender) && router.counters.demotions == 1)
        func pushedAndAnnounced(_ serial: Int) -> (pushed: Bool, announced: Bool) {
            let frame = GossipFrame.publish(
                topic: GossipTests.topic, origin: origin, payload: GossipTests.payload(9, serial))
            var effects = router.receive(frame.encoded(), from: sender, now: now) { _ in .accept }
            now = now + .milliseconds(100)
            effects += router.timerFired(now: now)
            var result = (pushed: false, announced: false)
            for case .send(let bytes, slow) in effects {
                switch try? GossipFrame(decoding: bytes) {
                case .publish?: result.pushed = true
                case .ihave?: result.announced = true
                default: break
                }
            }
            return result
        }
        let during = pushedAndAnnounced(0)
        #expect(!during.pushed && during.announced)
        now = now + .seconds(31)
        let after = pushedAndAnnounced(1)
        #expect(after.pushed && !router.isDemoted(slow))
        // This node's own messages still go to it while demoted.
        router.demote(slow, until: now + .seconds(30))
        let (_, effects) = router.publish(GossipTests.payload(1, 5), on: GossipTests.topic, now: now)
        #expect(effects.contains { if case .send(_, slow) = $0 { true } else { false } })
    }
}
