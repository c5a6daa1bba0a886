import MeshCore
import Testing

@testable import MeshTransport

/// Packet and message buffers given back with `Endpoint.recycle(_:)` are reused, bounded, and never corrupt a
/// buffer the application still holds.
@Suite struct BufferRecyclingTests {
    @Test("the pool keeps at most its limit of buffers, and only ones that can hold a datagram")
    func poolIsBounded() {
        var pool = BufferPool(limit: 2)
        for _ in 0..<5 {
            var buffer: [UInt8] = []
            buffer.reserveCapacity(Limits.maxDatagramSize)
            pool.give(buffer)
        }
        #expect(pool.count == 2)
        pool.give([1, 2, 3])  // too small to hold a datagram
        #expect(pool.count == 2)
        let taken = pool.take()
        #expect(taken.isEmpty && taken.capacity >= Limits.maxDatagramSize)
        #expect(pool.count == 1)
    }

    @Test("a recycled packet buffer carries the next packet the endpoint seals")
    func recycledPacketBufferIsReused() throws {
        var network = TestNetwork(seed: 91)
        let a = network.addNode()
        let b = network.addNode()
        try network.connect(a, to: b)
        network.run(for: .seconds(1))
        var first: [EndpointEffect] = []
        try network.nodes[a].endpoint.send([1], to: network.id(b), now: network.now, effects: &first)
        var packet: [UInt8] = []
        for case .send(let datagram, _) in first { packet = datagram }
        first.removeAll()
        let storage = try #require(packet.withUnsafeBufferPointer { $0.baseAddress })
        network.nodes[a].endpoint.recycle(packet)
        packet = []  // the pool now holds the only reference, as after the runtime sent it
        var second: [EndpointEffect] = []
        try network.nodes[a].endpoint.send([2], to: network.id(b), now: network.now, effects: &second)
        let reused = second.contains { effect in
            if case .send(let next, _) = effect { return next.withUnsafeBufferPointer { $0.baseAddress } == storage }
            return false
        }
        #expect(reused, "the second packet is written into the first one's storage")
    }

    @Test("a delivered message the application keeps and recycles stays intact while traffic goes on")
    func keptMessageStaysIntact() throws {
        var network = TestNetwork(seed: 92)
        let a = network.addNode()
        let b = network.addNode()
        try network.connect(a, to: b)
        network.run(for: .seconds(1))
        try network.send([UInt8](repeating: 0xAA, count: 500), from: a, to: b)
        network.run(for: .milliseconds(100))
        let kept = try #require(network.nodes[b].delivered.last?.message)
        // Recycled while still held: the endpoint must copy it before writing, not overwrite it.
        network.nodes[b].endpoint.recycle(kept)
        for index in 0..<20 {
            try network.send([UInt8](repeating: UInt8(index), count: 900), from: a, to: b)
            network.run(for: .milliseconds(5))
        }
        network.run(for: .milliseconds(200))
        #expect(kept == [UInt8](repeating: 0xAA, count: 500))
        #expect(network.nodes[b].delivered.count == 21)
    }
}
