import Glibc
import MeshCore
import Testing

@testable import MeshRuntime

/// Sends that go to the kernel in batches (`sendmmsg`, UDP GSO) over 127.0.0.1.
@Suite("UDP socket batched sends", .serialized)
struct BatchedSendTests {
    /// Datagram `sequence` of a run: its number in the first four bytes, then a pattern, `size` bytes in all.
    private static func datagram(_ sequence: Int, size: Int = Limits.maxDatagramSize) -> [UInt8] {
        (0..<size).map { index in
            index < 4
                ? UInt8(truncatingIfNeeded: sequence >> (24 - 8 * index)) : UInt8(truncatingIfNeeded: index ^ sequence)
        }
    }

    /// What a receiving socket saw: datagrams checked against `datagram(_:size:)`, in arrival order.
    private final class Arrivals {
        var sequences: [Int] = []
        var corrupt = 0

        func record(_ bytes: UnsafeRawBufferPointer, size: Int) {
            let sequence = bytes.prefix(4).reduce(0) { $0 << 8 | Int($1) }
            if bytes.elementsEqual(BatchedSendTests.datagram(sequence, size: size)) {
                sequences.append(sequence)
            } else {
                corrupt += 1
            }
        }
    }

    @Test("640 datagrams sent in full batches of 64 all arrive intact and in order, one sendmmsg call per batch")
    func fullBatchesArriveWithOneCallEach() throws {
        let loop = try EventLoop()
        let sender = try UDPSocket(loop: loop, address: loopbackV4)
        let receiver = try UDPSocket(loop: loop, address: loopbackV4)
        let batchSize = sender.settings.sendBatchSize
        let batches = 10
        let arrivals = Arrivals()
        // One batch in flight at a time keeps well under any receive buffer the kernel grants; the 64th send of a
        // batch fills it and sends it at once.
        func sendBatch(_ index: Int) {
            for sequence in index * batchSize..<(index + 1) * batchSize {
                _ = Self.datagram(sequence).withUnsafeBytes { sender.send($0, to: receiver.localAddress) }
            }
        }
        try receiver.startReceiving { bytes, _ in
            arrivals.record(bytes, size: Limits.maxDatagramSize)
            let count = arrivals.sequences.count + arrivals.corrupt
            if count == batches * batchSize {
                loop.stop()
            } else if count % batchSize == 0 {
                sendBatch(count / batchSize)
            }
        }
        sendBatch(0)
        #expect(sender.counters.sendCalls == 1, "a full batch goes to the kernel without waiting for the loop")
        #expect(try !runUntilStopped(loop))
        #expect(arrivals.corrupt == 0)
        #expect(arrivals.sequences == Array(0..<batches * batchSize))
        #expect(sender.counters.sent == UInt64(batches * batchSize))
        #expect(sender.counters.sendCalls == UInt64(batches))
        #expect(sender.counters.dropped == 0)
        // 64 datagrams of 1200 bytes make a GSO message of 54 (64800 bytes) and one of 10, and a receiver with GRO
        // reads each whole.
        #expect(sender.counters.segmentedMessages == (sender.usesSegmentationOffload ? UInt64(2 * batches) : 0))
        let coalesced = sender.usesSegmentationOffload && receiver.usesReceiveOffload
        #expect(receiver.counters.coalescedReceives == (coalesced ? UInt64(2 * batches) : 0))
        sender.close()
        receiver.close()
        try loop.close()
    }

    @Test(
        "a GSO message the kernel refuses is sent again as plain datagrams, and the socket stops using GSO",
        .enabled(if: kernelSupportsUDPSegmentation(), "this kernel has no UDP GSO, so nothing can refuse it"))
    func refusedSegmentationFallsBackForGood() throws {
        let loop = try EventLoop()
        let sender = try UDPSocket(loop: loop, address: loopbackV4)
        let receiver = try UDPSocket(loop: loop, address: loopbackV4)
        #expect(sender.usesSegmentationOffload)
        // Without UDP checksums (SO_NO_CHECK, 11 in <asm-generic/socket.h>) Linux refuses GSO with EINVAL but still
        // sends plain datagrams, which 127.0.0.1 accepts without a checksum.
        var on: Int32 = 1
        #expect(setsockopt(sender.descriptor, SOL_SOCKET, 11, &on, socklen_t(MemoryLayout<Int32>.size)) == 0)
        let arrivals = Arrivals()
        try receiver.startReceiving { bytes, _ in
            arrivals.record(bytes, size: 1000)
            if arrivals.sequences.count + arrivals.corrupt == 20 { loop.stop() }
        }
        for sequence in 0..<10 {
            _ = Self.datagram(sequence, size: 1000).withUnsafeBytes { sender.send($0, to: receiver.localAddress) }
        }
        sender.flush()
        #expect(!sender.usesSegmentationOffload)
        #expect(sender.counters.sent == 10)
        #expect(sender.counters.sendCalls == 2, "the refused GSO message, then the same datagrams one by one")
        for sequence in 10..<20 {
            _ = Self.datagram(sequence, size: 1000).withUnsafeBytes { sender.send($0, to: receiver.localAddress) }
        }
        sender.flush()
        #expect(sender.counters.sendCalls == 3, "no second attempt at GSO")
        #expect(try !runUntilStopped(loop))
        #expect(arrivals.sequences == Array(0..<20))
        #expect(arrivals.corrupt == 0)
        #expect(sender.counters.segmentedMessages == 0)
        #expect(sender.counters.dropped == 0)
        sender.close()
        receiver.close()
        try loop.close()
    }

