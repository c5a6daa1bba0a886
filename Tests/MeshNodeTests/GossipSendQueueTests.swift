import MeshCore
import Testing

@testable import MeshNode

/// The per-neighbour gossip send queues (`Specs/gossip.md`, section 5, "Backpressure").
@Suite("Gossip send queues")
struct GossipSendQueueTests {
    static let peer = NodeID(publicKey: Bytes32([UInt8](repeating: 5, count: 32))!)
    static let other = NodeID(publicKey: Bytes32([UInt8](repeating: 6, count: 32))!)
    static let start = Instant(nanosecondsSinceEpoch: 1_795_219_200_000_000_000)

    static func frame(_ kind: UInt8, _ serial: Int, size: Int = 100) -> [UInt8] {
        [kind, UInt8(truncatingIfNeeded: serial)] + [UInt8](repeating: 0, count: size - 2)
    }

    @Test func framesLeaveControlFirstThenOwnThenForwardedEachInOrder() {
        var queues = GossipSendQueues()
        _ = queues.enqueue(Self.frame(1, 0), .forwarded, to: Self.peer, now: Self.start)
        _ = queues.enqueue(Self.frame(1, 1), .own, to: Self.peer, now: Self.start)
        _ = queues.enqueue(Self.frame(2, 2), .control, to: Self.peer, now: Self.start)
        _ = queues.enqueue(Self.frame(1, 3), .forwarded, to: Self.peer, now: Self.start)
        _ = queues.enqueue(Self.frame(3, 4), .control, to: Self.peer, now: Self.start)
        _ = queues.enqueue(Self.frame(1, 9), .forwarded, to: Self.other, now: Self.start)
        #expect(queues.waiting(for: Self.peer) == 5 && queues.total == 6)
        #expect(queues.peersWaiting == [Self.peer, Self.other].sorted())
        var order: [Int] = []
        while let (frame, _) = queues.popFirst(for: Self.peer) { order.append(Int(frame[1])) }
        #expect(order == [2, 4, 1, 0, 3])
        #expect(!queues.isWaiting(Self.peer) && queues.isWaiting(Self.other))
        // A frame put back goes first in its class again.
        _ = queues.enqueue(Self.frame(1, 7), .forwarded, to: Self.peer, now: Self.start)
        let first = queues.popFirst(for: Self.peer)!
        _ = queues.enqueue(Self.frame(1, 8), .forwarded, to: Self.peer, now: Self.start)
        queues.putBack(first.frame, first.kind, for: Self.peer)
        #expect(queues.popFirst(for: Self.peer)?.frame[1] == 7)
        #expect(queues.delayed == 8)
    }

    @Test func aFullQueueDropsTheOldestOfItsLowestClassAndCountsThem() {
        var limits = GossipSendQueues.Limits()
        limits.frames = 4
        limits.slowDrops = 1000
        var queues = GossipSendQueues(limits: limits)
        _ = queues.enqueue(Self.frame(2, 0), .control, to: Self.peer, now: Self.start)
        _ = queues.enqueue(Self.frame(1, 1), .own, to: Self.peer, now: Self.start)
        _ = queues.enqueue(Self.frame(1, 2), .forwarded, to: Self.peer, now: Self.start)
        _ = queues.enqueue(Self.frame(1, 3), .forwarded, to: Self.peer, now: Self.start)
        _ = queues.enqueue(Self.frame(2, 4), .control, to: Self.peer, now: Self.start)  // drops forwarded 2
        _ = queues.enqueue(Self.frame(2, 5), .control, to: Self.peer, now: Self.start)  // drops forwarded 3
        _ = queues.enqueue(Self.frame(1, 6), .forwarded, to: Self.peer, now: Self.start)  // drops itself
        _ = queues.enqueue(Self.frame(2, 7), .control, to: Self.peer, now: Self.start)  // drops own 1
        #expect(queues.dropped == [0, 1, 3])
        var order: [Int] = []
        while let (frame, _) = queues.popFirst(for: Self.peer) { order.append(Int(frame[1])) }
        #expect(order == [0, 4, 5, 7])
        // Bytes bound too: two 300 KiB frames do not fit in 512 KiB.
        var bytes = GossipSendQueues()
        _ = bytes.enqueue(Self.frame(1, 0, size: 300 << 10), .forwarded, to: Self.peer, now: Self.start)
        _ = bytes.enqueue(Self.frame(1, 1, size: 300 << 10), .forwarded, to: Self.peer, now: Self.start)
        #expect(bytes.waiting(for: Self.peer) == 1 && bytes.dropped == [0, 0, 1])
        // A neighbour that leaves takes its frames with it, counted.
        bytes.remove(Self.peer)
        #expect(bytes.total == 0 && bytes.dropped == [0, 0, 2])
    }

    @Test func aQueueThatKeepsOverflowingMarksItsNeighbourSlowOncePerBurst() {
        var limits = GossipSendQueues.Limits()
        limits.frames = 2
        limits.slowDrops = 5
        limits.slowWindow = .seconds(10)
        var queues = GossipSendQueues(limits: limits)
        var now = Self.start
        var slow: [Int] = []
        // One drop every 3 s: never 5 within 10 s.
        for serial in 0..<10 {
            now = now + .seconds(3)
            if queues.enqueue(Self.frame(1, serial), .forwarded, to: Self.peer, now: now) { slow.append(serial) }
        }
        #expect(slow.isEmpty)
        // A burst: the fifth drop within 10 s makes it slow (the last four of the slow phase count), and the count
        // starts over: slow again every fifth drop.
        for serial in 10..<30 {
            now = now + .milliseconds(100)
            if queues.enqueue(Self.frame(1, serial), .forwarded, to: Self.peer, now: now) { slow.append(serial) }
        }
        #expect(slow == [10, 15, 20, 25], "\(slow)")
        #expect(queues.slowNeighbours == slow.count)
    }

    @Test func publishFramesAreOwnOrForwardedEverythingElseIsControl() {
        #expect(NodeCore.sendClass(of: [1, 0], own: true) == .own)
        #expect(NodeCore.sendClass(of: [1, 0], own: false) == .forwarded)
        for kind: UInt8 in [2, 3, 6] { #expect(NodeCore.sendClass(of: [kind, 0], own: true) == .control) }
    }
}
