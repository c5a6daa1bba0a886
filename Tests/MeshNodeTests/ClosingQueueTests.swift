import MeshCore
import Testing

@testable import MeshNode

/// The node core's queue of sessions to close, against a plain list under random adds, removals and pops.
@Suite struct ClosingQueueTests {
    @Test("due entries come out in order, removed ones never, and the earliest is always the first live one")
    func matchesAPlainList() {
        var generator = Xoshiro256StarStar(seed: 9)
        var queue = ClosingQueue()
        var plain: [(peer: NodeID, at: Instant)] = []
        let peers = (0..<40).map { index in
            NodeID(publicKey: Bytes32((0..<32).map { UInt8(truncatingIfNeeded: $0 &+ index) })!)
        }
        var now = Instant(nanosecondsSinceEpoch: 0)
        for step in 0..<4000 {
            now = now + .milliseconds(Int64(generator.next() % 20))
            let peer = peers[Int(generator.next() % UInt64(peers.count))]
            switch generator.next() % 3 {
            case 0:
                if !queue.contains(peer) {
                    queue.add(peer, at: now + .seconds(5))
                    plain.append((peer, now + .seconds(5)))
                }
            case 1:
                queue.remove(peer)
                plain.removeAll { $0.peer == peer }
            default:
                let due = queue.popDue(at: now)
                let expected = plain.filter { $0.at <= now }
                plain.removeAll { $0.at <= now }
                #expect(due.map(\.peer) == expected.map(\.peer), "step \(step)")
            }
            #expect(queue.earliest == plain.first?.at, "step \(step)")
            for peer in peers { #expect(queue.contains(peer) == plain.contains { $0.peer == peer }) }
        }
    }
}