    @Test("with segmentation offload not allowed, a batch goes as plain datagrams in one sendmmsg call")
    func plainBatchWithoutSegmentation() throws {
        let loop = try EventLoop()
        var settings = UDPSocket.Settings()
        settings.allowsSegmentationOffload = false
        let sender = try UDPSocket(loop: loop, address: loopbackV4, settings: settings)
        let receiver = try UDPSocket(loop: loop, address: loopbackV4)
        #expect(!sender.usesSegmentationOffload)
        let arrivals = Arrivals()
        try receiver.startReceiving { bytes, _ in
            arrivals.record(bytes, size: 1200)
            if arrivals.sequences.count + arrivals.corrupt == 30 { loop.stop() }
        }
        for sequence in 0..<30 {
            _ = Self.datagram(sequence).withUnsafeBytes { sender.send($0, to: receiver.localAddress) }
        }
        sender.flush()
        #expect(sender.counters.sendCalls == 1)
        #expect(try !runUntilStopped(loop))
        #expect(arrivals.sequences == Array(0..<30))
        #expect(sender.counters.segmentedMessages == 0)
        sender.close()
        receiver.close()
        try loop.close()
    }

    @Test("a datagram sent from a timer leaves before the loop waits for I/O, without a flush")
    func batchIsSentBeforeTheLoopWaits() throws {
        let loop = try EventLoop()
        let sender = try UDPSocket(loop: loop, address: loopbackV4)
        let receiver = try UDPSocket(loop: loop, address: loopbackV4)
        var arrived: [[UInt8]] = []
        try receiver.startReceiving { bytes, _ in
            arrived.append(Array(bytes))
            loop.stop()
        }
        let timer = try LoopTimer(loop: loop) {
            _ = [UInt8]([7, 7]).withUnsafeBytes { sender.send($0, to: receiver.localAddress) }
        }
        timer.arm(at: loop.now)
        #expect(try !runUntilStopped(loop))
        #expect(arrived == [[7, 7]])
        #expect(sender.counters.sendCalls == 1)
        timer.close()
        sender.close()
        receiver.close()
        try loop.close()
    }

    @Test("the batch holds at most sendBatchSize datagrams: the send that fills it sends it")
    func batchIsBounded() throws {
        let loop = try EventLoop()
        var settings = UDPSocket.Settings()
        settings.sendBatchSize = 4
        let sender = try UDPSocket(loop: loop, address: loopbackV4, settings: settings)
        let receiver = try UDPSocket(loop: loop, address: loopbackV4)
        for value in 0..<5 {
            _ = [UInt8(value)].withUnsafeBytes { sender.send($0, to: receiver.localAddress) }
        }
        #expect(sender.counters.sent == 4)
        #expect(sender.counters.sendCalls == 1)
        #expect(sender.sendBatch.count == 1)
        sender.close()
        receiver.close()
        try loop.close()
    }

    @Test("closing a socket sends what its batch holds first")
    func closeSendsTheBatch() throws {
        let loop = try EventLoop()
        let sender = try UDPSocket(loop: loop, address: loopbackV4)
        let receiver = try UDPSocket(loop: loop, address: loopbackV4)
        var arrived: [UInt8] = []
        try receiver.startReceiving { bytes, _ in
            arrived.append(bytes[0])
            if arrived.count == 3 { loop.stop() }
        }
        for value in 1...3 {
            _ = [UInt8(value)].withUnsafeBytes { sender.send($0, to: receiver.localAddress) }
        }
        sender.close()
        #expect(sender.counters.sent == 3)
        #expect(try !runUntilStopped(loop))
        #expect(arrived == [1, 2, 3])
        receiver.close()
        try loop.close()
    }
}
