import Testing

@testable import MeshTransport

/// The sending half of the stream, driven directly.
@Suite struct StreamSenderTests {
    @Test func sendsNewDataUpToThePeersLimitThenWaits() {
        var sender = StreamSender(id: 1, capacity: 10_000, initialLimit: 100)
        #expect(write(&sender, [UInt8](repeating: 7, count: 300)))
        let first = sender.nextChunk(maxBytes: 1000)
        #expect(first?.offset == 0 && first?.bytes.count == 100)
        #expect(sender.nextChunk(maxBytes: 1000) == nil)
        #expect(sender.isBlockedByFlowControl)
        sender.limit = 1000
        #expect(nextOffset(&sender, 1000) == 100)
    }

    @Test func lostRangesGoFirstAndAcknowledgedPartsAreNotResent() {
        var sender = StreamSender(id: 1, capacity: 10_000, initialLimit: 10_000)
        #expect(write(&sender, [UInt8](repeating: 1, count: 998)))  // 1000 bytes framed
        _ = sender.nextChunk(maxBytes: 400)  // 0..<400
        _ = sender.nextChunk(maxBytes: 400)  // 400..<800
        sender.acknowledge(100..<200)
        sender.lose(0..<400)
        let resent1 = sender.nextChunk(maxBytes: 1000)
        #expect(resent1?.offset == 0 && resent1?.bytes.count == 100)
        let resent2 = sender.nextChunk(maxBytes: 1000)
        #expect(resent2?.offset == 200 && resent2?.bytes.count == 200)
        #expect(nextOffset(&sender, 1000) == 800)
    }

    @Test func acknowledgedPrefixIsReleasedAndCapacityRefusesOverflow() {
        var sender = StreamSender(id: 1, capacity: 1000, initialLimit: 10_000)
        #expect(write(&sender, [UInt8](repeating: 1, count: 900)))
        #expect(!write(&sender, [UInt8](repeating: 2, count: 200)), "over capacity")
        _ = sender.nextChunk(maxBytes: 2000)
        sender.acknowledge(500..<902)
        #expect(sender.bufferedBytes == 902)
        sender.acknowledge(0..<500)
        #expect(sender.bufferedBytes == 0)
        #expect(write(&sender, [UInt8](repeating: 2, count: 200)))
    }

    @Test func aBufferGrownByABurstIsReleasedOnceAllIsAcknowledged() {
        var sender = StreamSender(id: 1, capacity: 100_000, initialLimit: 100_000)
        #expect(write(&sender, [UInt8](repeating: 3, count: 20_000)))
        var sent: UInt64 = 0
        while let chunk = sender.nextChunk(maxBytes: 1200) { sent = chunk.offset + UInt64(chunk.bytes.count) }
        #expect(sent == 20_004)  // a 4-byte length
        sender.acknowledge(0..<10_000)
        #expect(sender.bufferedBytes == 10_004, "half acknowledged: kept")
        sender.acknowledge(10_000..<20_004)
        #expect(sender.bufferedBytes == 0)
        #expect(sender.bufferCapacity <= StreamSender.keptCapacity)
        // The stream goes on at the same offsets.
        #expect(write(&sender, [9, 9]))
        let next = sender.nextChunk(maxBytes: 1200)
        #expect(next?.offset == 20_004 && next?.bytes == [2, 9, 9])
        // A small buffer keeps its capacity across rounds (no allocation per message).
        sender.acknowledge(20_004..<20_007)
        let kept = sender.bufferCapacity
        #expect(write(&sender, [1]))
        #expect(sender.bufferCapacity == kept)
    }

    /// Mutating calls outside the `#expect` macro, which cannot make them.
    private func write(_ sender: inout StreamSender, _ message: [UInt8]) -> Bool { sender.write(message) }
    private func nextOffset(_ sender: inout StreamSender, _ maxBytes: Int) -> UInt64? {
        sender.nextChunk(maxBytes: maxBytes)?.offset
    }
}
