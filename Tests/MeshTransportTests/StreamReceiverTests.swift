import MeshCore
import MeshWire
import Testing

@testable import MeshTransport

/// The receiving half of the stream, driven directly with chunks in any order.
@Suite struct StreamReceiverTests {
    static func framed(_ messages: [[UInt8]]) -> [UInt8] {
        var writer = WireWriter()
        for message in messages { writer.writeLengthPrefixed(message) }
        return writer.bytes
    }

    @Test func reassemblesChunksInAnyOrderIntoMessages() throws {
        let messages: [[UInt8]] = [[1, 2, 3], [], Array(repeating: 9, count: 300), [4]]
        let bytes = Self.framed(messages)
        var receiver = StreamReceiver(id: 1, window: 1 << 20, maxMessage: 1 << 20)
        let chunks = stride(from: 0, to: bytes.count, by: 7).map { ($0, Array(bytes[$0..<min($0 + 7, bytes.count)])) }
        var delivered: [[UInt8]] = []
        for (offset, chunk) in chunks.reversed() {
            delivered += try receiver.receive(offset: UInt64(offset), bytes: chunk)
        }
        // Duplicates of anything are harmless.
        for (offset, chunk) in chunks { delivered += try receiver.receive(offset: UInt64(offset), bytes: chunk) }
        #expect(delivered == messages)
        #expect(receiver.pendingBytes == 0)
    }

    @Test("chunks of random sizes, shuffled, duplicated and overlapping, deliver every message once and in order")
    func shuffledOverlappingChunksDeliverInOrder() throws {
        var generator = SplitMix64(seed: 77)
        for round in 0..<50 {
            let messages = (0..<Int(generator.next() % 20 + 1)).map { index in
                [UInt8](repeating: UInt8(truncatingIfNeeded: index + round), count: Int(generator.next() % 700))
            }
            let bytes = Self.framed(messages)
            var chunks: [(Int, [UInt8])] = []
            var start = 0
            while start < bytes.count {
                let length = Int(generator.next() % 300) + 1
                let end = min(start + length, bytes.count)
                chunks.append((start, Array(bytes[start..<end])))
                // Sometimes a second chunk that overlaps this one and runs past it.
                if generator.next() % 4 == 0 {
                    let overlapStart = max(0, start - 5)
                    chunks.append((overlapStart, Array(bytes[overlapStart..<min(end + 9, bytes.count)])))
                }
                start = end
            }
            chunks += chunks.prefix(Int(generator.next() % 5))  // duplicates
            for index in chunks.indices.reversed() {
                chunks.swapAt(index, Int(generator.next() % UInt64(index + 1)))
            }
            var receiver = StreamReceiver(id: 1, window: 1 << 20, maxMessage: 1 << 20)
            var delivered: [[UInt8]] = []
            for (offset, chunk) in chunks {
                delivered += try receiver.receive(offset: UInt64(offset), bytes: chunk)
            }
            #expect(delivered == messages, "round \(round)")
            #expect(receiver.pendingBytes == 0, "round \(round)")
        }
    }

    @Test func dataPastTheGrantedLimitIsAViolation() {
        var receiver = StreamReceiver(id: 1, window: 100, maxMessage: 1 << 20)
        #expect(throws: StreamReceiver.Violation.dataBeyondLimit(offset: 101, limit: 100)) {
            try receiver.receive(offset: 50, bytes: [UInt8](repeating: 0, count: 51))
        }
    }

    @Test func oversizedMessageLengthIsAViolation() {
        var receiver = StreamReceiver(id: 1, window: 1 << 20, maxMessage: 10)
        #expect(throws: StreamReceiver.Violation.messageTooLarge(11)) {
            try receiver.receive(offset: 0, bytes: [11] + [UInt8](repeating: 0, count: 11))
        }
    }

    @Test func overlappingOutOfOrderChunksCannotHoldMoreThanTheWindow() throws {
        var receiver = StreamReceiver(id: 1, window: 10_000, maxMessage: 1 << 20)
        // A hostile sender repeats nearly the same bytes at every offset past a gap.
        for offset in 1..<5_000 {
            _ = try receiver.receive(offset: UInt64(offset), bytes: [UInt8](repeating: 0, count: 1000))
        }
        #expect(receiver.pendingBytes <= 10_000)
    }

    @Test func grantsMoreRoomOnceHalfTheWindowIsDelivered() throws {
        var receiver = StreamReceiver(id: 1, window: 1000, maxMessage: 1 << 20)
        #expect(receiver.limitUpdate() == nil)
        _ = try receiver.receive(offset: 0, bytes: Self.framed([[UInt8](repeating: 1, count: 600)]))
        #expect(receiver.limitUpdate() == 602 + 1000)
        #expect(receiver.limitUpdate() == nil)
    }
}
